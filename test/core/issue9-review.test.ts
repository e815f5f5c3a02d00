// Sequences of the hostile review of issue 9 (docs/recovery.md, "Review 1") in the pure machines:
// each test failed on the code before its fix.
import { describe, expect, it } from "vitest";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { CODE, Driver, OK, SETTINGS, ctxAt } from "./helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const START = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };
const POS = { flowId: "k1", point: 9, terminalId: "T9", currency: "SEK", stationName: "K", amountMinor: 2500 };

const prelim = () => Driver.of(startPreliminary(START, ctxAt(0))) as Driver<PreliminaryState>;
const pos = () => Driver.of(startPos(POS, ctxAt(0))) as Driver<PosState>;

/** Reserved, delivered 18.99, updated, commit accepted: the invoice may be PAID now. */
function committed(): Driver<PreliminaryState> {
  const d = prelim();
  d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "RESERVED", version: 2 }));
  d.feed({ type: "authorized", ok: true });
  d.feed({ type: "end", gradeId: "95", milli: 1000, amountMinor: 1899, unitPriceMinor: 1899, reason: "nozzle-down" });
  d.answer(OK());
  expect(d.state.pending?.op).toBe("commitReservation");
  return d.answer(OK());
}

describe("review #3: a definite code on a status read never stops reading a possibly PAID invoice", () => {
  it.each([33, 20, 21, 29, 37, 54])("preliminary: %i on the read after an accepted commit ⇒ alarm at once, reads go on at the poll cadence, PAID collected", (code) => {
    const d = committed().answer(CODE(code));
    expect(d.state.phase).toBe("checking-commit");
    expect(d.alarm("status-read-refused")).toBe(true);
    const from = d.log.length;
    d.runTimers(d.now + SETTINGS.pollIntervalMs + SETTINGS.glaseCallTimeoutMs, () => d.state.pending !== undefined);
    expect(d.since(from, "glase").length).toBe(1);
    for (let i = 0; i < 25; i++) {
      d.answer(CODE(code));
      d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    }
    const reads = d.since(from, "glase").map((x) => x.at);
    for (let i = 1; i < reads.length; i++) expect(reads[i]! - reads[i - 1]!).toBeLessThanOrEqual(SETTINGS.pollIntervalMs);
    expect(d.log.filter((x) => x.effect.type === "alarm" && x.effect.code === "status-read-refused")).toHaveLength(1);
    d.answer(OK({ status: "PAID", version: 3, ersReference: "E1" }));
    expect(d.state.phase).toBe("printing");
  });

  it("preliminary: the reads end (parked) once the reservation can no longer be paid", () => {
    const d = committed();
    for (let i = 0; i < 100_000 && d.state.phase === "checking-commit"; i++) {
      if (d.state.pending) d.answer(CODE(33));
      d.runTimers(d.now + 600_000, () => d.state.pending !== undefined);
    }
    expect(d.state.phase).toBe("parked");
    expect(d.now).toBeGreaterThanOrEqual(SETTINGS.commitReservationTimeoutS * 1000 + 20_000);
  });

  it.each([54, 20, 29, 33, 37])("POS: %i while polling ⇒ alarm, polling goes on, the customer's PAID is collected", (code) => {
    const d = pos().answer(OK({ invoiceReference: "INV9" })).answer(CODE(code));
    expect(d.state.phase).not.toBe("finished");
    expect(d.alarm("status-read-refused")).toBe(true);
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answerPaid(OK({ status: "PAID", version: 3, ersReference: "E1" }));
    expect(d.log.some((x) => x.effect.type === "release")).toBe(true);
  });
});

describe("review #5: a technician stop is honoured in every phase", () => {
  it("preliminary: stop while the sale record is read (an AUTH answer lost, but applied) ⇒ the pump is stopped, never handed to a customer", () => {
    const d = prelim();
    d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "RESERVED", version: 2 }));
    d.feed({ type: "authorized", ok: false });
    expect(d.state.phase).toBe("checking-sale");
    d.feed({ type: "technician", action: "stop" });
    d.feed({ type: "sale", record: { state: "authorized", milli: 0, amountMinor: 0 } });
    expect(d.state.phase).toBe("stopping");
    expect(d.has("stop")).toBe(true);
    d.feed({ type: "stopped", ok: true }).feed({ type: "sale", record: { state: "finished", milli: 0, amountMinor: 0 } });
    expect(d.call().op).toBe("cancelInvoice");
  });

  it("POS: stop while the invoice is being sent ⇒ cancelled as soon as it is known; nothing released", () => {
    const d = pos();
    d.feed({ type: "technician", action: "stop" });
    d.answer(OK({ invoiceReference: "INV9" }));
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "INV9" });
    d.answer(OK());
    expect(d.state).toMatchObject({ phase: "finished", outcome: "canceled" });
    expect(d.log.some((x) => x.effect.type === "release")).toBe(false);
  });

  it("POS: stopped, but the customer paid before the cancel (50) ⇒ the PAID is read, a receipt printed, nothing released, a technician told", () => {
    const d = pos();
    d.feed({ type: "technician", action: "stop" });
    d.answer(OK({ invoiceReference: "INV9" })).answer(CODE(50));
    d.answerPaid(OK({ status: "PAID", version: 3, ersReference: "E1" }));
    expect(d.log.some((x) => x.effect.type === "release")).toBe(false);
    expect(d.alarm("paid-while-stopped")).toBe(true);
    expect(d.has("print")).toBe(true);
    d.feed({ type: "printed", ok: true });
    expect(d.state.outcome).toBe("paid-not-released");
  });
});

describe("review #7: a preliminary cancel answered 51/48 is counted, spaced and alarmed", () => {
  it.each([51, 48])("cancel answered %i for ever ⇒ cancels back off, an alarm, and the flow ends once the reservation has lapsed", (code) => {
    const d = prelim();
    d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "ISSUED", version: 1 }));
    d.advance(1000).fire("customer");
    let cancels = 0;
    for (let i = 0; i < 10_000 && d.state.phase !== "finished"; i++) {
      if (d.state.pending?.op === "cancelInvoice") (cancels++, d.answer(CODE(code)));
      d.runTimers(d.now + 600_000, () => d.state.pending !== undefined);
    }
    expect(d.alarm("cancel-unconfirmed") || d.log.some((x) => x.effect.type === "alarm" && x.effect.code === "cancel-unconfirmed")).toBe(true);
    // One a second until the reservation lapses would be commitReservationTimeoutS; spaced, far fewer.
    expect(cancels).toBeLessThan(SETTINGS.commitReservationTimeoutS / 2);
    expect(d.state.phase).toBe("finished");
  });
});

describe("review #10: mark-settled of a flow parked while RESERVED reads the invoice and cancels it", () => {
  function parkedReserved(): Driver<PreliminaryState> {
    const d = prelim();
    d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "RESERVED", version: 2 }));
    d.feed({ type: "authorized", ok: false });
    for (let i = 0; i < 1000 && d.state.phase !== "parked"; i++) {
      d.feed({ type: "sale", record: null, failed: true });
      d.runTimers(d.now + 600_000, () => d.state.phase === "checking-sale" && d.has("saleRecord"));
    }
    expect(d.state.phase).toBe("parked");
    return d;
  }

  it("still RESERVED ⇒ cancelled, outcome settled-manually", () => {
    const d = parkedReserved();
    d.feed({ type: "technician", action: "mark-settled" });
    expect(d.call()).toMatchObject({ op: "getPaymentStatus", invoiceReference: "INV1" });
    d.answer(OK({ status: "RESERVED", version: 2 }));
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "INV1" });
    d.answer(OK());
    // The AUTH's answer was lost and the board never answered since: the pump may hold it. The
    // flow holds the point, stopping it, until the board says it holds no sale of ours (review 2, C).
    expect(d.state).toMatchObject({ phase: "securing", outcome: "settled-manually" });
    expect(d.timers.has("secure")).toBe(true);
    d.feed({ type: "sale", record: null });
    expect(d.state).toMatchObject({ phase: "finished", outcome: "settled-manually" });
  });

  it("already closed ⇒ settled without a cancel", () => {
    const d = parkedReserved();
    d.feed({ type: "technician", action: "mark-settled" }).answer(OK({ status: "CANCELED", version: 3 }));
    expect(d.state).toMatchObject({ phase: "securing", outcome: "settled-manually" });
    d.feed({ type: "sale", record: null });
    expect(d.state).toMatchObject({ phase: "finished", outcome: "settled-manually" });
  });
});

describe("review #9: a kiosk confirms a PAID with one more read before it releases (§9 A45)", () => {
  const PAID = OK({ status: "PAID", version: 3, ersReference: "E1" });
  const released = (d: Driver) => d.log.filter((x) => x.effect.type === "release").length;

  it("PAID, then CANCELED on the next poll (reversed at the 20-s boundary) ⇒ nothing released, a technician told", () => {
    const d = pos().answer(OK({ invoiceReference: "INV9" })).answer(PAID);
    expect(released(d)).toBe(0);
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    expect(d.call()).toMatchObject({ op: "getPaymentStatus", invoiceReference: "INV9" });
    d.answer(OK({ status: "CANCELED", version: 4 }));
    expect(released(d)).toBe(0);
    expect(d.alarm("paid-reversed")).toBe(true);
    expect(d.state).toMatchObject({ phase: "finished", outcome: "reversed" });
  });

  it("PAID confirmed ⇒ released once, the confirming read one poll interval after the first", () => {
    const d = pos().answer(OK({ invoiceReference: "INV9" }));
    const firstRead = d.now;
    d.answer(PAID).runTimers(d.now + 5000, () => d.state.pending !== undefined);
    expect(d.now - firstRead).toBeLessThanOrEqual(SETTINGS.pollIntervalMs);
    d.answer(PAID);
    expect(released(d)).toBe(1);
  });

  it("confirming reads that keep failing ⇒ released on the PAID read, with an alarm", () => {
    const d = pos().answer(OK({ invoiceReference: "INV9" })).answer(PAID);
    for (let i = 0; i < 10 && d.state.phase === "confirming"; i++) {
      d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
      d.answer(CODE(90));
    }
    expect(released(d)).toBe(1);
    expect(d.alarm("paid-unconfirmed")).toBe(true);
  });
});
