// Sequences of issue 9 in the kiosk, refund and reconciliation machines: a cancel loop that stopped
// polling a paying customer, refunds re-sent after an ambiguous answer, a lost period mark reported
// as the shift's (empty) report.
import { describe, expect, it } from "vitest";
import type { GlaseCall } from "../../agent/core/effects.ts";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import { startReconciliation, type ReconciliationState } from "../../agent/core/reconciliation.ts";
import { startRefund, type RefundState } from "../../agent/core/refund.ts";
import { CODE, DOWN, Driver, LOST, OK, SETTINGS, ctxAt } from "./helpers.ts";

const calls = (d: Driver, from = 0) => d.since(from, "glase").map((x) => ({ at: x.at, call: (x.effect as { call: GlaseCall }).call }));

describe("POS: cancelling while the customer may be paying", () => {
  function wantingCancel(): Driver<PosState> {
    const d = Driver.of(startPos({ flowId: "p1", point: 9, terminalId: "T9", currency: "SEK", stationName: "Kiosk", amountMinor: 4500 }, ctxAt(0)));
    d.answer(OK({ invoiceReference: "I" })).answer(OK({ status: "ISSUED", version: 1 }));
    d.runTimers(2 * SETTINGS.posWindowMs + 1, () => d.state.pending?.op === "cancelInvoice" || (d.state.pending !== undefined && d.now > SETTINGS.posWindowMs * 2));
    while (d.state.pending?.op !== "cancelInvoice") {
      d.answer(OK({ status: "ISSUED", version: 1 }));
      d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    }
    return d;
  }

  it("(5) cancel answered 51/48/transport: polling goes on at the poll interval until the invoice is settled, cancels are spaced", () => {
    const d = wantingCancel();
    const mark = d.log.length;
    const t0 = d.now;
    const answers = [CODE(51), CODE(48), DOWN, LOST, CODE(90)];
    let n = 0;
    while (d.now < t0 + 300_000 && d.state.phase !== "finished") {
      const op = d.state.pending?.op;
      if (op === "cancelInvoice") d.answer(answers[n++ % answers.length]!);
      else if (op === "getPaymentStatus") d.answer(OK({ status: "ISSUED", version: 1 }));
      d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    }
    expect(d.state.phase, "the flow gave up while the invoice was still open").not.toBe("finished");
    const polls = calls(d, mark).filter((c) => c.call.op === "getPaymentStatus");
    const cancels = calls(d, mark).filter((c) => c.call.op === "cancelInvoice");
    for (let i = 1; i < polls.length; i++) expect(polls[i]!.at - polls[i - 1]!.at).toBeGreaterThanOrEqual(SETTINGS.pollIntervalMs);
    for (let i = 1; i < polls.length; i++) expect(polls[i]!.at - polls[i - 1]!.at).toBeLessThanOrEqual(SETTINGS.pollIntervalMs + SETTINGS.retryMaxMs);
    // Cancels are spaced by a growing backoff: far fewer than one per poll.
    expect(cancels.length).toBeLessThan(polls.length / 2);
    for (let i = 1; i < cancels.length; i++) expect(cancels[i]!.at - cancels[i - 1]!.at).toBeGreaterThanOrEqual(SETTINGS.pollIntervalMs);
    expect(d.alarm("cancel-unconfirmed") || d.log.some((x) => x.effect.type === "alarm" && x.effect.code === "cancel-unconfirmed")).toBe(true);
    // The customer pays in the end: collected, released.
    while (d.state.pending?.op !== "getPaymentStatus") {
      if (d.state.pending) d.answer(CODE(51));
      d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    }
    d.answerPaid(OK({ status: "PAID", version: 2, ersReference: "E" }));
    expect(d.has("release")).toBe(true);
  });

  it("(12) a PAID amount other than the invoice amount raises an alarm", () => {
    const d = Driver.of(startPos({ flowId: "p1", point: 9, terminalId: "T9", currency: "SEK", stationName: "Kiosk", amountMinor: 4500 }, ctxAt(0)));
    d.answer(OK({ invoiceReference: "I" })).answerPaid(OK({ status: "PAID", version: 2, ersReference: "E", paidMinor: 450 }));
    expect(d.alarm("paid-amount-mismatch")).toBe(true);
  });
});

describe("refund: an ambiguous answer is resolved by a read, never by a blind re-send", () => {
  // Every refund first marks the terminal's period (periodBefore): answered P0 here.
  const start = () => Driver.of<RefundState>(startRefund({ flowId: "R1", terminalId: "T", currency: "SEK", ersReference: "E", amountMinor: 1000 }, ctxAt(0))).answer(OK({ transactionPeriodId: "P0" }));
  const report = (rows: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<TransactionDetails>\n<Meta>\n<ResellerId>r</ResellerId>\n<TerminalId>T</TerminalId>\n<TransactionPeriodId>P</TransactionPeriodId>\n<GeneratedAt>2024-03-15 18:00</GeneratedAt>\n</Meta>\n${rows}</TransactionDetails>`;
  const row = (cashier: string, amount: string, ers: string) => `<Row>\n<TerminalId>T</TerminalId>\n<CashierId>${cashier}</CashierId>\n<SalesAmount>${amount}</SalesAmount>\n<ErsReference>${ers}</ErsReference>\n</Row>\n`;

  /** Drives the check: the terminal's period is marked, its details report read. */
  function check(d: Driver<RefundState>, reportText: string): void {
    d.runTimers(d.now + 120_000, () => d.state.pending !== undefined);
    expect(d.call()).toEqual({ op: "markTransactionPeriod", terminalId: "T" });
    d.answer(OK({ transactionPeriodId: "P" }));
    d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    expect(d.call()).toEqual({ op: "executeReport", reportId: "Reconciliation/STD_RECON_007.xml", transactionPeriodId: "P", terminalId: "T" });
    d.answer(CODE(2)).runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    d.answer(OK({ report: reportText }));
  }

  it.each([
    ["90 SYSTEM_ERROR", CODE(90)],
    ["a lost answer", LOST],
    ["a code the contract does not list for refunds", CODE(12)],
  ])("(6) after %s the refund is found in the period's details report ⇒ refunded, never sent twice", (_n, outcome) => {
    const d = start();
    const sent = d.call();
    expect(sent.op === "refundPayment" && sent.invoice.cashierId).toBe("R1");
    d.answer(outcome);
    check(d, report(row("point-9", "45.00000", "PAY1") + row("R1", "-10.00000", "REF1")));
    expect(d.state).toMatchObject({ phase: "finished", outcome: "refunded", refundReference: "REF1" });
    expect(calls(d).filter((c) => c.call.op === "refundPayment")).toHaveLength(1);
  });

  it("(review 1) a report without the refund's row proves nothing (the contract does not promise one) ⇒ parked with what was read, never sent again", () => {
    const d = start().answer(CODE(90));
    check(d, report(row("point-9", "45.00000", "PAY1")));
    expect(d.state.phase).toBe("parked");
    expect(d.alarm("refund-unknown")).toBe(true);
    expect(d.state.parkedMessage).toContain("period P: no row of −1000 (1 rows in all)");
    expect(calls(d).filter((c) => c.call.op === "refundPayment")).toHaveLength(1);
  });

  it("(6) when the check's own mark is ambiguous, a later period can prove the refund happened but never that it did not ⇒ parked, never re-sent", () => {
    const d = start().answer(CODE(90));
    d.runTimers(d.now + 120_000, () => d.state.pending !== undefined);
    expect(d.call().op).toBe("markTransactionPeriod");
    const lostAt = d.now;
    d.answer(LOST);
    // The next mark waits until the lost one can no longer be processed late.
    check(d, report(row("point-9", "45.00000", "PAY1")));
    expect(d.since(0, "glase").filter((x) => x.effect.type === "glase" && x.effect.call.op === "markTransactionPeriod").map((x) => x.at)[2]) // [0] is the pre-mark.toBeGreaterThanOrEqual(lostAt + 2 * SETTINGS.glaseCallTimeoutMs);
    expect(d.state.phase).toBe("parked");
    expect(d.alarm("refund-unknown")).toBe(true);
    expect(calls(d).filter((c) => c.call.op === "refundPayment")).toHaveLength(1);
    // A technician retry reads again; it never sends.
    d.feed({ type: "technician", action: "retry" });
    d.runTimers(d.now + 120_000, () => d.state.pending !== undefined);
    d.answer(OK({ report: report(row("NULL", "-10.00000", "REF1")) }));
    expect(d.state).toMatchObject({ outcome: "refunded", refundReference: "REF1" });
    expect(calls(d).filter((c) => c.call.op === "refundPayment")).toHaveLength(1);
  });

  it("(6) a refund row need not name the refund's cashierId (§5.7 does not say it does): a lone row of −amount is the refund, never a reason to send again", () => {
    for (const cashier of ["NULL", "point-9"]) {
      const d = start().answer(CODE(90));
      check(d, report(row("point-9", "45.00000", "PAY1") + row(cashier, "-10.00000", "REF1")));
      expect(d.state).toMatchObject({ outcome: "refunded", refundReference: "REF1" });
      expect(calls(d).filter((c) => c.call.op === "refundPayment")).toHaveLength(1);
    }
  });

  it("(6) rows of other refunds of this terminal and amount (known references) are not taken for this one", () => {
    const others = { references: ["REF0"], flowIds: ["R0"], unreferenced: 0 };
    const d = Driver.of<RefundState>(startRefund({ flowId: "R1", terminalId: "T", currency: "SEK", ersReference: "E", amountMinor: 1000, others }, ctxAt(0))).answer(OK({ transactionPeriodId: "P0" })).answer(LOST);
    check(d, report(row("NULL", "-10.00000", "REF0")));
    // REF0 is another refund's, and the absence of ours proves nothing: parked, never sent again.
    expect(d.state.phase).toBe("parked");
    expect(calls(d).filter((c) => c.call.op === "refundPayment")).toHaveLength(1);
  });

  it("(6) a row that could be this refund or another one (a technician settled without a reference) ⇒ parked, never re-sent", () => {
    const others = { references: [], flowIds: ["R0"], unreferenced: 1 };
    const d = Driver.of<RefundState>(startRefund({ flowId: "R1", terminalId: "T", currency: "SEK", ersReference: "E", amountMinor: 1000, others }, ctxAt(0))).answer(OK({ transactionPeriodId: "P0" })).answer(LOST);
    check(d, report(row("NULL", "-10.00000", "REFX")));
    expect(d.state.phase).toBe("parked");
    expect(calls(d).filter((c) => c.call.op === "refundPayment")).toHaveLength(1);
  });

  it("(6) a technician retry of a check whose report was not available reads that same period again (a new mark would miss the refund)", () => {
    const d = start().answer(LOST);
    d.runTimers(d.now + 120_000, () => d.state.pending !== undefined);
    d.answer(OK({ transactionPeriodId: "P" }));
    for (let i = 0; d.state.phase !== "parked" && i < 100; i++) {
      d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
      if (d.state.pending) d.answer(CODE(2));
    }
    expect(d.state.phase).toBe("parked");
    d.feed({ type: "technician", action: "retry" });
    expect(d.call()).toEqual({ op: "executeReport", reportId: "Reconciliation/STD_RECON_007.xml", transactionPeriodId: "P", terminalId: "T" });
    d.answer(OK({ report: report(row("NULL", "-10.00000", "REF1")) }));
    expect(d.state).toMatchObject({ outcome: "refunded", refundReference: "REF1" });
    expect(calls(d).filter((c) => c.call.op === "markTransactionPeriod")).toHaveLength(2); // the pre-mark and the check's one
  });

  it("(6) after a restart in the middle of a refund: the same check, not an immediate park or re-send", () => {
    const d = start().feed({ type: "recover" });
    expect(calls(d).filter((c) => c.call.op === "refundPayment")).toHaveLength(1);
    check(d, report(row("R1", "-10.00000", "REF1")));
    expect(d.state).toMatchObject({ outcome: "refunded", refundReference: "REF1" });
  });

  it.each([93, 94])("(review 4) %i is not 'not processed' (§5.8 says busy, no more): checked by a read, never re-sent", (code) => {
    const d = start().answer(CODE(code));
    check(d, report(row("NULL", "-10.00000", "REF1")));
    expect(d.state).toMatchObject({ outcome: "refunded", refundReference: "REF1" });
    expect(calls(d).filter((c) => c.call.op === "refundPayment")).toHaveLength(1);
  });

  it("(review 4) a refund that never reached Glase (connection refused) is sent again", () => {
    const d = start().answer(DOWN);
    d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    expect(d.call().op).toBe("refundPayment");
  });

  it("(review 2c) a technician retry of a parked check re-reads the recorded period (where a late refund lands), never marks a new one", () => {
    const d = start().answer(LOST);
    check(d, report(row("point-9", "45.00000", "PAY1")));
    expect(d.state.phase).toBe("parked");
    // A technician retry re-reads the recorded period; it never marks a new one.
    d.feed({ type: "technician", action: "retry" });
    expect(d.call()).toEqual({ op: "executeReport", reportId: "Reconciliation/STD_RECON_007.xml", transactionPeriodId: "P", terminalId: "T" });
    d.answer(OK({ report: report(row("NULL", "-10.00000", "REF1")) }));
    expect(d.state).toMatchObject({ outcome: "refunded", refundReference: "REF1" });
    expect(calls(d).filter((c) => c.call.op === "markTransactionPeriod")).toHaveLength(2); // the pre-mark and the check's one
  });

  it("(review 4) a check mark answered 93 may have closed a period: marked again, and the park says a lost mark may hold it", () => {
    const e = start().answer(LOST);
    e.runTimers(e.now + 120_000, () => e.state.pending !== undefined);
    e.answer(CODE(93)); // the mark may have been applied: its period unknown
    e.runTimers(e.now + 120_000, () => e.state.pending !== undefined);
    expect(e.call().op).toBe("markTransactionPeriod");
    e.answer(OK({ transactionPeriodId: "P2" }));
    e.runTimers(e.now + 60_000, () => e.state.pending !== undefined);
    e.answer(OK({ report: report("") }));
    expect(e.state.phase).toBe("parked");
    expect(calls(e).filter((c) => c.call.op === "refundPayment")).toHaveLength(1);
    expect(e.state.parkedMessage).toContain("lost and may hold it");
  });
});

describe("reconciliation: a lost period mark", () => {
  const start = () => Driver.of<ReconciliationState>(startReconciliation({ flowId: "c1", scope: "terminal", terminalId: "T", reportId: "Reconciliation/STD_RECON_006.xml" }, ctxAt(0)));

  it.each([
    ["lost", LOST],
    ["answered 90", CODE(90)],
  ])("(4) a markTransactionPeriod %s is never marked again; the outcome says the period is unknown, with an alarm", (_n, outcome) => {
    const d = start().answer(outcome);
    d.runTimers(d.now + 120_000, () => d.state.pending !== undefined);
    expect(calls(d).filter((c) => c.call.op === "markTransactionPeriod")).toHaveLength(1);
    expect(d.state).toMatchObject({ phase: "finished", outcome: "period-unknown" });
    expect(d.log.some((x) => x.effect.type === "alarm" && x.effect.code === "period-unknown")).toBe(true);
  });

  it("(4) a restart while marking does not mark again", () => {
    const d = start().feed({ type: "recover" });
    expect(calls(d).filter((c) => c.call.op === "markTransactionPeriod")).toHaveLength(1);
    expect(d.state.outcome).toBe("period-unknown");
  });

  it.each([
    ["unreachable", DOWN],
  ])("(4) a mark that provably did not happen (%s) is retried", (_n, outcome) => {
    const d = start().answer(outcome);
    d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    expect(d.call().op).toBe("markTransactionPeriod");
  });
});

describe("times sent as local", () => {
  it("(12) issueDate (xs:dateTime without zone) is the station's local time, not UTC", () => {
    const saved = process.env.TZ;
    process.env.TZ = "Asia/Kolkata"; // UTC+5:30, no DST
    try {
      const at = Date.UTC(2024, 2, 15, 9, 0, 0);
      const d = Driver.of(startPos({ flowId: "p1", point: 9, terminalId: "T9", currency: "SEK", stationName: "Kiosk", amountMinor: 4500 }, ctxAt(at)));
      const c = d.call();
      expect(c.op === "sendInvoice" && c.invoice.issueDate).toBe("2024-03-15T14:30:00");
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe("POS: a sendInvoice whose outcome is unknown leaves no invoice unwatched", () => {
  const T = SETTINGS.glaseCallTimeoutMs;
  const start = () => Driver.of<PosState>(startPos({ flowId: "p1", point: 9, terminalId: "T9", currency: "SEK", stationName: "Kiosk", amountMinor: 4500 }, ctxAt(0)));
  const sends = (d: Driver) => calls(d).filter((c) => c.call.op === "sendInvoice").length;
  const PAID_OURS = OK({ status: "PAID", version: 2, ersReference: "E", clientInvoiceId: "p1", invoiceReference: "I1", paidMinor: 4500 });

  it("(new-A) answer lost and status reads keep failing: the flow reads on at the poll cadence (never ends 'offline'), tells a technician, and collects the payment once a read answers", () => {
    const d = start().answer(LOST);
    for (let i = 0; i < 120; i++) {
      expect(d.state.phase).toBe("resolving-send");
      expect(d.call()).toEqual({ op: "getPaymentStatus", version: 0 });
      d.answer(LOST);
      d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    }
    const reads = calls(d).filter((c) => c.call.op === "getPaymentStatus").map((c) => c.at);
    expect(Math.max(...reads.slice(1).map((t, i) => t - reads[i]!))).toBeLessThanOrEqual(SETTINGS.pollIntervalMs);
    expect(d.log.some((x) => x.effect.type === "alarm" && x.effect.code === "send-unresolved")).toBe(true);
    d.answerPaid(PAID_OURS);
    expect(d.state.phase).toBe("releasing");
    expect(sends(d)).toBe(1);
  });

  it("(new-A) after a restart during sendInvoice the current invoice is read at the poll cadence until the lost request can no longer be processed — a payment of it meanwhile is collected, not superseded", () => {
    const d = start().feed({ type: "recover" });
    d.answer(CODE(54)); // the lost request has not arrived yet
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(OK({ status: "ISSUED", version: 1 })); // now it has: open, so it is ours — polled as the current invoice
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    const c = d.call();
    expect(c.op === "getPaymentStatus" && c.invoiceReference).toBeUndefined();
    d.answerPaid(PAID_OURS); // the customer paid it
    expect(d.state.phase).toBe("releasing");
    expect(sends(d)).toBe(1);
  });

  it("(new-A) the fresh sendInvoice goes out only once the lost one can no longer be processed", () => {
    const d = start().answer(CODE(90));
    let resent: number | undefined;
    for (let i = 0; i < 200 && resent === undefined; i++) {
      if (d.state.pending?.op === "getPaymentStatus") d.answer(CODE(54)); // nothing arrived (yet)
      else if (d.state.pending?.op === "sendInvoice") resent = d.now;
      else d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    }
    expect(resent).toBeGreaterThanOrEqual(2 * T);
  });
});

describe("POS: an invoice whose reference was lost is the flow's own while it is the terminal's open one", () => {
  const start = () => Driver.of<PosState>(startPos({ flowId: "p1", point: 9, terminalId: "T9", currency: "SEK", stationName: "Kiosk", amountMinor: 4500 }, ctxAt(0)));
  const ops = (d: Driver, from = 0) => calls(d, from).map((c) => c.call.op);

  it("(new-A) it is polled — not superseded under a customer about to pay it — and a payment of it is collected", () => {
    const d = start().answer(LOST);
    d.answer(OK({ status: "ISSUED", version: 1 }));
    for (let i = 0; i < 25; i++) {
      d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
      d.answer(OK({ status: "ISSUED", version: 1 }));
    }
    expect(ops(d).filter((o) => o === "sendInvoice")).toHaveLength(1);
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answerPaid(OK({ status: "PAID", version: 2, ersReference: "E", clientInvoiceId: "p1", invoiceReference: "I1", paidMinor: 4500 }));
    expect(d.state).toMatchObject({ phase: "releasing", invoiceRef: "I1" });
  });

  it("(new-A) at the windows' end it is superseded right after a poll showed it open, and the new one cancelled; a refused supersede is retried, never walked away from", () => {
    const d = start().answer(LOST);
    d.answer(OK({ status: "ISSUED", version: 1 }));
    while (d.state.pending?.op !== "sendInvoice" && d.now < 10 * SETTINGS.posWindowMs) {
      d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
      if (d.state.pending?.op === "getPaymentStatus") d.answer(OK({ status: "ISSUED", version: 1 }));
    }
    expect(d.call().op).toBe("sendInvoice");
    expect(d.now).toBeGreaterThanOrEqual((1 + SETTINGS.posExtraWindows) * SETTINGS.posWindowMs);
    d.answer(DOWN); // not processed: the old one is still open
    expect(d.state.phase).toBe("polling");
    const mark = d.log.length;
    while (d.state.pending?.op !== "sendInvoice") {
      d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
      if (d.state.pending?.op === "getPaymentStatus") d.answer(OK({ status: "ISSUED", version: 1 }));
    }
    d.answer(OK({ invoiceReference: "I2" })).answer(OK({ status: "ISSUED", version: 1 }));
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "I2" });
    d.answer(OK());
    expect(d.state.outcome).toBe("canceled");
    expect(ops(d, mark).filter((o) => o === "sendInvoice")).toHaveLength(1);
  });
});
