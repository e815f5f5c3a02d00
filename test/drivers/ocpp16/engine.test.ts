// End to end: the real payment engine (real journal file, GlaseClient over HTTP to the Glase
// simulator) drives the real OCPP driver, which drives the virtual charge point over a real
// WebSocket. Plug-in → reservation → RemoteStart → metered charging → unplug → updateInvoice +
// commitReservation of exactly the metered amount. And the same with the engine and the driver
// restarted in the middle of the session: one settlement, of everything the charger metered.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { PointConfig } from "../../../agent/engine-api.ts";
import type { Grade } from "../../../drivers/dispenser/contract.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "../../flows/harness/station.ts";
import { AC22, isEnd, isProgress, openRig, type Rig } from "./helpers.ts";

const GRADE: Grade = { ...AC22, unit: "kWh" };
const POINTS: PointConfig[] = [{ id: 1, kind: "ev", terminal: TERMINALS[0]!, currency: "SEK", maxPreliminaryMinor: 30000, stationName: "Test Charging", grades: [GRADE] }];

let dir: string;
let sim: RunningGlaseSimulator;
const stations: Station[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "ocpp-engine-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION) });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 200 });
});

afterEach(async () => {
  for (const s of stations.splice(0)) await s.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function station(rig: Rig): Promise<Station> {
  const s = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: rig.driver, points: POINTS, settings: { deliveryStallMs: 3000, nozzleLiftTimeoutMs: 5000 } });
  stations.push(s);
  await s.engine.start();
  return s;
}

function invoices() {
  return sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId);
}

it("a charging session over OCPP settles the metered energy: reservation, RemoteStart, meter values, unplug, commit", async () => {
  const rig = await openRig();
  const s = await station(rig);
  const cp = await rig.chargePoint();
  cp.plug(1);
  await until("charging", () => cp.transaction(1)?.id !== undefined);
  const meterStart = cp.transaction(1)!.meterStart;
  await until("some energy", () => cp.registerWh(1) - meterStart >= 100);
  cp.unplug(1);
  const flow = await until("a finished flow", () => s.engine.snapshot().flows.find((f) => f.finished));
  expect(flow.outcome).toBe("paid");

  const metered = cp.registerWh(1) - meterStart;
  const meteredMinor = Math.floor((metered * 349 + 500) / 1000); // independent of the agent's arithmetic
  expect(invoices()).toHaveLength(1);
  expect(invoices()[0]).toMatchObject({ status: "PAID", reservedMinor: 30000, paidMinor: meteredMinor, commitCalls: 1 });
  expect(invoices()[0]!.invoice).toMatchObject({ invoiceRows: [{ itemUnit: "kWh", itemUnitPrice: { minor: 349 }, itemTotalAmount: { minor: meteredMinor } }] });
  const [receipt] = await s.engine.receipts();
  expect(receipt?.content).toMatchObject({ amountMinor: meteredMinor, milli: metered, unit: "kWh" });
});

it("engine and driver restarted mid-session: the charger reconnects, the flow recovers and settles once, everything metered", async () => {
  let rig = await openRig();
  let s = await station(rig);
  const cp = await rig.chargePoint();
  cp.plug(1);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 50, 15_000, "charging under the first agent");
  const meterStart = cp.transaction(1)!.meterStart;

  // The agent goes down: engine and journal closed, driver closed; the charger keeps charging.
  await s.close();
  stations.splice(stations.indexOf(s), 1);
  rig = await rig.restart();
  s = await station(rig);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 0, 15_000, "progress under the restarted agent");
  cp.unplug(1);
  await rig.events.waitFor(isEnd, 15_000);
  const flow = await until("the recovered flow finished", () => s.engine.snapshot().flows.find((f) => f.finished));
  expect(flow.outcome).toBe("paid");

  const metered = cp.registerWh(1) - meterStart;
  expect(invoices()).toHaveLength(1);
  expect(invoices()[0]).toMatchObject({ status: "PAID", paidMinor: Math.floor((metered * 349 + 500) / 1000), commitCalls: 1 });
});

it.each(["none", "cancel"] as const)("a flow parked while its charger is offline mid-session (technician action: %s): the stop reaches the charger once it is back and the session ends there (review 2 of issue 9, C)", async (action) => {
  const rig = await openRig();
  const s = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: rig.driver, points: POINTS, settings: { commitReservationTimeoutS: 4, commitSafetyMarginS: 1, deliveryStallMs: 400, nozzleLiftTimeoutMs: 5000 } });
  stations.push(s);
  await s.engine.start();
  const cp = await rig.chargePoint();
  cp.plug(1);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 20, 15_000, "charging");
  const flow = s.engine.snapshot().flows.find((f) => f.point === 1)!;
  await cp.goOffline(); // the charger goes on charging; the agent reaches it no more
  await until("parked", () => s.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.parked), 15_000);
  if (action === "cancel") {
    await s.engine.resolveParked(flow.flowId, "cancel");
    await until("invoice closed, charger still guarded", () => s.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && (f.state === "securing" || f.finished)), 5_000);
  }
  await cp.goOnline();
  await until("the session stopped on the charger", () => cp.transaction(1)?.id === undefined, 15_000);
  const ended = await until("the flow settled or closed", () => s.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && (f.finished || (f.parked && invoices()[0]?.status !== "RESERVED"))), 15_000);
  expect(ended).toBeDefined();
  expect(cp.transaction(1)).toBeUndefined();
  // The driver queued the stop itself; the flow tells a technician what the cancelled session delivered.
  if (action === "cancel") expect(s.engine.snapshot().alarms.find((a) => a.code === "delivered-unpaid")?.message).toMatch(/\d+ delivered unpaid/);
}, 60_000);
