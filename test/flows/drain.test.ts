// A drain that ends sessions (flows.drainEndsSessions; SIGTERM of the simulated station): a
// running delivery is stopped and settled at what it metered, a customer not yet delivering is
// cancelled, and no point is left stopped for the next start (it is not a technician's stop).
// Without it, the drain lets the delivery run (a real station's customers finish).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "./harness/station.ts";

let dir: string;
let sim: RunningGlaseSimulator;
let station: Station;
let pumps: InMemoryDispenser;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "drain-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION) });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 200 });
  pumps = new InMemoryDispenser({ points: 2 });
  // A delivery that pauses does not stall out during the test: only the drain can end it.
  station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: pumps, settings: { deliveryStallMs: 120_000, nozzleLiftTimeoutMs: 120_000 } });
  await station.engine.start();
});

afterEach(async () => {
  await station.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const pointState = (p: number) => station.engine.snapshot().points.find((x) => x.point === p)!.state;

it("ends running sessions: the delivery settles what it metered, the waiting customer is cancelled, no point stays stopped", async () => {
  pumps.customerCall(1);
  await until("authorized", () => pointState(1) === "authorized");
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 3_000); // 3 L × 18.99, nozzle still up
  await until("delivering", () => pointState(1) === "delivering");
  pumps.customerCall(2); // reserved, authorized, never lifts the nozzle
  await until("point 2 authorized", () => pointState(2) === "authorized");

  station.engine.stopAccepting();
  await station.engine.drain(800); // a plain drain lets them run
  expect(station.engine.snapshot().flows.filter((f) => !f.finished)).toHaveLength(2);

  const t0 = Date.now();
  await station.engine.drain(20_000, { endSessions: true });
  expect(Date.now() - t0).toBeLessThan(10_000);
  const flows = station.engine.snapshot().flows;
  expect(flows.every((f) => f.finished)).toBe(true);
  expect(flows.find((f) => f.point === 1)).toMatchObject({ outcome: "paid" });
  expect(flows.find((f) => f.point === 2)?.outcome).toBe("canceled");
  expect(sim.sim.dump().invoices.find((i) => i.terminalId === TERMINALS[0]!.terminalId)).toMatchObject({ status: "PAID", paidMinor: 5697, commitCalls: 1 });
  expect(sim.sim.dump().invoices.find((i) => i.terminalId === TERMINALS[1]!.terminalId)).toMatchObject({ status: "CANCELED" });
  expect(await station.journal.stoppedPoints()).toEqual([]);
  expect(await station.journal.unfinishedFlows()).toHaveLength(0);
});
