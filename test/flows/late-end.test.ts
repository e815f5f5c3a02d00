// Review 3 of issue 9, finding L (first part), at the station (real engine and journal, SOAP to the
// strict Glase simulator, the in-memory twin of the board): a sale the board still showed running
// at the commit deadline is settled with its running figure; when its END arrives while that
// figure's updateInvoice is still out, the invoice is updated again to the END's figure and that is
// committed (it used to commit the running figure and alarm the rest as delivered unpaid).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { PointId } from "../../contracts/dispenser.ts";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "./harness/station.ts";

/** A board that acknowledges STOP without acting on it while `deaf`. */
class DeafStops extends InMemoryDispenser {
  deaf = false;
  override async stop(point: PointId): Promise<void> {
    if (this.deaf) return;
    return super.stop(point);
  }
}

let dir: string;
let sim: RunningGlaseSimulator;
let station: Station;
let pumps: DeafStops;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "late-end-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  pumps = new DeafStops({ points: 2 });
  // The reservation lapses 5 s after the send; the delivery stops at 1 s, the commit deadline is at
  // 3 s — leaving time for a second updateInvoice and the commit (2 × 500 ms) before the lapse.
  station = await openStation({
    journalPath: join(dir, "journal.db"),
    endpoint: sim.endpoint,
    dispenser: pumps,
    pointIds: [1],
    settings: { commitReservationTimeoutS: 5, commitSafetyMarginS: 2, deliveryStallMs: 400, glaseCallTimeoutMs: 500, retryMaxMs: 200 },
  });
  await station.engine.start();
});
afterEach(async () => {
  await station.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});
const alarms = (code: string) => station.engine.snapshot().alarms.filter((a) => a.code === code);

it("the END arriving while the running figure's updateInvoice is out is committed at its own figure, after a second updateInvoice", async () => {
  pumps.customerCall(1);
  const flow = await until("flow", () => station.engine.snapshot().flows.find((f) => f.point === 1));
  await until("authorized", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.state === "authorized"));
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 1000);
  pumps.deaf = true; // the stops are acknowledged but ignored: the record keeps showing "delivering"
  sim.sim.injectFault({ operation: "updateInvoice", kind: "latency", latencyMs: 300, count: 1 });
  await until("settling the running figure", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.state === "updating"), 10_000);
  pumps.deliver(1, 1000); // the customer went on: 2 L in all
  pumps.deaf = false;
  await pumps.stop(1); // the board obeys at last: the sale's END (37.98) arrives while the update is out
  await until("flow finished", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.finished), 10_000);
  expect((await pumps.saleRecord(flow.flowId))?.amountMinor).toBe(3798);
  expect(alarms("delivery-unfinished")).toHaveLength(1);
  expect(alarms("delivered-unpaid")).toHaveLength(0);
  const invoice = sim.sim.dump().invoices.find((i) => i.terminalId === TERMINALS[0]!.terminalId);
  expect(invoice).toMatchObject({ status: "PAID", paidMinor: 3798, commitCalls: 1, updateCalls: 2 });
  expect(station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId)?.outcome).toBe("paid");
});
