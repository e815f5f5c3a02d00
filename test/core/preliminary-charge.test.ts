// `ctl resolve FLOW charge AMOUNT` in the pure machine (agent/core/preliminary-charge.ts): a fuel
// sale parked because its own figures could not be read (dispenser-unreachable, PTS_TRANSACTION_LOST)
// is charged at the amount a technician read off the pump — before it, the only exits released the
// reservation and the fuel was given away. Refused wherever the flow has figures of its own, a
// commit may have gone out, or the amount cannot be taken from the reservation.
import { describe, expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import type { FlowInput } from "../../agent/core/inputs.ts";
import { startPos } from "../../agent/core/pos.ts";
import { chargeRefusal } from "../../agent/core/preliminary-charge.ts";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { startRefund } from "../../agent/core/refund.ts";
import { DOWN, Driver, OK, SETTINGS, ctxAt } from "./helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const START = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };
const charge = (amountMinor: number): FlowInput => ({ type: "technician", action: "charge", amountMinor });
const END = { type: "end" as const, gradeId: "95", milli: 1000, amountMinor: 1899, unitPriceMinor: 1899, reason: "stopped" as const };

/** Reserved and authorized; the stop after a stall goes unanswered. */
function delivering(): Driver<PreliminaryState> {
  const d = Driver.of(startPreliminary(START, ctxAt(0))) as Driver<PreliminaryState>;
  d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "RESERVED", version: 2 }));
  d.feed({ type: "authorized", ok: true });
  d.feed({ type: "progress", milli: 500, amountMinor: 950 });
  return d;
}

/** Every sale record read fails until the commit deadline: parked dispenser-unreachable from checking-sale. */
function unreadable(d: Driver<PreliminaryState>): Driver<PreliminaryState> {
  d.fire("stall");
  d.feed({ type: "stopped", ok: false });
  for (let i = 0; i < 1000 && d.state.phase !== "parked"; i++) {
    if (d.has("saleRecord")) d.feed({ type: "sale", record: null, failed: true });
    d.runTimers(d.now + 600_000, () => d.has("saleRecord") || d.state.phase === "parked");
  }
  expect(d.state).toMatchObject({ phase: "parked", parkedReason: "dispenser-unreachable", parkedFrom: "checking-sale" });
  return d;
}

const parkedUnreadable = () => unreadable(delivering());

/** Every Glase call is answered DOWN until the flow parks. */
function downUntilParked(d: Driver<PreliminaryState>): Driver<PreliminaryState> {
  for (let i = 0; i < 1000 && d.state.phase !== "parked"; i++) {
    if (d.state.pending) d.answer(DOWN);
    else d.runTimers(d.now + 600_000, () => d.state.pending !== undefined || d.state.phase === "parked");
  }
  return d;
}

/**
 * A refused (or not eligible) charge changes nothing and asks for nothing — but a point that may
 * still hold the flow's authorization is stopped again on any technician command (preliminary-pump.ts guardPump).
 */
function unchanged(d: Driver, input: FlowInput) {
  const before = d.state;
  d.feed(input);
  expect({ ...d.state, stopSentAt: undefined }).toEqual({ ...before, stopSentAt: undefined });
  expect(d.effects.filter((e) => e.type !== "stop")).toEqual([]);
}

describe("charging a flow parked while its sale could not be read", () => {
  it("updates the invoice with the final row (volume from the grade's price), commits the amount, and ends PAID with a receipt", () => {
    const d = parkedUnreadable();
    expect(chargeRefusal(d.state, 1234)).toBeUndefined();
    d.feed(charge(1234));
    expect(d.state).toMatchObject({ phase: "updating", commitMinor: 1234, chargedByTechnician: true, pumpOpen: false, parkedReason: undefined });
    // 12.34 at 18.99 a litre: 0.650 L.
    expect(d.state.delivered).toEqual({ gradeId: "95", milli: 650, amountMinor: 1234, unitPriceMinor: 1899 });
    expect(d.call()).toMatchObject({
      op: "updateInvoice",
      invoiceReference: "INV1",
      invoice: { totalAmount: { currency: "SEK", minor: 1234 }, invoiceRows: [{ itemSKU: "95", itemQuantity: "0.650", itemUnit: "L", itemUnitPrice: { minor: 1899 }, itemTotalAmount: { minor: 1234 } }] },
    });
    // The charge ends the guard of the point: no stop timer runs on.
    expect(d.effects).toContainEqual({ type: "cancelTimer", name: "secure" });
    d.answer(OK());
    expect(d.call()).toEqual({ op: "commitReservation", invoiceReference: "INV1", amountMinor: 1234, currency: "SEK" });
    d.answer(OK()).answer(OK({ status: "PAID", version: 3, ersReference: "E1" }));
    const print = d.effects.find((e): e is Extract<Effect, { type: "print" }> => e.type === "print");
    expect(print?.receipt).toMatchObject({ amountMinor: 1234, milli: 650, unit: "L", unitPriceMinor: 1899, ersReference: "E1", gradeName: "Blyfri 95" });
    d.feed({ type: "printed", ok: true });
    expect(d.state).toMatchObject({ phase: "finished", outcome: "paid", commitMinor: 1234 });
  });

  it("charges the whole reservation, not a minor unit more", () => {
    expect(chargeRefusal(parkedUnreadable().state, 50000)).toBeUndefined();
    const d = parkedUnreadable();
    expect(chargeRefusal(d.state, 50001)).toBeDefined();
    unchanged(d, charge(50001));
  });

  it("refuses 0, a negative and a non-integer amount", () => {
    const d = parkedUnreadable();
    for (const amount of [0, -100, 12.5, Number.NaN]) {
      expect(chargeRefusal(d.state, amount)).toBeDefined();
      unchanged(d, charge(amount));
    }
  });
});

describe("a charge is refused where the flow has figures of its own or nothing to charge from", () => {
  it("a flow that is not parked (delivering, or reading its sale)", () => {
    const d = delivering();
    expect(chargeRefusal(d.state, 1234)).toBeDefined();
    unchanged(d, charge(1234));
    d.fire("stall");
    d.feed({ type: "stopped", ok: false });
    expect(d.state.phase).toBe("checking-sale");
    expect(chargeRefusal(d.state, 1234)).toBeDefined();
    unchanged(d, charge(1234));
  });

  it("parked from updating: the sale's figures are known", () => {
    const d = delivering();
    d.feed(END);
    expect(d.state.phase).toBe("updating");
    downUntilParked(d);
    expect(d.state).toMatchObject({ phase: "parked", parkedFrom: "updating" });
    expect(chargeRefusal(d.state, 1234)).toBeDefined();
    unchanged(d, charge(1234));
  });

  it("parked from checking-commit: a commit went out", () => {
    const d = delivering();
    d.feed(END);
    d.answer(OK()).answer(OK()).answer(OK({ status: "EXPIRED", version: 3 }));
    expect(d.state).toMatchObject({ phase: "parked", parkedReason: "reservation-lapsed", parkedFrom: "checking-commit" });
    expect(chargeRefusal(d.state, 1234)).toBeDefined();
    unchanged(d, charge(1234));
  });

  it("the reservation was cancelled under the running pump", () => {
    const d = delivering();
    d.fire("watch");
    const ref = d.state.watchRef!;
    d.feed({ type: "glase", op: "getPaymentStatus", ref, outcome: OK({ status: "CANCELED", version: 3 }) });
    expect(d.state.reservationLost).toBe(true);
    d.feed({ type: "stopped", ok: false });
    for (let i = 0; i < 1000 && d.state.phase !== "parked"; i++) {
      if (d.has("saleRecord")) d.feed({ type: "sale", record: null, failed: true });
      d.runTimers(d.now + 600_000, () => d.has("saleRecord") || d.state.phase === "parked");
    }
    expect(d.state).toMatchObject({ phase: "parked", parkedFrom: "checking-sale", reservationLost: true });
    expect(chargeRefusal(d.state, 1234)).toBeDefined();
    unchanged(d, charge(1234));
  });

  it("a reservation that has surely lapsed (the flow parked a safety margin before it)", () => {
    const d = parkedUnreadable();
    expect(chargeRefusal(d.state, 1234, ctxAt(d.now))).toBeUndefined();
    d.advance(SETTINGS.commitSafetyMarginS * 1000 + 2 * SETTINGS.glaseCallTimeoutMs);
    expect(chargeRefusal(d.state, 1234, ctxAt(d.now))).toBeDefined();
    unchanged(d, charge(1234));
  });

  it("a pos or a refund flow", () => {
    const pos = Driver.of(startPos({ flowId: "p1", point: 9, terminalId: "T9", currency: "SEK", stationName: "Kiosk", amountMinor: 4500 }, ctxAt(0)));
    pos.answer(OK({ invoiceReference: "INV9" }));
    expect(chargeRefusal(pos.state, 1234)).toBeDefined();
    unchanged(pos, charge(1234));
    const refund = Driver.of(startRefund({ flowId: "r1", terminalId: "T", currency: "SEK", ersReference: "E", amountMinor: 1000 }, ctxAt(0)));
    expect(chargeRefusal(refund.state, 1234)).toBeDefined();
    unchanged(refund, charge(1234));
  });

  it("a charge replayed from the journal after the flow settled does nothing", () => {
    const d = parkedUnreadable();
    d.feed(charge(1234));
    d.answer(OK());
    expect(d.state.phase).toBe("committing");
    // (A restart between the engine's check and the input, or the same input journaled twice.)
    unchanged(d, charge(1234));
    d.answer(OK()).answer(OK({ status: "PAID", version: 3, ersReference: "E1" }));
    d.feed({ type: "printed", ok: true });
    unchanged(d, charge(1234));
    expect(d.state).toMatchObject({ phase: "finished", outcome: "paid", commitMinor: 1234 });
  });
});

describe("a sale the controller lost parks at once: the technician has the reservation's time to charge it", () => {
  it("a sale read rejected as lost (SALE_LOST) parks on the first answer, long before the commit deadline, and the charge then settles", () => {
    const d = delivering();
    d.fire("stall");
    d.feed({ type: "stopped", ok: false });
    d.runTimers(d.now + 600_000, () => d.has("saleRecord"));
    const at = d.now;
    d.feed({ type: "sale", record: null, failed: true, lost: true });
    expect(d.state).toMatchObject({ phase: "parked", parkedReason: "dispenser-unreachable", parkedFrom: "checking-sale" });
    expect(d.now).toBe(at);
    expect(d.state.commitDeadline! - d.now).toBeGreaterThan(60_000);
    d.feed(charge(1234));
    expect(d.call()).toMatchObject({ op: "updateInvoice" });
  });
});
