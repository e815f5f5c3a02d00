// The real driver against the virtual controller's fault injection over TCP: slow replies,
// silence, link loss with commands in flight, a babbling line, and the agent going away while
// the board keeps delivering (what the crash tests rely on).
import { createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { isAgentError } from "../../../agent/errors.ts";
import { configureLogging } from "../../../agent/log.ts";
import { openDispenserController, type DispenserConfig } from "../../../drivers/dispenser/open.ts";
import { encodeNotification, encodeOk } from "../../../drivers/dispenser/protocol.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { VirtualController } from "../../../simulator/devices/virtual-controller.ts";
import { EventLog, advanceInSteps, closeAfterEach, waitUntil } from "./helpers.ts";

configureLogging({ level: "error" });

const cleanup = closeAfterEach();

async function connect(port: number, extra: Partial<DispenserConfig> = {}) {
  const log = new EventLog();
  const driver = await openDispenserController(
    { kind: "tcp", host: "127.0.0.1", port, reconnectInitialMs: 50, reconnectMaxMs: 200, ...extra } as DispenserConfig,
    { onEvent: log.push },
  );
  cleanup(() => driver.close());
  return { driver, log };
}

async function board(options: ConstructorParameters<typeof VirtualController>[0] = {}) {
  const vc = new VirtualController({ points: 2, ...options });
  const port = await vc.listenTcp(0);
  cleanup(() => vc.close());
  return { vc, port };
}

describe("line driver fault handling", () => {
  it("accepts a late answer to an earlier attempt after re-sending a slow command", async () => {
    const { vc, port } = await board(); // real time: the reply delay is real
    const { driver } = await connect(port, { commandTimeoutMs: 400, retries: 4 });
    vc.injectFault({ type: "slow", delayMs: 700 });
    expect(await driver.status()).toHaveLength(2);
    expect(driver.stats().retries).toBeGreaterThanOrEqual(1);
    vc.injectFault({ type: "slow", delayMs: 0 });
    await waitUntil(() => driver.stats().strayReplies >= 1, 10_000, "the later attempts' answers arrive as strays");
  });

  it("gives up with DEVICE_TIMEOUT after its retries", async () => {
    const { vc, port } = await board({ scheduler: new SimClock({ manual: true }) });
    const { driver } = await connect(port, { commandTimeoutMs: 200, retries: 2 });
    vc.injectFault({ type: "silent", requests: 3 });
    const err = await driver.prices().catch((e: unknown) => e);
    expect(isAgentError(err, "DEVICE_TIMEOUT")).toBe(true);
    expect(isAgentError(err) && err.context).toMatchObject({ verb: "PRICES", attempts: 3 });
    expect(await driver.prices()).toHaveLength(2); // the board answers again
  });

  it("rejects a command in flight with DEVICE_DISCONNECTED when the link drops, then re-HELLOs", async () => {
    const { vc, port } = await board({ scheduler: new SimClock({ manual: true }) });
    const { driver, log } = await connect(port, { commandTimeoutMs: 10_000 });
    const hellos: number[] = [];
    vc.onEvent((e) => e.type === "request" && e.request.verb === "HELLO" && hellos.push(1));
    vc.injectFault({ type: "silent", requests: 1 });
    const pending = driver.saleRecord("tx-x").catch((e: unknown) => e);
    await waitUntil(() => vc.stats().requests >= 2, 10_000, "SALE reached the board");
    vc.injectFault({ type: "disconnect" });
    const err = await pending;
    expect(isAgentError(err, "DEVICE_DISCONNECTED")).toBe(true);
    await log.waitFor((e) => e.type === "link" && e.up && log.count((x) => x.type === "link") >= 3, 15_000, "link back up");
    expect(log.events.filter((e) => e.type === "link")).toEqual([
      { type: "link", up: true },
      { type: "link", up: false },
      { type: "link", up: true },
    ]);
    expect(hellos.length).toBeGreaterThanOrEqual(1);
    expect(await driver.saleRecord("tx-x")).toBeUndefined();
  });

  it("counts a line that never ends as bad instead of buffering it forever", async () => {
    let peer: Socket | undefined;
    const server = createServer((socket) => {
      peer = socket;
      socket.once("data", (chunk) => {
        const tag = /^T(\d+) HELLO/.exec(chunk.toString("latin1"));
        socket.write(encodeOk(Number(tag?.[1] ?? 0), ["1.0", "BABBLE", "1"]));
        socket.write(Buffer.alloc(100_000, 0x41)); // 100 kB of "A", no line end…
        socket.write(`\r\n${encodeNotification({ type: "call", point: 1 })}`); // …then sense again
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    cleanup(
      () => new Promise<void>((r) => server.close(() => r())),
      async () => void peer?.destroy(),
    );
    const { driver, log } = await connect((server.address() as { port: number }).port);
    await log.waitFor((e) => e.type === "call", 10_000, "the line after the babble");
    expect(driver.stats().badLines).toBeGreaterThanOrEqual(2); // at least one overflow + the tail
    expect(driver.stats().linkUp).toBe(true);
  });

  it("keeps delivering while the agent is away and tells the next agent what happened", async () => {
    const clock = new SimClock({ manual: true });
    const { vc, port } = await board({ scheduler: clock });
    vc.setAutoCustomer({ volumeMilli: 4000, liftAfterMs: 1000 });
    const first = await connect(port);
    await first.driver.authorize({ point: 2, limitMinor: 30000, currency: "SEK", transactionId: "crash-1" });
    advanceInSteps(clock, 3000);
    await first.log.waitFor((e) => e.type === "progress", 15_000, "delivery under way");
    await first.driver.close(); // the agent dies (the socket closes, as after SIGKILL)
    await waitUntil(() => vc.stats().clients === 0, 10_000, "board saw the agent go");
    advanceInSteps(clock, 10_000);
    expect(vc.saleRecords()).toMatchObject([{ transactionId: "crash-1", state: "finished", milli: 4000, amountMinor: 7596, reason: "nozzle-down" }]);
    const second = await connect(port);
    expect(second.driver.stats().linkUp).toBe(true);
    expect(await second.driver.saleRecord("crash-1")).toMatchObject({ state: "finished", milli: 4000, amountMinor: 7596 });
    expect((await second.driver.status())[1]).toMatchObject({ point: 2, state: "idle", nozzleUp: false });
    const again = await second.driver.authorize({ point: 2, limitMinor: 30000, currency: "SEK", transactionId: "crash-1" }).catch((e: unknown) => e);
    expect(isAgentError(again, "DEVICE_REJECTED") && again.context.reason).toBe("DONE");
  });
});

describe("line driver after a reconnect", () => {
  it("(2) re-reads the sale records of open transactions: an END missed while the link was down is reported", async () => {
    const clock = new SimClock({ manual: true });
    const { vc, port } = await board({ scheduler: clock });
    vc.setAutoCustomer({ volumeMilli: 4000, liftAfterMs: 500 });
    const { driver, log } = await connect(port);
    await driver.authorize({ point: 1, limitMinor: 30000, currency: "SEK", transactionId: "link-1" });
    advanceInSteps(clock, 1500);
    await log.waitFor((e) => e.type === "progress", 15_000, "delivery under way");
    vc.injectFault({ type: "disconnect" });
    await log.waitFor((e) => e.type === "link" && !e.up, 15_000, "link down");
    advanceInSteps(clock, 10_000); // the delivery ends while nobody listens: its *END is lost
    expect(vc.saleRecords()).toMatchObject([{ transactionId: "link-1", state: "finished", milli: 4000 }]);
    const end = await log.waitFor((e) => e.type === "end" && e.transactionId === "link-1", 15_000, "the missed END, re-read after the reconnect");
    expect(end).toMatchObject({ type: "end", point: 1, milli: 4000, amountMinor: 7596, reason: "nozzle-down", gradeId: "95", unitPriceMinor: 1899 });
    expect(log.count((e) => e.type === "end")).toBe(1);
    expect(driver.stats().linkUp).toBe(true);
  });
});
