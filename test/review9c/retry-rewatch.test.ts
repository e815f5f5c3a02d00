// Issue 9 review 3, finding L (third item), pure machine: a technician's `retry` of a flow parked in
// a delivery phase (dispenser-unreachable: the pump may still hold the authorization) resumes it, but
// did not re-arm the reservation watch (only a restart's recover did): a late invoice superseding the
// reservation under the pump would go unseen. Fails on lead5 3f86079.
import { expect, it } from "vitest";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { Driver, OK, SETTINGS, ctxAt } from "../core/helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const START = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };
const WATCH = 5 * SETTINGS.pollIntervalMs;

it("(L) retry of a flow parked dispenser-unreachable watches its reservation again", () => {
  const d = Driver.of(startPreliminary(START, ctxAt(0))) as Driver<PreliminaryState>;
  d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "RESERVED", version: 2 }));
  d.feed({ type: "authorized", ok: true });
  d.feed({ type: "progress", milli: 1000, amountMinor: 1899 });
  d.fire("stall");
  d.feed({ type: "stopped", ok: false });
  for (let i = 0; i < 1000 && d.state.phase !== "parked"; i++) {
    if (d.has("saleRecord")) d.feed({ type: "sale", record: null, failed: true });
    d.runTimers(d.now + 600_000, () => d.has("saleRecord") || d.state.phase === "parked");
  }
  expect(d.state).toMatchObject({ phase: "parked", parkedReason: "dispenser-unreachable" });
  const from = d.log.length;
  d.feed({ type: "technician", action: "retry" });
  expect(d.state.phase).toBe("checking-sale");
  d.runTimers(d.now + WATCH, () => d.state.watchRef !== undefined && d.log.length > from);
  const reads = d.since(from, "glase").filter((x) => x.effect.type === "glase" && x.effect.call.op === "getPaymentStatus" && x.effect.ref === d.state.watchRef);
  // lead5 3f86079: no watch timer after the retry, no reservation read.
  expect(reads).toHaveLength(1);
});
