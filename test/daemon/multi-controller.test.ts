// The daemon (`glase-agent run` as a child process) driving three controllers of different drivers
// at one station, each over its real link: the line board over TCP, an OCPP 1.6J charger over a
// real WebSocket to the agent's central system, PTS-2 pumps over loopback HTTP. Each point's sale
// settles at its own device's metered figure; a PTS-2 price mismatch (a fault without a point)
// is an alarm in `ctl alarms`; an OCPP session whose agent is SIGKILLed mid-charge settles once
// after the restart, from the charger's late StopTransaction, and a repeated StopTransaction is
// answered without a second settlement.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { priceOf } from "../../agent/core/money.ts";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import type { VirtualChargePoint } from "../../simulator/devices/virtual-charge-point.ts";
import { AgentProcess, eventually } from "./agent-process.ts";
import { AC22_PRICE, CHARGER_POINT, LINE_POINT, PTS_POINT, openForecourt, type Forecourt } from "./station-controllers.ts";

let dir: string;
let configFile: string;
let f: Forecourt;
let agent: AgentProcess | undefined;
let firstCp: VirtualChargePoint | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-multi-"));
  f = await openForecourt();
  configFile = await f.writeConfig(dir);
});

afterAll(async () => {
  await agent?.dispose();
  await f.close();
  await rm(dir, { recursive: true, force: true });
});

async function status<T>(command: string): Promise<T> {
  const c = await ControlClient.connect(join(dir, "run", "status.sock"));
  try {
    return await c.request<T>(command);
  } finally {
    c.close();
  }
}

const paidOn = (point: number, n: number) =>
  eventually(() => f.invoicesOf(point).filter((i) => i.status === "PAID").length >= n && f.invoicesOf(point).filter((i) => i.status === "PAID"), 60_000, `${n} paid on point ${point}`);

/** The StopTransaction the charger sent (its meterStop) and the StartTransaction's meterStart. */
function meterOf(cp: VirtualChargePoint): { id?: number; start?: number; stop?: number; stops: number } {
  const m: { id?: number; start?: number; stop?: number; stops: number } = { stops: 0 };
  cp.onEvent((e) => {
    if (e.type !== "answered") return;
    const p = e.params as { meterStart?: number; meterStop?: number };
    if (e.action === "StartTransaction") (m.start = p.meterStart), (m.id = (e.answer as { transactionId?: number }).transactionId);
    if (e.action === "StopTransaction") (m.stop = p.meterStop), m.stops++;
  });
  return m;
}

describe("one station, three controllers: line board, OCPP charger, PTS-2", { timeout: 90_000 }, () => {
  it("serves a customer at each and settles each at its device's metered amount", async () => {
    agent = await AgentProcess.start(configFile);
    await agent.ready();
    const cp = (firstCp = f.chargePoint());
    const meter = meterOf(cp);
    await cp.connect();
    await eventually(async () => (await status<Array<{ point: number; state: string }>>("points")).find((p) => p.point === CHARGER_POINT)?.state === "idle", 20_000, "charger idle");

    // Line board: call, authorized, lift, 3 L.
    const lineAuth = new Promise<void>((resolve) => {
      const off = f.board.onEvent((e) => e.type === "request" && e.request.verb === "AUTH" && (off(), resolve()));
    });
    f.board.customerCall(LINE_POINT, { gradeId: "D" });
    // OCPP: plug-in is the call; the agent starts the session remotely.
    const started = new Promise<void>((resolve) => {
      const off = cp.onEvent((e) => e.type === "request" && e.action === "RemoteStartTransaction" && (off(), resolve()));
    });
    cp.plug(1);
    // PTS-2: a lifted nozzle is the call; the agent authorizes an amount dose.
    f.pts.liftNozzle(1, 1);

    await lineAuth;
    f.board.liftNozzle(LINE_POINT, { gradeId: "D", volumeMilli: 3_000 });
    await started;
    await eventually(() => cp.transaction(1)?.id !== undefined && cp.registerWh(1) - cp.transaction(1)!.meterStart >= 2_000, 30_000, "2 kWh charged");
    cp.unplug(1);
    await eventually(() => f.pts.pumps.pumps.get(1)!.current?.state === "Filling" && (f.pts.pumps.pumps.get(1)!.current?.milli ?? 0) >= 1_500, 30_000, "PTS pump filling 1.5 L");
    f.pts.hangUp(1);

    const [line] = await paidOn(LINE_POINT, 1);
    expect(line).toMatchObject({ paidMinor: priceOf(3_000, 1949), commitCalls: 1 });
    const [charge] = await paidOn(CHARGER_POINT, 1);
    await eventually(() => meter.stop !== undefined, 10_000, "StopTransaction answered");
    expect(charge).toMatchObject({ paidMinor: priceOf(meter.stop! - meter.start!, AC22_PRICE), commitCalls: 1 });
    const [fill] = await paidOn(PTS_POINT, 1);
    const tx = f.pts.pumps.pumps.get(1)!.last ?? [...f.pts.pumps.records.values()].at(-1)!;
    expect(fill).toMatchObject({ paidMinor: tx.amountMinor, commitCalls: 1 });
    // Settled ⇒ PumpCloseTransaction: the pump is free for the next customer.
    await eventually(() => f.pts.received.some((p) => p.Type === "PumpCloseTransaction") && f.pts.pumps.pumps.get(1)!.current === undefined, 20_000, "PTS transaction closed");
    const devices = (await status<{ devices: Array<{ device: string; controller?: string; state: string }> }>("status")).devices.filter((d) => d.device === "dispenser");
    expect(devices.map((d) => [d.controller, d.state]).sort()).toEqual([["board", "ok"], ["chargers", "ok"], ["forecourt", "ok"]]);
  });

  it("a PTS-2 price that differs from the configured one is an alarm (no point), never a silent price", async () => {
    f.pts.setPrice(1, 1999);
    const alarm = await eventually(async () => (await status<Array<{ code: string; point?: number; message: string }>>("alarms")).find((a) => a.code === "device-fault-PTS_PRICE_MISMATCH"), 20_000, "price alarm");
    expect(alarm.point).toBeUndefined();
    expect(alarm.message).toMatch(/^controller forecourt: /);
    f.pts.setPrice(1, 1899);
  });

  it("agent SIGKILLed mid-charge: the charger's late StopTransaction settles once after the restart; a repeated one is answered, not settled again", async () => {
    await firstCp?.close(); // CP-1 is this charge point from now on
    const cp = f.chargePoint();
    const before = f.invoicesOf(CHARGER_POINT).length;
    const started = new Promise<void>((resolve) => {
      const off = cp.onEvent((e) => e.type === "answered" && e.action === "StartTransaction" && (off(), resolve()));
    });
    const meter = meterOf(cp);
    await agent!.dispose();
    agent = await AgentProcess.start(configFile);
    await agent.ready();
    await cp.connect();
    await eventually(async () => (await status<Array<{ point: number; state: string }>>("points")).find((p) => p.point === CHARGER_POINT)?.state === "idle", 20_000, "charger idle");
    cp.plug(1);
    await started;
    await eventually(() => cp.registerWh(1) - meter.start! >= 1_000, 30_000, "1 kWh charged");
    agent.kill("SIGKILL");
    await agent.exit();
    // While the agent is gone the customer unplugs: the charger queues its StopTransaction.
    await eventually(() => !cp.connected, 10_000, "charger sees the agent gone");
    cp.unplug(1);
    expect(cp.queuedMessages()).toBeGreaterThan(0);
    await agent.dispose();
    agent = await AgentProcess.start(configFile);
    await agent.ready();
    const paid = await eventually(() => f.invoicesOf(CHARGER_POINT).slice(before).find((i) => i.status === "PAID"), 60_000, "the recovered session paid");
    expect(meter.stops).toBe(1);
    expect(paid).toMatchObject({ paidMinor: priceOf(meter.stop! - meter.start!, AC22_PRICE), commitCalls: 1 });
    // The charger repeats its StopTransaction (a lost answer): answered, never settled twice.
    const again = await cp.call("StopTransaction", { transactionId: meter.id!, meterStop: meter.stop!, timestamp: new Date().toISOString(), reason: "EVDisconnected" });
    expect(again).toBeDefined();
    await eventually(async () => (await status<Array<{ point: number; state: string }>>("points")).find((p) => p.point === CHARGER_POINT)?.state === "idle", 20_000, "charger idle again");
    const after = f.invoicesOf(CHARGER_POINT).slice(before);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ status: "PAID", commitCalls: 1 });
  });
});

