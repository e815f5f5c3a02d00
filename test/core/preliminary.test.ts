import { describe, expect, it } from "vitest";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { CODE, DOWN, Driver, LOST, OK, SETTINGS, ctxAt } from "./helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];

function begin(reserveMinor = 50000): Driver<PreliminaryState> {
  return Driver.of(
    startPreliminary(
      { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L", grades: GRADES, gradeId: "95", reserveMinor },
      ctxAt(0),
    ),
  );
}

/** Up to RESERVED and authorized. */
function reserved(reserveMinor = 50000): Driver<PreliminaryState> {
  const d = begin(reserveMinor).answer(OK({ invoiceReference: "INV1" }));
  d.answer(OK({ status: "ISSUED", version: 1 })).fire("poll").answer(OK({ status: "RESERVED", version: 2 }));
  expect(d.state.phase).toBe("authorizing");
  return d.feed({ type: "authorized", ok: true });
}

function delivered(d: Driver<PreliminaryState>, milli: number, amountMinor: number): Driver<PreliminaryState> {
  d.feed({ type: "nozzle", up: true }).feed({ type: "progress", milli: milli / 2, amountMinor: Math.floor(amountMinor / 2) });
  return d.feed({ type: "end", gradeId: "95", milli, amountMinor, unitPriceMinor: 1899, reason: "nozzle-down" });
}

function committed(d: Driver<PreliminaryState>): Driver<PreliminaryState> {
  expect(d.call().op).toBe("updateInvoice");
  d.answer(OK());
  expect(d.call().op).toBe("commitReservation");
  return d.answer(OK());
}

describe("preliminary flow", () => {
  it("happy path: reserve, authorize with the reserved limit, deliver, update rows, commit the metered amount, receipt", () => {
    const d = begin();
    const send = d.call();
    expect(send.op === "sendInvoice" && send.invoice.paymentMode).toBe("RESERVATION_REQUIRED_PRELIMINARY_AMOUNT");
    expect(send.op === "sendInvoice" && send.invoice.commitReservationTimeout).toBe(300);
    expect(send.op === "sendInvoice" && send.invoice.totalAmount?.minor).toBe(50000);
    d.answer(OK({ invoiceReference: "INV1" }));
    expect(d.call()).toEqual({ op: "getPaymentStatus", invoiceReference: "INV1", version: 0 });
    d.answer(OK({ status: "ISSUED", version: 1 }));
    expect(d.timerStarted("poll")).toBe(true);
    d.fire("poll");
    expect(d.call()).toEqual({ op: "getPaymentStatus", invoiceReference: "INV1", version: 1 });
    d.answer(OK({ status: "RESERVED", version: 2 }));
    expect(d.has("authorize", (e) => e.type === "authorize" && e.limitMinor === 50000 && e.transactionId === "f1")).toBe(true);
    d.feed({ type: "authorized", ok: true });
    expect(d.timerStarted("nozzle")).toBe(true);
    delivered(d, 20_000, 37980);
    const upd = d.call();
    expect(upd.op).toBe("updateInvoice");
    if (upd.op === "updateInvoice") {
      const rows = upd.invoice.invoiceRows!;
      expect(rows.reduce((a, r) => a + r.itemTotalAmount!.minor, 0)).toBe(upd.invoice.totalAmount!.minor);
      expect(rows[0]!.itemQuantity).toBe("20.000");
      expect(rows[0]!.itemUnitPrice?.minor).toBe(1899);
      expect(upd.invoice.totalAmount!.minor).toBe(37980);
    }
    d.answer(OK());
    expect(d.call()).toEqual({ op: "commitReservation", invoiceReference: "INV1", amountMinor: 37980, currency: "SEK" });
    d.answer(OK());
    expect(d.call()).toMatchObject({ op: "getPaymentStatus", invoiceReference: "INV1" });
    d.answer(OK({ status: "PAID", version: 4, ersReference: "ERS1" }));
    expect(d.state.phase).toBe("printing");
    expect(d.has("print", (e) => e.type === "print" && e.receipt.amountMinor === 37980 && e.receipt.ersReference === "ERS1")).toBe(true);
    d.feed({ type: "printed", ok: false });
    expect(d.state).toMatchObject({ phase: "finished", outcome: "paid", ersReference: "ERS1" });
  });

  it("clientReferences are unique per call and at most 32 characters", () => {
    const d = reserved();
    delivered(d, 1000, 1899);
    const refs = new Set<string>();
    for (let i = 0; i < 3; i++) {
      refs.add(d.state.pending!.ref);
      expect(d.state.pending!.ref.length).toBeLessThanOrEqual(32);
      d.answer(OK({ status: "PAID", ersReference: "E" }));
    }
    expect(refs.size).toBe(3);
  });

  it("nothing delivered ⇒ cancelInvoice, no charge", () => {
    const d = reserved();
    d.feed({ type: "end", gradeId: "95", milli: 0, amountMinor: 0, unitPriceMinor: 1899, reason: "nozzle-down" });
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "INV1" });
    d.answer(OK());
    expect(d.state).toMatchObject({ phase: "finished", outcome: "canceled" });
  });

  it("customer never lifts the nozzle ⇒ stop, sale record says nothing delivered ⇒ cancel", () => {
    const d = reserved();
    d.fire("nozzle");
    expect(d.has("stop")).toBe(true);
    d.feed({ type: "stopped", ok: true });
    expect(d.has("saleRecord")).toBe(true);
    d.feed({ type: "sale", record: { state: "finished", milli: 0, amountMinor: 0, reason: "stopped" } });
    expect(d.call().op).toBe("cancelInvoice");
    d.answer(CODE(95));
    expect(d.state.outcome).toBe("canceled");
  });

  it("customer never confirms in the app ⇒ cancel after the reservation wait", () => {
    const d = begin().answer(OK({ invoiceReference: "INV1" }));
    d.fire("customer"); // poll in flight: remembered
    expect(d.state.cancelWanted).toBe("customer-timeout");
    d.answer(OK({ status: "ISSUED", version: 1 }));
    expect(d.call().op).toBe("cancelInvoice");
    d.answer(OK());
    expect(d.state.outcome).toBe("canceled");
  });

  it.each(["CANCELED", "FAILED", "EXPIRED"])("customer declines in the app (%s) ⇒ canceled, nothing authorized", (status) => {
    const d = begin().answer(OK({ invoiceReference: "INV1" })).answer(OK({ status, version: 2 }));
    expect(d.state.outcome).toBe("canceled");
    expect(d.has("authorize")).toBe(false);
  });

  it("delivery stall ⇒ stop and settle what the board metered when it ended the sale", () => {
    const d = reserved();
    d.feed({ type: "progress", milli: 5000, amountMinor: 9495 });
    expect(d.timerStarted("stall")).toBe(true);
    d.fire("stall");
    expect(d.has("stop")).toBe(true);
    d.feed({ type: "stopped", ok: true }).feed({ type: "sale", record: { state: "finished", milli: 5100, amountMinor: 9685, gradeId: "95", unitPriceMinor: 1899, reason: "stopped" } });
    expect(d.call().op).toBe("updateInvoice");
    committed(d);
    expect(d.state.commitMinor).toBe(9685);
  });

  it("overrun above the reservation ⇒ commit the reserved amount and raise an alarm", () => {
    const d = reserved(10000);
    delivered(d, 6000, 11394);
    expect(d.alarm("overrun")).toBe(true);
    const upd = d.call();
    expect(upd.op === "updateInvoice" && upd.invoice.totalAmount!.minor).toBe(10000);
    d.answer(OK());
    expect(d.call()).toMatchObject({ op: "commitReservation", amountMinor: 10000 });
  });

  it("commit outcome lost ⇒ read status at once; RESERVED once a late answer is ruled out ⇒ commit again; PAID ⇒ done", () => {
    const d = reserved();
    delivered(d, 1000, 1899).answer(OK());
    expect(d.call().op).toBe("commitReservation");
    d.answer(LOST);
    expect(d.state.phase).toBe("checking-commit");
    expect(d.call().op).toBe("getPaymentStatus");
    // RESERVED right after a lost commit proves nothing: Glase may still be processing it.
    d.answer(OK({ status: "RESERVED", version: 2 }));
    expect(d.timerStarted("retry")).toBe(true);
    d.advance(2 * SETTINGS.glaseCallTimeoutMs).fire("retry");
    expect(d.call().op).toBe("getPaymentStatus");
    d.answer(OK({ status: "RESERVED", version: 2 }));
    expect(d.timerStarted("retry")).toBe(true); // a second commit waits a backoff
    d.fire("retry");
    expect(d.call().op).toBe("commitReservation");
    d.answer(LOST).answer(OK({ status: "PAID", version: 3, ersReference: "E9" }));
    expect(d.state.phase).toBe("printing");
  });

  it("commit answered but the reservation lapsed ⇒ parked with an alarm", () => {
    const d = reserved();
    delivered(d, 1000, 1899).answer(OK()).answer(CODE(96));
    expect(d.call().op).toBe("getPaymentStatus");
    d.answer(OK({ status: "CANCELED", version: 3 }));
    expect(d.state.phase).toBe("parked");
    expect(d.alarm("reservation-lapsed")).toBe(true);
    d.feed({ type: "technician", action: "mark-settled" });
    d.answer(OK({ status: "CANCELED", version: 3 })); // read first: nothing left open to cancel
    expect(d.state.outcome).toBe("settled-manually");
  });

  it("offline after RESERVED: settlement backs off (capped, jittered) until the commit deadline, then parks", () => {
    const d = reserved();
    delivered(d, 1000, 1899);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      d.answer(DOWN);
      const t = d.effects.find((e) => e.type === "startTimer" && e.name === "retry");
      if (t?.type === "startTimer") delays.push(t.delayMs);
      d.fire("retry");
    }
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    expect(Math.max(...delays)).toBeLessThanOrEqual(SETTINGS.retryMaxMs);
    d.advance((SETTINGS.commitReservationTimeoutS - SETTINGS.commitSafetyMarginS) * 1000);
    d.answer(DOWN);
    expect(d.state.phase).toBe("parked");
    expect(d.alarm("settlement-parked")).toBe(true);
  });

  it("sendInvoice answer lost ⇒ read the terminal's current invoice, then supersede it with one new invoice", () => {
    const d = begin().answer(LOST);
    expect(d.call()).toEqual({ op: "getPaymentStatus", version: 0 });
    while (d.state.pending?.op === "getPaymentStatus") {
      d.answer(OK({ status: "ISSUED", version: 1 }));
      d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    }
    expect(d.call().op).toBe("sendInvoice");
    d.answer(OK({ invoiceReference: "INV2" }));
    expect(d.state.invoiceRef).toBe("INV2");
  });

  it("recovery after a crash mid-delivery asks the dispenser's sale record and settles it", () => {
    const d = reserved();
    d.feed({ type: "progress", milli: 3000, amountMinor: 5697 });
    d.feed({ type: "recover" });
    expect(d.has("saleRecord")).toBe(true);
    d.feed({ type: "sale", record: { state: "finished", milli: 8000, amountMinor: 15192, gradeId: "95", unitPriceMinor: 1899, reason: "nozzle-down" } });
    committed(d);
    expect(d.state.commitMinor).toBe(15192);
  });

  it("recovery of a commit never re-sends it blindly", () => {
    const d = reserved();
    delivered(d, 1000, 1899).answer(OK());
    expect(d.call().op).toBe("commitReservation");
    d.feed({ type: "recover" });
    expect(d.call().op).toBe("getPaymentStatus");
  });

  // Every result code that can answer each call, and where the flow goes.
  const CREDENTIALS = [20, 21, 29, 33, 37];
  const table: Array<[string, (code: number) => Driver<PreliminaryState>, number[], string]> = [
    ["sendInvoice 90/93/94 (may exist: §5.8 does not say busy means not processed) ⇒ read the terminal's current invoice", (c) => begin().answer(CODE(c)), [90, 93, 94], "resolving-send"],
    ["sendInvoice rejected ⇒ failed + alarm", (c) => begin().answer(CODE(c)), [11, 49, 64, 91, ...CREDENTIALS], "finished:failed"],
    ["poll temporary ⇒ keep polling", (c) => begin().answer(OK({ invoiceReference: "I" })).answer(CODE(c)), [90, 91, 93, 94], "awaiting-reservation"],
    // One refused read is no proof the invoice is gone (the customer may still reserve it): read on (review 2 F).
    ["poll 54/credentials ⇒ alarm, read on", (c) => begin().answer(OK({ invoiceReference: "I" })).answer(CODE(c)), [54, ...CREDENTIALS], "awaiting-reservation"],
    [
      "cancel: done or already canceled ⇒ canceled",
      (c) => reserved().feed({ type: "end", gradeId: "95", milli: 0, amountMinor: 0, unitPriceMinor: 1, reason: "nozzle-down" }).answer(CODE(c)),
      [95, 54],
      "finished:canceled",
    ],
    [
      "cancel: in progress or temporary ⇒ retry the cancel",
      (c) => reserved().feed({ type: "end", gradeId: "95", milli: 0, amountMinor: 0, unitPriceMinor: 1, reason: "nozzle-down" }).answer(CODE(c)),
      [48, 51, 90, 93, 94],
      "canceling",
    ],
    ["update temporary/in progress ⇒ back off", (c) => delivered(reserved(), 1000, 1899).answer(CODE(c)), [48, 90, 93, 94], "updating"],
    ["update bad data ⇒ alarm, commit anyway", (c) => delivered(reserved(), 1000, 1899).answer(CODE(c)), [11, 49, 64, 91], "committing"],
    ["update invoice gone ⇒ read status", (c) => delivered(reserved(), 1000, 1899).answer(CODE(c)), [54, 96], "checking-commit"],
    ["commit temporary ⇒ read status before any new commit", (c) => delivered(reserved(), 1000, 1899).answer(OK()).answer(CODE(c)), [90, 93, 94, 91], "checking-commit"],
    ["commit 96 ⇒ read status", (c) => delivered(reserved(), 1000, 1899).answer(OK()).answer(CODE(c)), [96], "checking-commit"],
    // Not "not processed" in the contract: the commit may have been applied — read (review 2 E).
    ["commit refused amount/credentials ⇒ read status, alarm", (c) => delivered(reserved(), 1000, 1899).answer(OK()).answer(CODE(c)), [11, ...CREDENTIALS], "checking-commit"],
    ["status after commit temporary ⇒ back off", (c) => delivered(reserved(), 1000, 1899).answer(OK()).answer(OK()).answer(CODE(c)), [90, 93, 94], "checking-commit"],
    ["status after an accepted commit 54 ⇒ read on (the invoice may be PAID), alarm", (c) => delivered(reserved(), 1000, 1899).answer(OK()).answer(OK()).answer(CODE(c)), [54], "checking-commit"],
  ];
  for (const [name, run, codes, expected] of table) {
    it.each(codes)(`${name} (%i)`, (code) => {
      const d = run(code);
      const got = d.state.phase === "finished" ? `finished:${d.state.outcome}` : d.state.phase;
      expect(got).toBe(expected);
    });
  }

  it("cancel answered 50 (paid although cancelled) ⇒ parked for a technician", () => {
    const d = reserved().feed({ type: "end", gradeId: "95", milli: 0, amountMinor: 0, unitPriceMinor: 1, reason: "nozzle-down" }).answer(CODE(50));
    expect(d.state.phase).toBe("parked");
    expect(d.alarm("paid-while-canceling")).toBe(true);
  });

  it("authorize refused by the controller ⇒ sale record check ⇒ nothing there ⇒ cancel", () => {
    const d = begin().answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "RESERVED", version: 2 }));
    d.feed({ type: "authorized", ok: false });
    expect(d.has("saleRecord")).toBe(true);
    d.feed({ type: "sale", record: null });
    expect(d.call().op).toBe("cancelInvoice");
  });

  it("controller unreachable for the sale record ⇒ retried, parked at the commit deadline", () => {
    const d = reserved();
    d.fire("nozzle").feed({ type: "stopped", ok: false }).feed({ type: "sale", record: null, failed: true });
    expect(d.timerStarted("retry")).toBe(true);
    d.fire("retry");
    expect(d.has("saleRecord")).toBe(true);
    d.advance(SETTINGS.commitReservationTimeoutS * 1000).feed({ type: "sale", record: null, failed: true });
    expect(d.state.phase).toBe("parked");
    expect(d.alarm("dispenser-unreachable")).toBe(true);
  });

  it("stale answers (wrong ref) are ignored", () => {
    const d = begin();
    const before = d.state;
    d.feed({ type: "glase", op: "sendInvoice", ref: "other", outcome: OK({ invoiceReference: "X" }) });
    expect(d.state).toBe(before);
  });

  it("technician stop during delivery stops and settles", () => {
    const d = reserved();
    d.feed({ type: "progress", milli: 1000, amountMinor: 1899 }).feed({ type: "technician", action: "stop" });
    expect(d.has("stop")).toBe(true);
    d.feed({ type: "end", gradeId: "95", milli: 1000, amountMinor: 1899, unitPriceMinor: 1899, reason: "stopped" });
    expect(d.call().op).toBe("updateInvoice");
  });
});
