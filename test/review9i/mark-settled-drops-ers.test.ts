// Review 7 (issue 9) LOW: a technician's mark-settled of a parked preliminary flow reads the invoice
// first (preliminary.ts:290 → poll "closing"); a PAID read there finishes the flow "settled-manually"
// WITHOUT its ersReference (preliminary-cancel.ts:18 onClosingRead: `finish(s, ...)`, o.ersReference
// dropped). The fuel was delivered and paid, but the finished state names no payment, so the
// engine's lost-send watches get no claim of it (send-watches.ts claimOf :45 reads state.ersReference)
// — a later watch on that pump's terminal reading this PAID without clientInvoiceId (§4.7 0..1) tells
// the technician "nothing was released for it ... ctl refund". Glase answering PAID without
// ersReference (the park's cause, issue 9 #8) and receipts without clientInvoiceId are both hostile
// premises the code already defends against. Pure machines (preliminary + send-watch).
import { expect, it } from "vitest";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { startSendWatch, transitionSendWatch } from "../../agent/core/send-watch.ts";
import { Driver, OK, SETTINGS, ctxAt } from "../core/helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const START = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };
const LAPSE = SETTINGS.commitReservationTimeoutS * 1000;

it("a mark-settled whose read shows PAID keeps the payment's ersReference (the terminal's watch claims it)", () => {
  const d = Driver.of(startPreliminary(START, ctxAt(0)));
  d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "ISSUED", version: 1 }));
  d.advance(2000).fire("poll").answer(OK({ status: "RESERVED", version: 2 }));
  d.feed({ type: "authorized", ok: true });
  d.now = 60_000;
  d.feed({ type: "end", gradeId: "95", milli: 2000, amountMinor: 3798, unitPriceMinor: 1899, reason: "nozzle-down" }).answer(OK());
  expect(d.call().op).toBe("commitReservation");
  d.answer(OK()); // commit accepted
  // Glase answers PAID without ersReference until the reservation could have lapsed: parked commit-unconfirmed.
  for (let i = 0; i < 10_000 && d.state.phase !== "parked" && d.now < LAPSE + 120_000; i++) {
    if (d.state.pending?.op === "getPaymentStatus") d.answer(OK({ status: "PAID", version: 3 }));
    else if (d.runTimers(LAPSE + 120_000, () => d.state.pending !== undefined) === 0) break;
  }
  expect(d.state.phase).toBe("parked");
  // The technician checks Glase (paid), marks it settled; the closing read shows PAID with its ersReference now.
  d.feed({ type: "technician", action: "mark-settled" });
  expect(d.call().op).toBe("getPaymentStatus");
  d.answer(OK({ status: "PAID", version: 4, ersReference: "E-P" }));
  expect(d.state.phase).toBe("finished");
  const s = d.state as PreliminaryState;
  // What send-watches.ts claimOf() takes from the finished state.
  const claim = typeof s.ersReference === "string" ? [s.ersReference] : [];
  // A later lost send on T1: its watch (terminal known, claims [claim]) reads this PAID as the current invoice.
  const ctx = ctxAt(d.now + 1000);
  const w = startSendWatch({ flowId: "W1", terminalId: "T1", currency: "SEK", stationName: "Station", lost: [{ origin: "f2", kind: "preliminary", point: 1, amountMinor: 3000, sentAt: d.now }], busy: false, claimed: claim }, ctx);
  const ref = w.state.watchRef!;
  const r = transitionSendWatch(w.state, { type: "glase", op: "getPaymentStatus", ref, outcome: { kind: "ok", status: "PAID", ersReference: "E-P", paidMinor: 3798, version: 4 } }, ctx);
  const told = r.effects.filter((e) => e.type === "alarm" && e.message.includes("ctl refund E-P"));
  // On b25f978: ersReference undefined, and the watch alarms "... nothing was released for it; ... ctl refund E-P 37.98".
  expect({ ers: s.ersReference, told: told.length }).toEqual({ ers: "E-P", told: 0 });
});
