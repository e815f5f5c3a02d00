// Review 3 of issue 9, finding K (pure machine): a flow parked `reservation-lost` (review 2 B fix)
// cannot be ended by a technician's mark-settled: the closing read sees the invoice closed and
// finish(…, "settled-manually") re-parks it, because cancelWanted is still "reservation-lost"
// (preliminary-steps.ts:57 keys the re-park on cancelWanted, and mark-settled never changes it).
import { expect, it } from "vitest";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { Driver, OK, SETTINGS, ctxAt } from "../core/helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const START = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };
const T = SETTINGS.glaseCallTimeoutMs;
const WATCH = 5 * SETTINGS.pollIntervalMs;

function reservationLost(): Driver<PreliminaryState> {
  const d = Driver.of(startPreliminary(START, ctxAt(0)));
  d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "ISSUED", version: 1 }));
  d.advance(2000).fire("poll").answer(OK({ status: "RESERVED", version: 2 }));
  d.feed({ type: "authorized", ok: true });
  d.feed({ type: "progress", milli: 100, amountMinor: 190 });
  d.runTimers(d.now + WATCH, () => false);
  const reads = d.since(0, "glase").filter((x) => x.effect.type === "glase" && x.effect.call.op === "getPaymentStatus");
  const w = reads.at(-1)!.effect;
  d.feed({ type: "glase", op: "getPaymentStatus", ref: w.type === "glase" ? w.ref : "", outcome: OK({ status: "CANCELED", version: 3 }) });
  d.feed({ type: "stopped", ok: true }).feed({ type: "sale", record: { state: "finished", gradeId: "95", milli: 100, amountMinor: 190, unitPriceMinor: 1899 } });
  d.runTimers(d.now + 3 * T, () => false);
  d.answer(OK({ status: "CANCELED", version: 3 })); // the terminal's current invoice: nothing open
  expect(d.state.phase).toBe("parked");
  expect(d.state.parkedReason).toBe("reservation-lost");
  return d;
}

it("(K) mark-settled of a flow parked reservation-lost ends it", () => {
  const d = reservationLost();
  d.feed({ type: "technician", action: "mark-settled" });
  if (d.state.pending?.op === "getPaymentStatus") d.answer(OK({ status: "CANCELED", version: 3 }));
  // lead5 3f86079: parked again (reservation-lost), the technician's decision ignored
  expect(d.state.phase).toBe("finished");
  expect(d.state.outcome).toBe("settled-manually");
});

it("(K, holds) cancel of a flow parked reservation-lost ends it", () => {
  const d = reservationLost();
  d.feed({ type: "technician", action: "cancel" });
  if (d.state.pending?.op === "cancelInvoice") d.answer(OK());
  expect(d.state.phase).toBe("finished");
});
