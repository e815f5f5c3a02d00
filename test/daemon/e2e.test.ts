// The daemon end to end: the real `glase-agent run` child process against the Glase simulator,
// the virtual controller and the virtual printer hosted here.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import { VirtualController } from "../../simulator/devices/virtual-controller.ts";
import { VirtualPrinter } from "../../simulator/devices/virtual-printer.ts";
import { startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { AgentProcess, eventually } from "./agent-process.ts";

const GRADES = [
  { id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 },
  { id: "D", name: "Diesel", unit: "L" as const, unitPriceMinor: 1949, vatRatePercent: 25 },
];
const POINTS = [1, 2, 3, 4];
const terminalOf = (p: number) => `e2e0000000000000000000000000000${p}`;

let dir: string;
let configFile: string;
let sim: RunningGlaseSimulator;
let controller: VirtualController;
let printer: VirtualPrinter;
let agent: AgentProcess | undefined;
let metricsPort: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-e2e-"));
  sim = await startGlaseSimulator({
    port: 0,
    provision: {
      shops: [{ resellerId: "e2e_shop", userId: "9900", password: "shop-pass", currency: "SEK", allowRefunds: true, receiverAllowsRefunds: true, blocked: false }],
      terminals: POINTS.map((p) => ({ id: terminalOf(p), password: `pw-${p}-e2e`, name: `pump ${p}`, cashRegister: true, blocked: false })),
      tokens: [],
      settings: {},
      issuers: [],
    },
    settings: { autoCustomer: { enabled: true, confirmAfterMs: 300 } },
  });
  controller = new VirtualController({ grades: GRADES, points: POINTS.map((id) => ({ id, gradeIds: ["95", "D"] })), flowRateMilliPerSec: 2_000 });
  const controllerPort = await controller.listenTcp(0);
  printer = await VirtualPrinter.listen({ receiptsDir: join(dir, "receipts") });
  const probe = (await import("node:net")).createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  metricsPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  configFile = join(dir, "station.yaml");
  await writeFile(
    configFile,
    stringify({
      version: 2,
      station: { name: "E2E Station", currency: "SEK" },
      glase: { endpoint: sim.endpoint, clientId: "e2e", timeouts: { requestMs: 5000, pollIntervalMs: 300 }, reseller: { id: "e2e_shop", password: "shop-pass" } },
      points: POINTS.map((p) => ({ id: p, kind: "fuel", grades: ["95", "D"], maxPreliminaryMinor: 50_000, nozzleTimeoutS: 60, terminal: { id: terminalOf(p), password: `pw-${p}-e2e` } })),
      devices: { dispenser: { kind: "tcp", host: "127.0.0.1", port: controllerPort }, printer: { kind: "tcp", host: "127.0.0.1", port: printer.port, width: 58 }, scanner: { kind: "virtual" } },
      stateDir: join(dir, "state"),
      sockets: { dir: join(dir, "run") },
      flows: { reservationWaitS: 60, deliveryStallS: 20, retryBaseMs: 200, retryMaxMs: 2000, drainTimeoutS: 60 },
      metrics: { host: "127.0.0.1", port: metricsPort },
    }),
  );
});

afterAll(async () => {
  await agent?.dispose();
  await controller.close();
  await printer.close();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

/** Resolves when the agent authorizes the point (the customer then lifts the nozzle). */
function authorized(point: number): Promise<{ transactionId: string; limitMinor: number }> {
  return new Promise((resolve) => {
    const off = controller.onEvent((e) => {
      if (e.type === "request" && e.request.verb === "AUTH" && e.request.point === point) {
        off();
        resolve({ transactionId: e.request.transactionId, limitMinor: e.request.limitMinor });
      }
    });
  });
}

function delivering(point: number): Promise<void> {
  return new Promise((resolve) => {
    const off = controller.onEvent((e) => {
      if (e.type === "progress" && e.point === point && e.milli > 0) {
        off();
        resolve();
      }
    });
  });
}

const invoicesOf = (point: number) => sim.sim.dump().invoices.filter((i) => i.terminalId === terminalOf(point));
const saleOf = (transactionId: string) => controller.saleRecords().find((r) => r.transactionId === transactionId);

/** One customer: call, wait for authorization, lift, fuel `volumeMilli`; resolves with the transaction id. */
async function customer(point: number, volumeMilli: number): Promise<string> {
  const auth = authorized(point);
  controller.customerCall(point, { gradeId: "95" });
  const { transactionId } = await auth;
  controller.liftNozzle(point, { gradeId: "95", volumeMilli });
  return transactionId;
}

/** The agent takes the next customer only once the point is idle again (receipt printed, flow closed). */
async function idle(point: number): Promise<void> {
  const status = await ControlClient.connect(join(dir, "run", "status.sock"));
  try {
    await eventually(async () => (await status.request<Array<{ point: number; state: string }>>("points")).find((p) => p.point === point)?.state === "idle", 60_000, `point ${point} idle`);
  } finally {
    status.close();
  }
}

async function paid(point: number, count: number): Promise<void> {
  await eventually(() => invoicesOf(point).filter((i) => i.status === "PAID").length >= count && invoicesOf(point).every((i) => i.status !== "RESERVED" && i.status !== "ISSUED"), 90_000, `${count} paid invoices on point ${point}`);
}

describe("glase-agent run end to end", () => {
  it("sends READY after recovery and serves 20 customers: ledger = metered deliveries, receipts decoded", async () => {
    agent = await AgentProcess.start(configFile, { WATCHDOG_USEC: "2000000" });
    await agent.ready();
    expect(agent.notify.messages.find((m) => m.fields.READY === "1")?.fields.STATUS).toMatch(/^running; points: 4 idle; flows: 0 active; alarms: 0; (devices ok|degraded: .+)$/);
    const transactions: string[] = [];
    await Promise.all(
      POINTS.map(async (point) => {
        for (let i = 0; i < 5; i++) {
          await idle(point);
          transactions.push(await customer(point, 1_000 + 500 * i + 137 * point));
          await paid(point, i + 1);
        }
      }),
    );
    expect(transactions).toHaveLength(20);
    const invoices = sim.sim.dump().invoices;
    expect(invoices.filter((i) => i.status === "PAID")).toHaveLength(20);
    // The ledger: per point, paid amounts in order = the controller's metered amounts in order.
    for (const point of POINTS) {
      const metered = controller.saleRecords().filter((r) => r.point === point && r.state === "finished").map((r) => r.amountMinor);
      expect(invoicesOf(point).map((i) => i.paidMinor)).toEqual(metered);
      expect(invoicesOf(point).every((i) => i.commitsAccepted === 1)).toBe(true);
    }
    for (const tx of transactions) expect(saleOf(tx)?.state).toBe("finished");
    // Receipts: decoded by the virtual printer, one per payment, with amount and ersReference.
    await eventually(() => printer.receipts.length >= 20, 30_000, "20 receipts");
    const texts = printer.receipts.map((r) => JSON.stringify(r));
    for (const inv of invoices) {
      const text = texts.find((t) => t.includes(inv.ersReference!));
      expect(text, inv.ersReference).toBeDefined();
      expect(text).toContain(`${(inv.paidMinor! / 100).toFixed(2)}`);
      expect(text).toContain("Glase payment");
    }
    expect((await readdir(join(dir, "receipts"))).length).toBeGreaterThanOrEqual(20);
    // The technician view agrees.
    const status = await ControlClient.connect(join(dir, "run", "status.sock"));
    const receipts = await status.request<unknown[]>("receipts");
    expect(receipts.length).toBe(20);
    status.close();
    // Prometheus metrics on loopback.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('glase_agent_flows_finished_total{kind="preliminary",outcome="paid"} 20');
    expect(metrics).toMatch(/glase_agent_glase_call_seconds_count\{operation="commitReservation"\} 20\n/);
    expect(metrics).toMatch(/glase_agent_journal_commit_seconds_count \d+/);
    expect(metrics).toContain('glase_agent_device_up{device="dispenser",kind="tcp",controller="dispenser"} 1');
    // Structured one-line logs, and no secret ever reaches them.
    expect(agent.output).toMatch(/ INFO daemon ready points=4 /);
    for (const secret of ["shop-pass", ...POINTS.map((p) => `pw-${p}-e2e`)]) expect(agent.output).not.toContain(secret);
  }, 300_000);

  it("stops watchdog pings while the event loop is blocked", async () => {
    const notify = agent!.notify;
    await notify.waitFor((m) => m.fields.WATCHDOG === "1");
    const admin = await ControlClient.connect(join(dir, "run", "admin.sock"));
    const from = notify.messages.length;
    const blockStart = Date.now();
    await admin.request("debug-block-loop", { ms: 5_000 });
    admin.close();
    // Pings resume once the loop is free again (the first tick after the block is skipped as lagging).
    await notify.waitFor((m) => m.fields.WATCHDOG === "1" && m.at > blockStart + 5_000, 60_000, from);
    const pings = notify.messages.slice(from).filter((m) => m.fields.WATCHDOG === "1").map((m) => m.at);
    const during = pings.filter((t) => t > blockStart + 200 && t < blockStart + 5_000);
    expect(during).toEqual([]);
    expect(agent!.output).toMatch(/health-degraded reason="event loop lag \d+ ms"/);
  }, 120_000);

  it("SIGKILL mid-delivery, restart: the sale completes exactly once", async () => {
    await idle(1);
    const before = invoicesOf(1).length;
    const auth = authorized(1);
    controller.customerCall(1, { gradeId: "95" });
    const { transactionId } = await auth;
    const flowing = delivering(1);
    controller.liftNozzle(1, { gradeId: "95", volumeMilli: 8_000 });
    await flowing;
    agent!.kill("SIGKILL");
    await agent!.exit();
    await agent!.dispose();
    // The pump keeps delivering while the agent is down; the customer hangs up at 8 L.
    await eventually(() => saleOf(transactionId)?.state === "finished", 60_000, "delivery end while the agent is down");
    agent = await AgentProcess.start(configFile);
    await agent.ready();
    await eventually(() => invoicesOf(1).length === before + 1 && invoicesOf(1).at(-1)!.status === "PAID", 90_000, "recovered sale paid");
    const inv = invoicesOf(1).at(-1)!;
    expect(inv.paidMinor).toBe(saleOf(transactionId)!.amountMinor);
    expect(inv.commitsAccepted).toBe(1);
    expect(invoicesOf(1)).toHaveLength(before + 1); // no second invoice
    await eventually(() => printer.receipts.some((r) => JSON.stringify(r).includes(inv.ersReference!)), 30_000, "receipt of the recovered sale");
  }, 300_000);

  it("SIGHUP reloads the config: RELOADING=1 (with MONOTONIC_USEC), then READY=1 again; a broken config is refused and the agent keeps running", async () => {
    const notify = agent!.notify;
    const from = notify.messages.length;
    agent!.kill("SIGHUP");
    const reloading = await notify.waitFor((m) => m.fields.RELOADING === "1", 30_000, from);
    expect(Number(reloading.fields.MONOTONIC_USEC)).toBeGreaterThan(0);
    await notify.waitFor((m) => m.fields.READY === "1" && m.at >= reloading.at, 60_000, from);
    // A config with an error: the reload is refused with the problem logged, service goes on.
    const good = await readFile(configFile, "utf8");
    await writeFile(configFile, good.replace("station:", "station:\n  bogus: 1"));
    const from2 = notify.messages.length;
    agent!.kill("SIGHUP");
    await notify.waitFor((m) => m.fields.READY === "1", 60_000, from2);
    await writeFile(configFile, good);
    expect(agent!.output).toMatch(/reload-refused problems=.*station: Unrecognized key: \\?"bogus/);
    await idle(3);
    const before = invoicesOf(3).length;
    await customer(3, 1_000);
    await paid(3, before + 1);
  }, 300_000);

  it("SIGTERM mid-delivery: the delivery finishes and settles, STOPPING arrives, exit 0", async () => {
    await idle(2);
    const before = invoicesOf(2).length;
    const auth = authorized(2);
    controller.customerCall(2, { gradeId: "D" });
    const { transactionId } = await auth;
    const flowing = delivering(2);
    controller.liftNozzle(2, { gradeId: "D", volumeMilli: 6_000 });
    await flowing;
    agent!.kill("SIGTERM");
    await agent!.notify.waitFor((m) => m.fields.STOPPING === "1", 30_000);
    expect(await agent!.exit()).toBe(0);
    const sale = saleOf(transactionId)!;
    expect(sale.state).toBe("finished");
    expect(sale.milli).toBe(6_000);
    const inv = invoicesOf(2).at(-1)!;
    expect(invoicesOf(2)).toHaveLength(before + 1);
    expect(inv.status).toBe("PAID");
    expect(inv.paidMinor).toBe(sale.amountMinor);
    expect(agent!.output).toContain("daemon stopped signal=SIGTERM");
  }, 300_000);

  it("a second signal exits at once mid-delivery; the next start settles the sale exactly once", async () => {
    await agent!.dispose();
    agent = await AgentProcess.start(configFile);
    await agent.ready();
    await idle(3);
    const before = invoicesOf(3).length;
    const auth = authorized(3);
    controller.customerCall(3, { gradeId: "95" });
    const { transactionId } = await auth;
    const flowing = delivering(3);
    controller.liftNozzle(3, { gradeId: "95", volumeMilli: 12_000 });
    await flowing;
    agent.kill("SIGTERM");
    await agent.notify.waitFor((m) => m.fields.STOPPING === "1", 30_000);
    agent.kill("SIGTERM");
    expect(await agent.exit()).toBe(130);
    expect(saleOf(transactionId)?.state).not.toBe("finished"); // it left while the pump was running
    await eventually(() => saleOf(transactionId)?.state === "finished", 60_000, "delivery end");
    await agent.dispose();
    agent = await AgentProcess.start(configFile);
    await agent.ready();
    await eventually(() => invoicesOf(3).length === before + 1 && invoicesOf(3).at(-1)!.status === "PAID", 90_000, "sale settled after restart");
    expect(invoicesOf(3).at(-1)!.paidMinor).toBe(saleOf(transactionId)!.amountMinor);
    expect(invoicesOf(3).at(-1)!.commitsAccepted).toBe(1);
    agent.kill("SIGTERM");
    expect(await agent.exit()).toBe(0);
  }, 300_000);

  it("a SIGTERM while the agent starts stops it cleanly once started (exit 0), never Node's default death by the signal; so does one right at READY", async () => {
    await agent?.dispose();
    agent = await AgentProcess.start(configFile);
    const starting = agent;
    // Sent the instant the start is logged: the journal, recovery and devices are still ahead.
    starting.child.stdout!.on("data", (d: Buffer) => {
      if (String(d).includes(" daemon starting ") && starting.exitCode === undefined) starting.kill("SIGTERM");
    });
    expect(await starting.exit()).toBe(0);
    expect(starting.exitSignal).toBeNull();
    expect(starting.output).toContain("stop-requested-during-start signal=SIGTERM");
    await starting.dispose();
    agent = await AgentProcess.start(configFile);
    await agent.ready();
    agent.kill("SIGTERM");
    expect(await agent.exit()).toBe(0);
  }, 300_000);
});

describe("glase-agent run with devices missing at start", () => {
  it("still gets READY and shows the devices degraded (retried in the background)", async () => {
    const { createServer } = await import("node:net");
    // Ports that are free: nothing listens there.
    const free = async () => {
      const srv = createServer();
      await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
      const port = (srv.address() as { port: number }).port;
      await new Promise<void>((r) => srv.close(() => r()));
      return port;
    };
    const doc = parse(await readFile(configFile, "utf8"));
    doc.devices.dispenser.port = await free();
    doc.devices.printer.port = await free();
    doc.sockets.dir = join(dir, "run-degraded");
    doc.stateDir = join(dir, "state-degraded");
    const broken = join(dir, "degraded.yaml");
    await writeFile(broken, stringify(doc));
    const degraded = await AgentProcess.start(broken);
    try {
      await degraded.ready();
      const status = await ControlClient.connect(join(dir, "run-degraded", "status.sock"));
      const devices = await eventually(async () => {
        const s = await status.request<{ devices: Array<{ device: string; state: string }> }>("status");
        const printerState = s.devices.find((d) => d.device === "printer")?.state;
        return printerState === "degraded" ? s.devices : undefined;
      }, 60_000, "printer degraded");
      status.close();
      expect(devices.find((d) => d.device === "dispenser")?.state).toBe("degraded");
      expect(devices.find((d) => d.device === "journal")?.state).toBe("ok");
      degraded.kill("SIGTERM");
      expect(await degraded.exit()).toBe(0);
    } finally {
      await degraded.dispose();
    }
  }, 300_000);
});
