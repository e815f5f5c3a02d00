// Review 2 of issue 9, finding C, in the pure machine: a preliminary flow that no longer drives the
// delivery while its pump may still hold the authorization (parked dispenser-unreachable, cancelled
// or marked settled by a technician, settled with the running figure at the commit deadline) keeps
// stopping the point and holds it until the sale is seen to end. Each test failed on lead5 3aced3f.
import { describe, expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { CODE, Driver, OK, SETTINGS, ctxAt } from "./helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const START = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };
const END = (milli: number, amountMinor: number) => ({ type: "end" as const, gradeId: "95", milli, amountMinor, unitPriceMinor: 1899, reason: "stopped" as const });
const stops = (d: Driver, from = 0) => d.since(from, "stop").length;
const alarmText = (d: Driver, code: string) => d.log.map((x) => x.effect).find((e): e is Extract<Effect, { type: "alarm" }> => e.type === "alarm" && e.code === code)?.message;

/** Reserved, authorized, 18.99 metered, then the board's link drops: stall → stop fails → unreadable until the commit deadline. */
function parkedDelivering(): Driver<PreliminaryState> {
  const d = Driver.of(startPreliminary(START, ctxAt(0))) as Driver<PreliminaryState>;
  d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "RESERVED", version: 2 }));
  d.feed({ type: "authorized", ok: true });
  d.feed({ type: "progress", milli: 1000, amountMinor: 1899 });
  d.fire("stall");
  expect(d.has("stop")).toBe(true);
  d.feed({ type: "stopped", ok: false });
  for (let i = 0; i < 1000 && d.state.phase !== "parked"; i++) {
    if (d.has("saleRecord")) d.feed({ type: "sale", record: null, failed: true });
    d.runTimers(d.now + 600_000, () => d.has("saleRecord") || d.state.phase === "parked");
  }
  expect(d.state).toMatchObject({ phase: "parked", parkedReason: "dispenser-unreachable" });
  return d;
}

describe("a flow parked dispenser-unreachable while its pump may deliver", () => {
  it("keeps stopping the point, spaced, while the board stays unreachable", () => {
    const d = parkedDelivering();
    const from = d.log.length;
    d.runTimers(d.now + 120_000);
    expect(stops(d, from)).toBeGreaterThanOrEqual(3);
    const at = d.since(from, "stop").map((x) => x.at);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(SETTINGS.retryBaseMs / 2);
    expect(d.state.phase).toBe("parked");
  });

  it("on link-up stops the pump, reads the sale, and settles the END's figure", () => {
    const d = parkedDelivering();
    d.feed({ type: "link", up: true });
    expect(d.has("stop")).toBe(true);
    d.feed({ type: "stopped", ok: true });
    expect(d.has("saleRecord")).toBe(true);
    d.feed(END(1000, 1899));
    expect(d.state).toMatchObject({ phase: "updating", commitMinor: 1899, pumpOpen: false });
    expect(d.timers.has("secure")).toBe(false);
    d.answer(OK());
    expect(d.call()).toMatchObject({ op: "commitReservation", amountMinor: 1899 });
    d.answer(OK()).answer(OK({ status: "PAID", version: 3, ersReference: "E1" }));
    d.feed({ type: "printed", ok: true });
    expect(d.state).toMatchObject({ phase: "finished", outcome: "paid" });
  });

  it("a finished sale record read after the stop settles too; a lapsed reservation parks naming the unpaid amount", () => {
    const d = parkedDelivering();
    d.feed({ type: "link", up: true }).feed({ type: "stopped", ok: true });
    d.feed({ type: "sale", record: { state: "finished", gradeId: "95", milli: 1000, amountMinor: 1899, unitPriceMinor: 1899, reason: "stopped" } });
    expect(d.state.phase).toBe("updating");
    d.answer(OK()).answer(CODE(96)).answer(OK({ status: "EXPIRED", version: 4 }));
    expect(d.state).toMatchObject({ phase: "parked", parkedReason: "reservation-lapsed" });
    expect(alarmText(d, "reservation-lapsed")).toContain("1899");
  });

  it("a stop the board refuses (nothing left to stop) still leads to the sale record, which settles it", () => {
    const d = parkedDelivering();
    d.feed({ type: "link", up: true }).feed({ type: "stopped", ok: false });
    expect(d.has("saleRecord")).toBe(true);
    d.feed({ type: "sale", record: { state: "finished", gradeId: "95", milli: 1000, amountMinor: 1899, unitPriceMinor: 1899, reason: "nozzle-down" } });
    expect(d.state).toMatchObject({ phase: "updating", commitMinor: 1899 });
  });

  it("progress reported while parked (the link is back) stops the pump at once", () => {
    const d = parkedDelivering();
    d.advance(SETTINGS.retryMaxMs);
    d.feed({ type: "progress", milli: 1200, amountMinor: 2279 });
    expect(d.has("stop")).toBe(true);
  });

  it.each(["cancel", "mark-settled"] as const)("technician %s: the pump is stopped first, and the flow holds the point (securing) until the END, then alarms the unpaid figure", (action) => {
    const d = parkedDelivering();
    d.feed({ type: "technician", action });
    expect(d.has("stop")).toBe(true);
    if (action === "mark-settled") d.answer(OK({ status: "RESERVED", version: 2 }));
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "INV1" });
    d.answer(OK());
    expect(d.state.phase).toBe("securing");
    expect(d.state.outcome).toBe(action === "cancel" ? "canceled" : "settled-manually");
    const from = d.log.length;
    d.runTimers(d.now + 60_000);
    expect(stops(d, from)).toBeGreaterThanOrEqual(2);
    expect(d.state.phase).toBe("securing");
    d.feed(END(1000, 1899));
    expect(d.state).toMatchObject({ phase: "finished", outcome: action === "cancel" ? "canceled" : "settled-manually" });
    expect(alarmText(d, "delivered-unpaid")).toContain("1899 delivered unpaid");
    expect(d.timers.has("secure")).toBe(false);
  });

  it("a restart in securing stops the pump again and re-arms the timer", () => {
    const d = parkedDelivering();
    d.feed({ type: "technician", action: "cancel" }).answer(OK());
    expect(d.state.phase).toBe("securing");
    const restarted = new Driver<PreliminaryState>(d.state, []);
    restarted.now = d.now + 5000;
    restarted.feed({ type: "recover" });
    expect(restarted.has("stop")).toBe(true);
    expect(restarted.timerStarted("secure")).toBe(true);
    restarted.feed({ type: "sale", record: null });
    expect(restarted.state).toMatchObject({ phase: "finished", outcome: "canceled" });
  });

  it("a restart in securing tells a technician again that the pump may still be authorized (alarms live in memory)", () => {
    const d = parkedDelivering();
    d.feed({ type: "technician", action: "cancel" }).answer(OK());
    const restarted = new Driver<PreliminaryState>(d.state, []);
    restarted.feed({ type: "recover" });
    expect(alarmText(restarted, "pump-may-be-authorized")).toContain("point 1");
  });

  it("a restart while parked with the pump open stops it again and re-arms the timer", () => {
    const d = parkedDelivering();
    const restarted = new Driver<PreliminaryState>(d.state, []);
    restarted.now = d.now + 5000;
    restarted.feed({ type: "recover" });
    expect(restarted.alarm("dispenser-unreachable")).toBe(true);
    expect(restarted.has("stop")).toBe(true);
    expect(restarted.timerStarted("secure")).toBe(true);
  });

  it("a technician's mark-settled of a flow securing a pump that never answers ends it (they checked the pump), keeping its outcome", () => {
    const d = parkedDelivering();
    d.feed({ type: "technician", action: "cancel" }).answer(OK());
    expect(d.state.phase).toBe("securing");
    d.feed({ type: "technician", action: "mark-settled" });
    expect(d.state).toMatchObject({ phase: "finished", outcome: "canceled", pumpOpen: false });
    expect(d.timers.has("secure")).toBe(false);
  });

  it("a technician's retry drives the delivery again: the secure timer stops", () => {
    const d = parkedDelivering();
    d.feed({ type: "technician", action: "retry" });
    expect(d.state.phase).toBe("checking-sale");
    expect(d.timers.has("secure")).toBe(false);
  });
});

describe("a sale still delivering at the commit deadline (settled with its running figure)", () => {
  it("the flow goes on stopping the pump while and after it settles, and alarms what the END adds", () => {
    const d = Driver.of(startPreliminary(START, ctxAt(0))) as Driver<PreliminaryState>;
    d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "RESERVED", version: 2 }));
    d.feed({ type: "authorized", ok: true }).feed({ type: "progress", milli: 1000, amountMinor: 1899 });
    d.fire("stall").feed({ type: "stopped", ok: true });
    const running = { state: "delivering" as const, gradeId: "95", milli: 1000, amountMinor: 1899, unitPriceMinor: 1899 };
    for (let i = 0; i < 1000 && d.state.phase !== "updating"; i++) {
      if (d.has("saleRecord")) d.feed({ type: "sale", record: running });
      else if (d.has("stop")) d.feed({ type: "stopped", ok: true });
      else d.runTimers(d.now + 600_000, () => d.has("saleRecord") || d.has("stop"));
    }
    expect(alarmText(d, "delivery-unfinished")).toBeDefined();
    expect(d.state).toMatchObject({ phase: "updating", commitMinor: 1899, pumpOpen: true });
    expect(d.has("stop")).toBe(true);
    d.answer(OK()).answer(OK()).answer(OK({ status: "PAID", version: 3, ersReference: "E1" }));
    d.feed({ type: "printed", ok: true });
    expect(d.state).toMatchObject({ phase: "securing", outcome: "paid" });
    d.feed(END(2000, 3798));
    expect(d.state).toMatchObject({ phase: "finished", outcome: "paid" });
    expect(alarmText(d, "delivered-unpaid")).toContain("1899 delivered unpaid");
  });

  it("an END during the settlement ends the guard there (nothing more to stop), with the alarm", () => {
    const d = parkedDelivering();
    d.feed({ type: "technician", action: "cancel" });
    d.feed(END(1000, 1899));
    expect(d.state).toMatchObject({ phase: "canceling", pumpOpen: false });
    expect(alarmText(d, "delivered-unpaid")).toContain("1899 delivered unpaid");
    d.answer(OK());
    expect(d.state).toMatchObject({ phase: "finished", outcome: "canceled" });
  });
});

describe("the END of a sale settled with its running figure arrives before the commit (review 3 L)", () => {
  /** At the commit deadline the board still shows the sale delivering 18.99: the running figure's updateInvoice is out. */
  function settlingRunning(): Driver<PreliminaryState> {
    const d = Driver.of(startPreliminary(START, ctxAt(0))) as Driver<PreliminaryState>;
    d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "RESERVED", version: 2 }));
    d.feed({ type: "authorized", ok: true }).feed({ type: "progress", milli: 1000, amountMinor: 1899 });
    d.fire("stall").feed({ type: "stopped", ok: true });
    const running = { state: "delivering" as const, gradeId: "95", milli: 1000, amountMinor: 1899, unitPriceMinor: 1899 };
    for (let i = 0; i < 1000 && d.state.phase !== "updating"; i++) {
      if (d.has("saleRecord")) d.feed({ type: "sale", record: running });
      else if (d.has("stop")) d.feed({ type: "stopped", ok: true });
      else d.runTimers(d.now + 600_000, () => d.has("saleRecord") || d.has("stop"));
    }
    expect(d.state).toMatchObject({ phase: "updating", commitMinor: 1899, pumpOpen: true });
    expect(d.call()).toMatchObject({ op: "updateInvoice" });
    return d;
  }
  const lapse = SETTINGS.commitReservationTimeoutS * 1000;
  const total = (d: Driver) => {
    const c = d.call();
    return c.op === "updateInvoice" ? c.invoice.totalAmount : undefined;
  };

  it("updates the invoice again to the END's figure and commits that, when there is time before the reservation lapses", () => {
    const d = settlingRunning();
    expect(d.now + 2 * SETTINGS.glaseCallTimeoutMs).toBeLessThanOrEqual(lapse);
    d.feed(END(2000, 3798));
    expect(d.state.pumpOpen).toBe(false);
    expect(d.timers.has("secure")).toBe(false);
    d.answer(OK());
    expect(d.call()).toMatchObject({ op: "updateInvoice" });
    expect(total(d)).toMatchObject({ minor: 3798 });
    d.answer(OK());
    expect(d.call()).toMatchObject({ op: "commitReservation", amountMinor: 3798 });
    d.answer(OK()).answer(OK({ status: "PAID", version: 3, ersReference: "E1" }));
    d.feed({ type: "printed", ok: true });
    expect(d.state).toMatchObject({ phase: "finished", outcome: "paid", commitMinor: 3798 });
    expect(alarmText(d, "delivered-unpaid")).toBeUndefined();
  });

  it("commits at most the reservation when the END is above it", () => {
    const d = settlingRunning();
    d.feed(END(30000, 56970));
    d.answer(OK());
    expect(total(d)).toMatchObject({ minor: 50000 });
    d.answer(OK());
    expect(d.call()).toMatchObject({ op: "commitReservation", amountMinor: 50000 });
    expect(alarmText(d, "delivered-unpaid")).toContain("6970 delivered unpaid");
  });

  it("without time for a second update, commits what the invoice says and alarms the difference", () => {
    const d = settlingRunning();
    d.feed(END(2000, 3798));
    d.now = lapse - SETTINGS.glaseCallTimeoutMs;
    d.answer(OK());
    expect(d.call()).toMatchObject({ op: "commitReservation", amountMinor: 1899 });
    expect(alarmText(d, "delivered-unpaid")).toContain("1899 delivered unpaid");
  });

  it("a second update that fails commits the figure the first one put on the invoice, with the alarm", () => {
    const d = settlingRunning();
    d.feed(END(2000, 3798));
    d.answer(OK());
    expect(total(d)).toMatchObject({ minor: 3798 });
    d.answer({ kind: "transport", indefinite: true });
    expect(d.call()).toMatchObject({ op: "commitReservation", amountMinor: 1899 });
    expect(alarmText(d, "delivered-unpaid")).toContain("1899 delivered unpaid");
  });

  it("an END equal to the running figure commits it without a second update", () => {
    const d = settlingRunning();
    d.feed(END(1000, 1899));
    d.answer(OK());
    expect(d.call()).toMatchObject({ op: "commitReservation", amountMinor: 1899 });
    expect(alarmText(d, "delivered-unpaid")).toBeUndefined();
  });

  it("after a restart in the update, the invoice is updated to the END's figure", () => {
    const d = settlingRunning();
    d.feed(END(2000, 3798));
    d.feed({ type: "recover" });
    expect(total(d)).toMatchObject({ minor: 3798 });
    d.answer(OK());
    expect(d.call()).toMatchObject({ op: "commitReservation", amountMinor: 3798 });
  });
});
