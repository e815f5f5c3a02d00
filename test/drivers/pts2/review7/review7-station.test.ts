// Seventh hostile review of issue 14 — station-level repros (real engine + journal + Glase simulator +
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
  dir = mkdtempSync(join(tmpdir(), "pts2-r7-"));
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

/** Fresh install, lost PumpAuthorize answer, customer hung up: the sale parks PTS_OWNERSHIP_UNKNOWN with OUR authorization waiting. */
async function parkOurAuthorization(a: Awaited<ReturnType<typeof openAgent>>) {
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  twin.liftNozzle(1, 1);
  await until("a flow", () => a.station.engine.snapshot().flows.length > 0);
  twin.hangUp(1);
  await until("PTS_OWNERSHIP_UNKNOWN", () => a.station.engine.snapshot().alarms.find((x) => x.code === "device-fault-PTS_OWNERSHIP_UNKNOWN"), 10_000);
  expect(pumpTx().current).toMatchObject({ state: "WaitingNozzleUpForAuthorization", userId: 1 });
}

const parkedTx = () => pumpTx().current?.transaction;
const nextFlow = (a: Awaited<ReturnType<typeof openAgent>>, first: string) => a.station.engine.snapshot().flows.find((x) => x.flowId !== first && x.kind === "preliminary");
const finished = (a: Awaited<ReturnType<typeof openAgent>>, flowId: string) => {
  const f = a.station.engine.snapshot().flows.find((x) => x.flowId === flowId);
  return f === undefined || f.finished === true;
};

it("R7-1: after R6-1's revoke of a parked authorization the 0-ml end of the parked number is closed and the flow settles as nothing delivered — the next customer is served", async () => {
  const a = await openAgent(new MemoryDriverStore());
  await parkOurAuthorization(a);
  const flowId = a.station.engine.snapshot().flows[0]!.flowId;
  const tx = parkedTx();
  // Failed before the fix: the pump stood at EndOfTransaction 0 ml under the parked number for good.
  await until("the pump given back", () => (pumpTx().current === undefined || pumpTx().current?.transaction !== tx) && finished(a, flowId), 8_000);
  expect(received(twin, "PumpCloseTransaction").filter((d) => d.Transaction === tx)).toHaveLength(1);
  // Nothing delivered under either owner: the reservation is cancelled, nothing paid.
  const invoices = sim.sim.dump().invoices;
  expect(invoices.map((i) => i.status)).toEqual(["CANCELED"]);
  expect(sim.sim.dump().payments).toHaveLength(0);
  await a.driver.pollOnce(); // the driver sees the pump idle, nozzle hung up (a lift in the same poll is not a new call)
  twin.liftNozzle(1, 1); // the next customer
  await until("the next customer's flow", () => nextFlow(a, flowId), 8_000);
}, 30_000);

it("R7-2 (R6-1 variation): the agent restarts while the sale is parked — the restarted agent still revokes our waiting authorization", async () => {
  const store = new MemoryDriverStore();
  const a = await openAgent(store);
  twin.inject({ type: "drop-request", packetType: "PumpStop" }); // the first agent cannot revoke before it stops
  await parkOurAuthorization(a);
  await a.close(); // agent stopped (the journal and driver store survive)
  const b = await openAgent(store);
  await until("revoked", () => pumpTx().current?.state !== "WaitingNozzleUpForAuthorization" || undefined, 8_000);
  twin.liftNozzle(1, 1);
  const free = twin.deliver(1, 20_000);
  expect({ freeMilli: free, flows: b.station.engine.snapshot().flows.length }).toMatchObject({ freeMilli: 0 });
}, 30_000);

it("R7-5: a technician's cancel of the parked flow finishes it once the 0-ml end is closed — the pump serves the next customer", async () => {
  const a = await openAgent(new MemoryDriverStore());
  await parkOurAuthorization(a);
  const flowId = a.station.engine.snapshot().flows[0]!.flowId;
  const tx = parkedTx();
  await a.station.engine.resolveParked(flowId, "cancel").catch(() => undefined); // "release the customer's reservation" (may race the driver's own close)
  await until("finished", () => finished(a, flowId), 8_000);
  expect(pumpTx().current?.transaction === tx && pumpTx().current?.state === "EndOfTransaction").toBe(false);
  await a.driver.pollOnce(); // the driver sees the pump idle, nozzle hung up
  twin.liftNozzle(1, 1);
  await until("the next customer's flow", () => nextFlow(a, flowId), 8_000);
}, 30_000);

it("R7-5b: fuel under the parked number — the agent never closes it; PTS_PUMP_STUCK names the parked flow; cancel then mark-settled end the flow; once the owner closes the transaction the pump serves again", async () => {
  const a = await openAgent(new MemoryDriverStore());
  // Fresh install, lost answer; while the read-back runs the customer fills 1 L and hangs up.
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let filled = false;
  twin.pumps.transactionInfo = (d) => {
    const p = twin.pumps.pumps.get(1)!;
    if (!filled && p.current?.state === "WaitingNozzleUpForAuthorization" && p.current.transaction === d.Transaction) {
      filled = true;
      twin.pumps.liftNozzle(1, 1);
      twin.pumps.deliver(1, 1_000);
      twin.pumps.hangUp(1);
    }
    return real(d);
  };
  twin.liftNozzle(1, 1);
  await until("a flow", () => a.station.engine.snapshot().flows.length > 0);
  twin.hangUp(1);
  await until("PTS_OWNERSHIP_UNKNOWN", () => a.station.engine.snapshot().alarms.find((x) => x.code === "device-fault-PTS_OWNERSHIP_UNKNOWN"), 8_000);
  twin.pumps.transactionInfo = real;
  const flowId = a.station.engine.snapshot().flows[0]!.flowId;
  expect(pumpTx().current).toMatchObject({ state: "EndOfTransaction", milli: 1_000 });
  const tx = pumpTx().current!.transaction;
  const stuck = await until("PTS_PUMP_STUCK", () => a.station.engine.snapshot().alarms.find((x) => x.code === "device-fault-PTS_PUMP_STUCK"), 8_000);
  expect(stuck.message).toContain(flowId);
  await until("parked", () => a.station.engine.snapshot().flows.find((f) => f.flowId === flowId)?.parked || undefined, 8_000);
  await a.station.engine.resolveParked(flowId, "cancel");
  await until("securing", () => a.station.engine.snapshot().flows.find((f) => f.flowId === flowId)?.state === "securing" || undefined, 8_000);
  await a.station.engine.resolveParked(flowId, "mark-settled"); // the technician checked the pump is off
  await until("finished", () => finished(a, flowId), 8_000);
  await a.driver.settled(flowId); // as the daemon does for every finished flow (agent/daemon/compose.ts)
  await a.driver.pollOnce();
  expect(received(twin, "PumpCloseTransaction").filter((d) => d.Transaction === tx)).toHaveLength(0); // fuel we never settled: not ours to close
  expect(pumpTx().current).toMatchObject({ state: "EndOfTransaction", milli: 1_000 });
  twin.pumps.closeTransaction({ Pump: 1, Transaction: tx }); // the owner (POS / web UI) collects and closes it
  await a.driver.pollOnce(); // the pump seen idle, nozzle hung up
  twin.liftNozzle(1, 1);
  await until("the next customer's flow", () => nextFlow(a, flowId), 8_000);
}, 30_000);
