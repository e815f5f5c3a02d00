import { describe, expect, it } from "vitest";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import { startReconciliation, type ReconciliationState } from "../../agent/core/reconciliation.ts";
import { startRefund, type RefundState } from "../../agent/core/refund.ts";
import { CODE, DOWN, Driver, LOST, OK, ctxAt } from "./helpers.ts";

function pos(): Driver<PosState> {
  return Driver.of(startPos({ flowId: "p1", point: 9, terminalId: "T9", currency: "SEK", stationName: "Kiosk", amountMinor: 4500 }, ctxAt(0)));
}

describe("POS flow", () => {
  it("IMMEDIATE_DEBIT, poll, PAID ⇒ release ⇒ receipt", () => {
    const d = pos();
    const c = d.call();
    expect(c.op === "sendInvoice" && c.invoice.paymentMode).toBe("IMMEDIATE_DEBIT");
    d.answer(OK({ invoiceReference: "I" }));
    expect(d.timerStarted("customer")).toBe(true);
    d.answer(OK({ status: "ISSUED", version: 1 })).fire("poll").answerPaid(OK({ status: "PAID", version: 2, ersReference: "E" }));
    expect(d.has("release", (e) => e.type === "release" && e.amountMinor === 4500)).toBe(true);
    d.feed({ type: "released", ok: true });
    expect(d.has("print")).toBe(true);
    d.feed({ type: "printed", ok: true });
    expect(d.state).toMatchObject({ outcome: "paid", ersReference: "E" });
  });

  it("unattended policy: one extra window on the same invoice, then cancel", () => {
    const d = pos().answer(OK({ invoiceReference: "I" })).answer(OK({ status: "ISSUED", version: 1 }));
    d.fire("customer");
    expect(d.state.windows).toBe(2);
    expect(d.state.pending).toBeUndefined();
    d.fire("customer");
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "I" });
    d.answer(OK());
    expect(d.state.outcome).toBe("canceled");
  });

  it("cancel answered 50 ⇒ poll again to collect the payment", () => {
    const d = pos().answer(OK({ invoiceReference: "I" })).answer(OK({ status: "ISSUED", version: 1 }));
    d.fire("customer").fire("customer").answer(CODE(50));
    expect(d.call().op).toBe("getPaymentStatus");
    d.answerPaid(OK({ status: "PAID", version: 3, ersReference: "E" }));
    expect(d.state.phase).toBe("releasing");
  });

  it.each([48, 51, 90, 93, 94])("cancel answered %i ⇒ keep polling at the poll interval, retry the cancel after a backoff", (code) => {
    const d = pos().answer(OK({ invoiceReference: "I" })).answer(OK({ status: "ISSUED", version: 1 }));
    d.fire("customer").fire("customer").answer(CODE(code));
    expect(d.timerStarted("poll")).toBe(true);
    d.fire("poll");
    expect(d.call().op).toBe("getPaymentStatus");
    while (d.state.pending?.op === "getPaymentStatus") {
      d.answer(OK({ status: "ISSUED", version: 1 }));
      if (!d.state.pending) d.advance(1000).fire("poll");
    }
    expect(d.call().op).toBe("cancelInvoice");
  });

  it.each([90, 93, 94])("poll answered %i ⇒ keep polling", (code) => {
    const d = pos().answer(OK({ invoiceReference: "I" })).answer(CODE(code));
    expect(d.timerStarted("poll")).toBe(true);
  });

  it.each([54, 20, 29])("poll answered %i ⇒ an alarm, and polling goes on (the customer may still pay)", (code) => {
    const d = pos().answer(OK({ invoiceReference: "I" })).answer(CODE(code));
    expect(d.state.phase).toBe("polling");
    expect(d.alarm("status-read-refused")).toBe(true);
    expect(d.timerStarted("poll")).toBe(true);
  });

  it("lost sendInvoice that the customer already paid is adopted, not re-sent", () => {
    const d = pos().answer(LOST);
    expect(d.call()).toEqual({ op: "getPaymentStatus", version: 0 });
    d.answerPaid(OK({ status: "PAID", version: 2, ersReference: "E", clientInvoiceId: "p1", invoiceReference: "I" }));
    expect(d.state.phase).toBe("releasing");
  });

  it("recovery during release never releases twice", () => {
    const d = pos().answer(OK({ invoiceReference: "I" })).answerPaid(OK({ status: "PAID", version: 2, ersReference: "E" }));
    d.feed({ type: "recover" });
    expect(d.has("release")).toBe(false);
    expect(d.alarm("release-unknown")).toBe(true);
  });
});

describe("refund flow", () => {
  // Every refund first marks the terminal's period (periodBefore): answered P0 here.
  const start = () => Driver.of<RefundState>(startRefund({ flowId: "r1", terminalId: "T", currency: "SEK", ersReference: "E", amountMinor: 1000 }, ctxAt(0))).answer(OK({ transactionPeriodId: "P0" }));
  it("refunds and keeps the refund's own reference", () => {
    const d = start();
    const c = d.call();
    expect(c.op === "refundPayment" && c.invoice.totalAmount?.minor).toBe(1000);
    d.answer(OK({ ersReference: "R1" }));
    expect(d.state).toMatchObject({ outcome: "refunded", refundReference: "R1" });
  });
  it.each([23, 97, 98, 99, 11, 49, 48])("definite refusal %i ⇒ failed with the code", (code) => {
    expect(start().answer(CODE(code)).state).toMatchObject({ outcome: "failed", failCode: code });
  });
  it.each([93, 94])("busy %i may still have been processed (§5.8 promises nothing) ⇒ checked, not re-sent", (code) => {
    const d = start().answer(CODE(code));
    expect(d.state.phase).toBe("check-pending");
    d.fire("retry");
    expect(d.call().op).toBe("markTransactionPeriod");
  });
  it("lost answer or 90 ⇒ never re-sent at once: a check of the period's report comes first", () => {
    for (const d of [start().answer(LOST), start().answer(CODE(90)), start().feed({ type: "recover" })]) {
      expect(d.state.phase).toBe("check-pending");
      expect(d.state.pending).toBeUndefined();
    }
  });
});

describe("reconciliation flow", () => {
  const start = (scope: "shop" | "terminal" = "terminal") =>
    Driver.of<ReconciliationState>(startReconciliation({ flowId: "c1", scope, terminalId: "T", reportId: "Reconciliation/STD_RECON_006.xml" }, ctxAt(0)));
  it("marks, waits, retries REPORT_NOT_READY, reports", () => {
    const d = start();
    expect(d.call()).toEqual({ op: "markTransactionPeriod", terminalId: "T" });
    d.answer(OK({ transactionPeriodId: "P" }));
    expect(d.timerStarted("report")).toBe(true);
    d.fire("report");
    expect(d.call()).toEqual({ op: "executeReport", reportId: "Reconciliation/STD_RECON_006.xml", transactionPeriodId: "P", terminalId: "T" });
    d.answer(CODE(2)).fire("report").answer(OK({ report: "<x/>" }));
    expect(d.state).toMatchObject({ outcome: "reported", report: "<x/>" });
  });
  it("(review 6) a report never ready after the configured reads ⇒ parked with the period id and an alarm; retry reads THAT period, never marks again", () => {
    const d = start().answer(OK({ transactionPeriodId: "P" }));
    for (let i = 0; i < 10; i++) d.fire("report").answer(CODE(2));
    expect(d.state).toMatchObject({ phase: "parked", parkedReason: "report-unavailable", transactionPeriodId: "P" });
    expect(d.alarm("report-unavailable")).toBe(true);
    expect(d.state.parkedMessage).toContain("period P");
    d.feed({ type: "recover" });
    expect(d.state.phase).toBe("parked");
    d.feed({ type: "technician", action: "retry" });
    expect(d.call()).toMatchObject({ op: "executeReport", transactionPeriodId: "P" });
    d.answer(OK({ report: "<r/>" }));
    expect(d.state).toMatchObject({ phase: "finished", outcome: "reported", transactionPeriodId: "P" });
    expect(d.log.filter((x) => x.effect.type === "glase" && x.effect.call.op === "markTransactionPeriod")).toHaveLength(1);
  });
  it("shop scope sends no terminal parameter", () => {
    expect(start("shop").call()).toEqual({ op: "markTransactionPeriod" });
  });
  it.each([20, 37, 91])("mark refused %i ⇒ failed", (code) => {
    expect(start().answer(CODE(code)).state.outcome).toBe("failed");
  });
  it.each([93, 94])("(review 4) mark answered %i may have closed the period (§5.8 promises nothing) ⇒ period-unknown, never marked again", (code) => {
    const d = start().answer(CODE(code));
    expect(d.state.outcome).toBe("period-unknown");
    expect(d.alarm("period-unknown")).toBe(true);
  });
  it("transport failures while reporting are retried like not-ready", () => {
    const d = start().answer(OK({ transactionPeriodId: "P" })).fire("report").answer(DOWN);
    expect(d.timerStarted("report")).toBe(true);
  });
});

describe("POS flow: every sendInvoice result code", () => {
  const CREDENTIALS = [20, 21, 29, 33, 37];
  it("90 (the invoice may exist) ⇒ read the terminal's current invoice", () => {
    expect(pos().answer(CODE(90)).call()).toEqual({ op: "getPaymentStatus", version: 0 });
  });
  it.each([93, 94])("busy %i (the invoice may exist: §5.8 says no more than busy) ⇒ the terminal's current invoice is read", (code) => {
    expect(pos().answer(CODE(code)).call()).toEqual({ op: "getPaymentStatus", version: 0 });
  });
  it.each([11, 49, 64, 91, ...CREDENTIALS])("rejected %i ⇒ failed with an alarm", (code) => {
    const d = pos().answer(CODE(code));
    expect(d.state.outcome).toBe("failed");
    expect(d.alarm("glase-sendInvoice")).toBe(true);
  });
  it("unreachable (definite) ⇒ offline; lost (indefinite) ⇒ read the terminal's invoice", () => {
    expect(pos().answer(DOWN).state.outcome).toBe("offline");
    expect(pos().answer(LOST).call()).toEqual({ op: "getPaymentStatus", version: 0 });
  });
  it.each(["CANCELED", "FAILED", "EXPIRED"])("customer side ends the invoice (%s) ⇒ canceled", (status) => {
    expect(pos().answer(OK({ invoiceReference: "I" })).answer(OK({ status, version: 2 })).state.outcome).toBe("canceled");
  });
  it("an unknown status string is treated as still open (§6.15)", () => {
    const d = pos().answer(OK({ invoiceReference: "I" })).answer(OK({ status: "PARTIALLY_PAID", version: 2 }));
    expect(d.state.phase).toBe("polling");
    expect(d.timerStarted("poll")).toBe(true);
  });
});
