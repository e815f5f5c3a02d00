// Review 2 of issue 9, finding C, at the station (real engine, journal, SOAP to the strict Glase
// simulator, the in-memory twin of the board): nobody fuels on unpaid after the agent let go of a
// sale. (The review's own three cases — parked dispenser-unreachable with no action, cancel,
// mark-settled — are test/review9b/cancel-parked-pump.test.ts.) Each test failed on lead5 3aced3f.
import { afterEach, beforeEach, expect, it } from "vitest";
import type { PointId } from "../../contracts/dispenser.ts";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import type { RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { join } from "node:path";
import { TERMINALS, openStation, until, type Station } from "./harness/station.ts";
import { closeStrictStation, openStrictStation } from "./harness/strict-station.ts";

/** A board that acknowledges STOP without acting on it while `deaf` (a stop lost on the wire, a valve that sticks). */
class DeafStops extends InMemoryDispenser {
  deaf = false;
  /** Stops asked for, obeyed or not. */
  stops = 0;
  override async stop(point: PointId): Promise<void> {
    this.stops++;
    if (this.deaf) return;
    return super.stop(point);
  }
}

let dir: string, sim: RunningGlaseSimulator, station: Station;
let pumps: DeafStops;
beforeEach(async () => {
  pumps = new DeafStops({ points: 2 });
  ({ dir, sim, station } = await openStrictStation({ dirPrefix: "pump-guard-", dispenser: pumps, confirmAfterMs: 100, pointIds: [1], settings: SETTINGS }));
});
const SETTINGS = { commitReservationTimeoutS: 4, commitSafetyMarginS: 1, deliveryStallMs: 400, drainSecuringWaitMs: 300 };
afterEach(() => closeStrictStation({ dir, sim, station }));
const alarms = (code: string) => station.engine.snapshot().alarms.filter((a) => a.code === code);

it("a pump delivering for a transaction no flow owns (a lost journal's sale) is stopped, and a technician is told what went unpaid", async () => {
  await pumps.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "P1-ghost", gradeId: "95" });
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 1000);
  await until("ghost sale stopped", async () => (await pumps.saleRecord("P1-ghost"))?.state === "finished");
  expect(pumps.deliver(1, 20000)).toBe(0);
  expect((await pumps.saleRecord("P1-ghost"))?.amountMinor).toBe(1899);
  const [progress, end] = [alarms("delivery-without-flow").find((a) => a.message.includes("stopping the point")), alarms("delivery-without-flow").find((a) => a.message.includes("delivered unpaid"))];
  expect(progress?.message).toContain("P1-ghost");
  expect(end?.message).toContain("1899 delivered unpaid");
});

it("a sale still delivering at the commit deadline is settled with its running figure, then its pump is stopped as soon as the board obeys; the point stays busy until then", async () => {
  pumps.customerCall(1);
  const flow = await until("flow", () => station.engine.snapshot().flows.find((f) => f.point === 1));
  await until("authorized", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.state === "authorized"));
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 1000);
  pumps.deaf = true; // stall → stop acknowledged but ignored → the record keeps showing "delivering"
  await until("settled with the running figure", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.state === "securing"), 10_000);
  expect(alarms("delivery-unfinished")).toHaveLength(1);
  expect(sim.sim.dump().invoices.find((i) => i.terminalId === TERMINALS[0]!.terminalId)?.status).toBe("PAID");
  // The point is not handed to a new customer while the pump may still deliver.
  expect(station.engine.snapshot().points.find((p) => p.point === 1)?.flowId).toBe(flow.flowId);
  pumps.deliver(1, 500); // the customer goes on meanwhile (9.50 more): reported, and stopped again
  pumps.deaf = false;
  await until("flow finished", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.finished), 10_000);
  const sale = await pumps.saleRecord(flow.flowId);
  expect(sale?.state).toBe("finished");
  expect(pumps.deliver(1, 20000)).toBe(0);
  expect(alarms("delivered-unpaid")[0]?.message).toContain(`${sale!.amountMinor - 1899} delivered unpaid`);
});

it("a technician's mark-settled ends a flow securing a pump that never obeys; a later report of that sale is stopped by the engine and alarmed", async () => {
  pumps.customerCall(1);
  const flow = await until("flow", () => station.engine.snapshot().flows.find((f) => f.point === 1));
  await until("authorized", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.state === "authorized"));
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 1000);
  pumps.deaf = true;
  await until("securing", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.state === "securing"), 10_000);
  await expect(station.engine.resolveParked(flow.flowId, "cancel")).rejects.toMatchObject({ code: "CONFLICT" });
  await station.engine.resolveParked(flow.flowId, "mark-settled");
  await until("finished", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.finished && f.outcome === "paid"), 5_000);
  pumps.deaf = false;
  pumps.deliver(1, 500); // the technician was wrong: the pump still ran
  await until("stopped by the engine", async () => (await pumps.saleRecord(flow.flowId))?.state === "finished", 5_000);
  expect(pumps.deliver(1, 20000)).toBe(0);
  expect(alarms("delivery-without-flow").map((a) => a.message).join("\n")).toContain("950 delivered unpaid");
});

it("a planned stop while a flow secures its pump alarms the point after a bounded wait; after the restart (real journal) the flow stops the pump again, alarms again, and ends when the sale does (review 3 L)", async () => {
  pumps.customerCall(1);
  const flow = await until("flow", () => station.engine.snapshot().flows.find((f) => f.point === 1));
  await until("authorized", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.state === "authorized"));
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 1000);
  pumps.deaf = true;
  await until("securing", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.state === "securing"), 10_000);
  station.engine.stopAccepting();
  const t0 = Date.now();
  await station.engine.drain(20_000);
  expect(Date.now() - t0).toBeLessThan(3000);
  expect(alarms("pump-may-be-authorized")).toMatchObject([{ point: 1, flowId: flow.flowId }]);
  expect(alarms("pump-may-be-authorized")[0]!.message).toContain("pump 1 may still be authorized");
  await station.close();

  const before = pumps.stops;
  station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: pumps, pointIds: [1], settings: SETTINGS });
  await station.engine.start();
  await until("the stop sent again", () => pumps.stops > before, 5_000);
  expect(station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId)?.state).toBe("securing");
  expect(alarms("pump-may-be-authorized")).toMatchObject([{ point: 1, flowId: flow.flowId }]);
  pumps.deaf = false;
  await until("flow finished", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.finished), 10_000);
  expect((await pumps.saleRecord(flow.flowId))?.state).toBe("finished");
  expect(pumps.deliver(1, 20000)).toBe(0);
});
