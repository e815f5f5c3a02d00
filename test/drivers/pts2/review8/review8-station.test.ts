// Eighth hostile review of issue 14 (R8-1 at station level) — station-level repros (real engine + journal + Glase simulator +
// real PTS-2 driver over loopback HTTP to the virtual PTS-2). Each test asserts the CORRECT behaviour.
// The review's repros (/work/team/reviews/issue14-tests7/) waited fixed times; here each waits on
// what the fix makes happen (the pump given back, the next customer's flow), within the 5 s budget.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { PointConfig } from "../../../../agent/engine-api.ts";
import { createLogger } from "../../../../agent/log.ts";
import { systemScheduler } from "../../../../drivers/dispenser/line-driver.ts";
import { MemoryDriverStore } from "../../../../drivers/driver-store.ts";
import { openPts2Controller } from "../../../../drivers/pts2/index.ts";
import { SimClock } from "../../../../simulator/clock.ts";
import { VirtualPts2 } from "../../../../simulator/devices/virtual-pts2.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, until } from "../../../flows/harness/station.ts";
import { GRADES, received } from "../helpers.ts";

let dir: string;
let sim: RunningGlaseSimulator;
let twin: VirtualPts2;
const closers: Array<() => Promise<void>> = [];
const points: PointConfig[] = [
  { id: 1, kind: "fuel", terminal: TERMINALS[0]!, currency: "SEK", maxPreliminaryMinor: 50000, stationName: "PTS Station", grades: [
    { id: "95", name: "Blyfri 95", unit: "L", unitPriceMinor: 1899, vatRatePercent: 25 },
    { id: "D", name: "Diesel", unit: "L", unitPriceMinor: 2049, vatRatePercent: 25 },
  ] },
];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "pts2-r8-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION) });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  twin = new VirtualPts2({ scheduler: new SimClock({ manual: true }), pumps: 1, auth: { scheme: "digest", user: "agent", password: "pw" } });
  await twin.listen(0);
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await twin.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const pumpTx = () => twin.pumps.pumps.get(1)!;
const driverConfig = () => ({ url: twin.url, auth: { scheme: "digest" as const, user: "agent", password: "pw" }, currency: "SEK", points: [{ point: 1, pump: 1 }], grades: GRADES, pollIntervalMs: 25, requestTimeoutMs: 400, closeUnsettledAfterMs: 1000 });

async function openAgent(store: MemoryDriverStore) {
  const driver = await openPts2Controller(driverConfig(), { logger: createLogger("test.pts2"), scheduler: systemScheduler, store });
  const station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: driver, points, settings: { commitReservationTimeoutS: 4, commitSafetyMarginS: 1 } });
  await station.engine.start();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await station.close();
    await driver.close();
  };
  closers.push(close);
  return { driver, station, close };
}


const parkedTx = () => pumpTx().current?.transaction;
const nextFlow = (a: Awaited<ReturnType<typeof openAgent>>, first: string) => a.station.engine.snapshot().flows.find((x) => x.flowId !== first && x.kind === "preliminary");
const finished = (a: Awaited<ReturnType<typeof openAgent>>, flowId: string) => {
  const f = a.station.engine.snapshot().flows.find((x) => x.flowId === flowId);
  return f === undefined || f.finished === true;
};

/** The controller's users table re-created (config restore / factory reset / a user deleted above ours): the agent's login "agent" now authorizes as user 3. */
function agentLoginIsNowUser(userId: number): void {
  const t = twin as unknown as { options: Record<string, unknown> };
  t.options = { ...t.options, userId };
}

it("R8-1 (station): a paying customer's own authorization, read back as user 3 after the controller's users were re-created, is parked (PTS_OWNERSHIP_UNKNOWN + PTS_USER_MISMATCH) with the reservation kept; the technician's claim charges the 20 L", async () => {
  const store = new MemoryDriverStore();
  // A station that has sold before: the agent's id (1) learned and corroborated for its login.
  await store.put("meta/userId", 1);
  await store.put("meta/userVerified", { userId: 1, login: "agent" });
  const a = await openAgent(store);
  agentLoginIsNowUser(3);
  twin.liftNozzle(1, 1);
  await until("a flow", () => a.station.engine.snapshot().flows.length > 0);
  const flowId = a.station.engine.snapshot().flows[0]!.flowId;
  const alarms = () => a.station.engine.snapshot().alarms.map((x) => x.code);
  await until("the sale parked", () => alarms().includes("device-fault-PTS_OWNERSHIP_UNKNOWN") || undefined, 8_000);
  expect({ alarms: alarms(), finished: finished(a, flowId), invoices: sim.sim.dump().invoices.map((i) => i.status) })
    .toMatchObject({ alarms: expect.arrayContaining(["device-fault-PTS_USER_MISMATCH", "device-fault-PTS_OWNERSHIP_UNKNOWN"]), finished: false });
  expect(alarms()).not.toContain("device-fault-PTS_FOREIGN_TRANSACTION");
  expect(sim.sim.dump().invoices.map((i) => i.status)).not.toContain("CANCELED");
  // The technician checks the transaction on the controller: ours (`ctl resolve FLOW claim`).
  await a.station.engine.resolveParked(flowId, "claim");
  const delivered = twin.deliver(1, 20_000); // the customer still holds the nozzle
  twin.hangUp(1);
  await a.driver.pollOnce();
  await until("the flow finished", () => finished(a, flowId) || undefined, 8_000);
  const dump = sim.sim.dump();
  expect({ delivered, payments: dump.payments.length, invoices: dump.invoices.map((i) => i.status) }).toMatchObject({ delivered: 20_000, payments: 1 });
  expect(dump.invoices.map((i) => i.status)).not.toContain("CANCELED");
}, 30_000);

it("R8-2 (station): on a controller that numbers authorizations itself, the answer to the first PumpAuthorize is lost while the customer holds the nozzle — the live authorization (41) is adopted as ours: the 10 L are charged and the transaction closed, not left live and unpaid", async () => {
  const store = new MemoryDriverStore();
  await store.put("meta/userId", 1);
  await store.put("meta/userVerified", { userId: 1, login: "agent" });
  twin.pumps.renumberFrom = 41;
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const a = await openAgent(store);
  twin.liftNozzle(1, 1);
  await until("a flow", () => a.station.engine.snapshot().flows.length > 0);
  const flowId = a.station.engine.snapshot().flows[0]!.flowId;
  await until("the customer filling", () => pumpTx().current?.state === "Filling" || undefined, 8_000);
  expect(pumpTx().current).toMatchObject({ transaction: 41, userId: 1 });
  await until("the sale adopted", () => (store.get(`tx/${flowId}`) as Promise<{ phase?: string; transaction?: number } | undefined>).then((r) => (r?.phase === "authorized" && r.transaction === 41) || undefined), 8_000);
  expect(twin.deliver(1, 10_000)).toBe(10_000);
  twin.hangUp(1);
  await until("the flow finished", () => finished(a, flowId) || undefined, 8_000);
  const inv = sim.sim.dump().invoices;
  expect(inv.map((i) => ({ status: i.status, paidMinor: i.paidMinor }))).toEqual([{ status: "PAID", paidMinor: 18_990 }]);
  await until("the transaction closed", () => pumpTx().current === undefined || undefined, 8_000);
  expect(received(twin, "PumpCloseTransaction")).toContainEqual({ Pump: 1, Transaction: 41 });
  expect(a.station.engine.snapshot().alarms.map((x) => x.code)).toContain("device-fault-PTS_NUMBERS_NOT_HONOURED");
}, 30_000);
