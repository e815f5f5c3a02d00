import { describe, expect, it } from "vitest";
import { isAgentError } from "../../../agent/errors.ts";
import type { LineDispenserDriver } from "../../../drivers/dispenser/line-driver.ts";
import { openDispenserController } from "../../../drivers/dispenser/open.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { VirtualController } from "../../../simulator/devices/virtual-controller.ts";
import { EventLog, advanceInSteps, closeAfterEach, waitUntil, virtualControllerOnTcp } from "./helpers.ts";

const cleanup = closeAfterEach();

async function setup(options: ConstructorParameters<typeof VirtualController>[0] = {}) {
  const { clock, vc, port } = await virtualControllerOnTcp(options);
  const driver: LineDispenserDriver = await openDispenserController({ kind: "tcp", host: "127.0.0.1", port, commandTimeoutMs: 2000, reconnectInitialMs: 50, reconnectMaxMs: 200 });
  const log = new EventLog();
  driver.onEvent(log.push);
  cleanup(() => vc.close(), () => driver.close());
  return { clock, vc, driver, log, port };
}

describe("line driver ↔ virtual controller over TCP", () => {
  it("runs call → authorize → deliver → end → sale record", async () => {
    const { clock, vc, driver, log } = await setup();
    expect(driver.stats().linkUp).toBe(true);
    expect(await driver.hello()).toMatchObject({ protocolVersion: "1.0", points: 2 });
    expect((await driver.prices()).map((g) => g.id)).toEqual(["95", "D"]);

    vc.customerCall(1, { presetMinor: 20000 });
    expect(await log.waitFor((e) => e.type === "call")).toEqual({ type: "call", point: 1, presetMinor: 20000 });

    await driver.authorize({ point: 1, limitMinor: 20000, currency: "SEK", transactionId: "tx-1", gradeId: "95" });
    await driver.display(1, "Tanka nu – 200,00 kr*");
    expect(vc.displayText(1)).toBe("Tanka nu – 200,00 kr*");
    vc.liftNozzle(1, { volumeMilli: 5000 });
    advanceInSteps(clock, 10_000);
    const end = await log.waitFor((e) => e.type === "end");
    expect(end).toEqual({ type: "end", point: 1, transactionId: "tx-1", gradeId: "95", milli: 5000, amountMinor: 9495, unitPriceMinor: 1899, reason: "nozzle-down" });
    expect(log.count((e) => e.type === "progress")).toBeGreaterThan(5);
    expect(await driver.saleRecord("tx-1")).toEqual({
      transactionId: "tx-1", point: 1, state: "finished", gradeId: "95", milli: 5000, amountMinor: 9495, unitPriceMinor: 1899, limitMinor: 20000, reason: "nozzle-down",
    });
    expect(await driver.saleRecord("never")).toBeUndefined();
    expect((await driver.status())[0]).toMatchObject({ point: 1, state: "idle", nozzleUp: false });
    expect(driver.stats().badLines).toBe(0);
  });

  it("refuses a busy point, and a repeated AUTH with the same id is the same sale", async () => {
    const { driver } = await setup();
    const cmd = { point: 2, limitMinor: 5000, currency: "SEK", transactionId: "tx-a" };
    await driver.authorize(cmd);
    await driver.authorize(cmd);
    const err = await driver.authorize({ ...cmd, transactionId: "tx-b" }).catch((e: unknown) => e);
    expect(isAgentError(err, "DEVICE_REJECTED") && err.context.reason).toBe("BUSY");
  });

  it("re-sends an AUTH that got no answer, with the same transaction id, and the board authorizes once", async () => {
    const { vc, driver } = await setup();
    vc.injectFault({ type: "silent", requests: 1 });
    const seen: string[] = [];
    vc.onEvent((e) => e.type === "request" && e.request.verb === "AUTH" && seen.push(e.request.transactionId));
    await driver.authorize({ point: 1, limitMinor: 5000, currency: "SEK", transactionId: "tx-r" });
    expect(seen).toEqual(["tx-r", "tx-r"]);
    expect(driver.stats().retries).toBe(1);
    expect(vc.saleRecords().filter((r) => r.transactionId === "tx-r")).toHaveLength(1);
  });

  it("reconnects after the controller drops the link, emits link events, and the sale record tells the truth", async () => {
    const { clock, vc, driver, log } = await setup();
    await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "tx-d" });
    vc.liftNozzle(1);
    advanceInSteps(clock, 2000);
    await log.waitFor((e) => e.type === "progress");
    vc.injectFault({ type: "disconnect" });
    await log.waitFor((e) => e.type === "link" && !e.up, 15_000, "link down");
    advanceInSteps(clock, 3000); // keeps delivering while the agent is away
    vc.hangUp(1);
    await log.waitFor((e) => e.type === "link" && e.up, 15_000, "link up again");
    const rec = await driver.saleRecord("tx-d");
    expect(rec).toMatchObject({ state: "finished", reason: "nozzle-down", milli: 3000, amountMinor: 5697 });
    expect(driver.stats().reconnects).toBeGreaterThan(0);
  });

  it("counts garbage and bad-checksum lines without breaking the session", async () => {
    const { vc, driver } = await setup();
    vc.injectFault({ type: "garbage", lines: 6 });
    vc.injectFault({ type: "bad-checksum", lines: 1 });
    expect(await driver.status()).toHaveLength(2); // its first reply is corrupted → re-sent
    await waitUntil(() => driver.stats().badLines >= 7, 5000, "bad lines counted");
    expect(driver.stats().badLines).toBe(7);
    expect(driver.stats().linkUp).toBe(true);
  });

  it("refuses a controller with an incompatible major version", async () => {
    const clock = new SimClock({ manual: true });
    const vc = new VirtualController({ scheduler: clock, protocolVersion: "2.0" });
    const port = await vc.listenTcp(0);
    const driver = await openDispenserController({ kind: "tcp", host: "127.0.0.1", port, openTimeoutMs: 500, reconnectInitialMs: 50 });
    cleanup(() => vc.close(), () => driver.close());
    expect(driver.stats().linkUp).toBe(false);
    const err = await driver.status().catch((e: unknown) => e);
    expect(isAgentError(err, "DEVICE_DISCONNECTED")).toBe(true);
  });
});
