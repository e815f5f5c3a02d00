// Review 2 of issue 9, D: a refund check attributed a row of −amount to itself by amount, so a
// same-amount refund this journal never saw (the Glase portal, an earlier installation, a journal
// restore) in the period it read made a refund Glase never processed "refunded". Every refund now
// marks the terminal's period first (periodBefore, journaled); §6.11 "reports cover the transactions
// since the previous mark", so the check's periods — all marked after it — hold only later rows.
import { describe, expect, it } from "vitest";
import type { GlaseCall } from "../../agent/core/effects.ts";
import { startRefund, type RefundState } from "../../agent/core/refund.ts";
import { CODE, DOWN, Driver, LOST, OK, SETTINGS, ctxAt } from "./helpers.ts";

const calls = (d: Driver) => d.since(0, "glase").map((x) => ({ at: x.at, call: (x.effect as { call: GlaseCall }).call }));
const ops = (d: Driver) => calls(d).map((c) => c.call.op);
const start = () => Driver.of<RefundState>(startRefund({ flowId: "R1", terminalId: "T", currency: "SEK", ersReference: "E", amountMinor: 1000 }, ctxAt(0)));
const report = (rows: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<TransactionDetails>\n<Meta>\n<ResellerId>r</ResellerId>\n<TerminalId>T</TerminalId>\n<TransactionPeriodId>P</TransactionPeriodId>\n</Meta>\n${rows}</TransactionDetails>`;
const row = (cashier: string, amount: string, ers: string) => `<Row>\n<TerminalId>T</TerminalId>\n<CashierId>${cashier}</CashierId>\n<SalesAmount>${amount}</SalesAmount>\n<ErsReference>${ers}</ErsReference>\n</Row>\n`;

/** Drives a check after a lost refund answer: mark → P1 → report. */
function check(d: Driver<RefundState>, text: string): void {
  d.runTimers(d.now + 120_000, () => d.state.pending !== undefined);
  expect(d.call()).toEqual({ op: "markTransactionPeriod", terminalId: "T" });
  d.answer(OK({ transactionPeriodId: "P1" }));
  d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
  d.answer(OK({ report: text }));
}

describe("refund: the terminal's period is marked right before the refund is sent (periodBefore)", () => {
  it("the first call marks the terminal's period; the refund goes out only once its id is journaled", () => {
    const d = start();
    expect(d.call()).toEqual({ op: "markTransactionPeriod", terminalId: "T" });
    expect(d.state.phase).toBe("pre-marking");
    d.answer(OK({ transactionPeriodId: "P0" }));
    expect(d.state).toMatchObject({ phase: "refunding", periodBefore: "P0", markedPeriods: ["P0"] });
    expect(d.call().op).toBe("refundPayment");
    d.answer(OK({ ersReference: "REF1" }));
    expect(d.state).toMatchObject({ outcome: "refunded", refundReference: "REF1", markedPeriods: ["P0"] });
  });

  it("a lone unnamed row of −amount in a period marked after periodBefore is the refund; every period marked is journaled", () => {
    const d = start().answer(OK({ transactionPeriodId: "P0" })).answer(LOST);
    check(d, report(row("NULL", "-10.00000", "REF1")));
    expect(d.state).toMatchObject({ outcome: "refunded", refundReference: "REF1", markedPeriods: ["P0", "P1"] });
    expect(d.state.lostMarks ?? 0).toBe(0);
    expect(ops(d).filter((o) => o === "refundPayment")).toHaveLength(1);
  });

  it("a check journaled before periodBefore existed attributes no unnamed row by amount (it may be a refund this journal never saw) ⇒ parked", () => {
    const d = start().answer(OK({ transactionPeriodId: "P0" })).answer(LOST);
    // The same check as if journaled by the earlier version: no periodBefore.
    d.state = { ...d.state, periodBefore: undefined };
    check(d, report(row("NULL", "-10.00000", "REF-PORTAL")));
    expect(d.state.phase).toBe("parked");
    expect(d.alarm("refund-unknown")).toBe(true);
    // A row naming this flow is proof either way.
    d.feed({ type: "technician", action: "retry" });
    d.answer(OK({ report: report(row("R1", "-10.00000", "REF1")) }));
    expect(d.state).toMatchObject({ outcome: "refunded", refundReference: "REF1" });
  });

  it.each([
    ["lost", LOST],
    ["answered 90", CODE(90)],
    ["answered 93", CODE(93)],
  ])("a pre-mark %s: nothing was sent, so it is marked again once a late answer would have come; the refund goes out once", (_n, o) => {
    const d = start().answer(o);
    expect(d.state).toMatchObject({ phase: "pre-marking", lostMarks: 1 });
    const lostAt = d.now;
    d.runTimers(d.now + 120_000, () => d.state.pending !== undefined);
    expect(d.call().op).toBe("markTransactionPeriod");
    expect(d.now).toBeGreaterThanOrEqual(lostAt + 2 * SETTINGS.glaseCallTimeoutMs);
    d.answer(OK({ transactionPeriodId: "P0b" }));
    expect(d.state).toMatchObject({ phase: "refunding", periodBefore: "P0b", markedPeriods: ["P0b"], lostMarks: 1 });
    d.answer(OK({ ersReference: "REF1" }));
    expect(ops(d)).toEqual(["markTransactionPeriod", "markTransactionPeriod", "refundPayment"]);
  });

  it("a pre-mark refused (33) ends the flow failed with that code and sends no refund", () => {
    const d = start().answer(CODE(33));
    expect(d.state).toMatchObject({ phase: "finished", outcome: "failed", markFailCode: 33, sends: 0 });
    expect(d.state.failCode).toBeUndefined();
    expect(ops(d)).toEqual(["markTransactionPeriod"]);
  });

  it("a pre-mark that never reaches Glase is tried again, then the flow fails without sending", () => {
    const d = start();
    for (let i = 0; i < 20 && d.state.phase !== "finished"; i++) {
      if (d.state.pending) d.answer(DOWN);
      d.runTimers(d.now + 600_000, () => d.state.pending !== undefined);
    }
    expect(d.state).toMatchObject({ phase: "finished", outcome: "failed", sends: 0 });
    expect(ops(d).every((o) => o === "markTransactionPeriod")).toBe(true);
  });

  it("a restart while pre-marking marks again (the lost mark counted), never sends the refund blind", () => {
    const e = start().feed({ type: "recover" });
    expect(e.state).toMatchObject({ phase: "pre-marking", lostMarks: 1 });
    e.runTimers(e.now + 120_000, () => e.state.pending !== undefined);
    expect(e.call().op).toBe("markTransactionPeriod");
    expect(ops(e).filter((o) => o === "refundPayment")).toHaveLength(0);
  });
});
