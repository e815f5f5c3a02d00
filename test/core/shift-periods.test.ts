// Review 2 of issue 9, G: each refund marks its terminal's period (before sending, and its check
// to read the refund's row), so a close that read only its own new period reported the part of
// the shift after the last refund as "reported". A terminal close now reads every period the
// agent marked since the last reported close and sums them; a mark whose answer was lost makes it
// "partial" with an alarm naming it — never "reported" for part of a shift.
import { describe, expect, it } from "vitest";
import type { GlaseCall } from "../../agent/core/effects.ts";
import { summarizePeriod } from "../../agent/core/period-report.ts";
import { periodReportCsv, periodReportLines } from "../../agent/core/period-report-text.ts";
import { startReconciliation, type ReconciliationState } from "../../agent/core/reconciliation.ts";
import { shiftPeriods, type ShiftFlow } from "../../agent/core/shift-periods.ts";
import { Driver, OK, ctxAt } from "./helpers.ts";

const L = "Reconciliation/STD_RECON_007.xml";
const TOT = "Reconciliation/STD_RECON_006.xml";
const lines = (period: string, ...amounts: string[]) =>
  `<TransactionDetails>\n<Meta>\n<ResellerId>r</ResellerId>\n<TerminalId>T</TerminalId>\n<TransactionPeriodId>${period}</TransactionPeriodId>\n</Meta>\n${amounts.map((a, i) => `<Row>\n<TerminalId>T</TerminalId>\n<CashierId>NULL</CashierId>\n<SalesAmount>${a}</SalesAmount>\n<ErsReference>${period}-${i}</ErsReference>\n</Row>\n`).join("")}</TransactionDetails>`;
const totals = (period: string, n: number, total: string) => `<TerminalTransactionSummary>\n<Meta>\n<ResellerId>r</ResellerId>\n<TerminalId>T</TerminalId>\n<TransactionPeriodId>${period}</TransactionPeriodId>\n</Meta>\n<Row>\n<SalesCount>${n}</SalesCount>\n<SalesTotal>${total}</SalesTotal>\n</Row>\n</TerminalTransactionSummary>`;
const reads = (d: Driver) => d.since(0, "glase").map((x) => (x.effect as { call: GlaseCall }).call).filter((c) => c.op === "executeReport").map((c) => c.op === "executeReport" && `${c.transactionPeriodId}:${c.reportId}`);

function close(earlierPeriods: string[], unknownMarks: string[] = []): Driver<ReconciliationState> {
  const d = Driver.of<ReconciliationState>(startReconciliation({ flowId: "C1", scope: "terminal", terminalId: "T", reportId: TOT, nextReportIds: [L], earlierPeriods, unknownMarks }, ctxAt(0)));
  d.answer(OK({ transactionPeriodId: "P9" }));
  for (let i = 0; i < 20 && d.state.phase !== "finished"; i++) {
    d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    const c = d.call();
    if (c.op !== "executeReport") throw new Error(c.op);
    d.answer(OK({ report: c.reportId === TOT ? totals(c.transactionPeriodId, 1, c.transactionPeriodId === "P9" ? "30.00000" : "10.00000") : lines(c.transactionPeriodId, c.transactionPeriodId === "P9" ? "30.00000" : "10.00000") }));
  }
  return d;
}

describe("a terminal close reads every period of the shift", () => {
  it("the refunds' periods are read (same reports, oldest first), then the close's own; the union is reported", () => {
    const d = close(["P1", "P2"]);
    expect(reads(d)).toEqual([`P1:${TOT}`, `P1:${L}`, `P2:${TOT}`, `P2:${L}`, `P9:${TOT}`, `P9:${L}`]);
    expect(d.state).toMatchObject({ outcome: "reported", transactionPeriodId: "P9" });
    expect(d.state.reports!.map((r) => r.transactionPeriodId)).toEqual(["P1", "P1", "P2", "P2", "P9", "P9"]);
    // The last report is the close's own period's (what a single-period close returned).
    expect(d.state.report).toContain("<TransactionPeriodId>P9<");
    const sum = summarizePeriod("terminal", d.state.reports!, "P9");
    expect(sum).toMatchObject({ periods: ["P1", "P2", "P9"], salesCount: 3, salesTotalMinor: 5000, linesSalesCount: 3, linesTotalMinor: 5000, problems: [] });
    expect(sum.lines!.map((l) => l.transactionPeriodId)).toEqual(["P1", "P2", "P9"]);
    // The technician's table and slip name every period; the CSV files each line under its own.
    const text = periodReportLines({ summary: sum, currency: "SEK" }, 60).join("\n");
    for (const p of ["P1", "P2", "P9"]) expect(text).toContain(p);
    const csv = periodReportCsv({ summary: sum, currency: "SEK" }).split("\r\n");
    expect(csv.filter((r) => r.startsWith("sale,")).map((r) => r.split(",")[1])).toEqual(["P1", "P2", "P9"]);
  });

  it("a mark of the shift whose answer was lost ⇒ outcome partial with an alarm naming it, never reported", () => {
    const d = close(["P1"], ["refund R7 made 1 period mark whose answer was lost"]);
    expect(d.state.outcome).toBe("partial");
    const alarm = d.log.find((x) => x.effect.type === "alarm" && x.effect.code === "shift-report-partial");
    expect(alarm && alarm.effect.type === "alarm" && alarm.effect.message).toContain("R7");
    const sum = summarizePeriod("terminal", d.state.reports!, "P9", "refund R7's mark was lost");
    expect(sum.problems.join(" ")).toContain("partial shift");
  });

  it("a close with no earlier period reads only its own, as before", () => {
    const d = close([]);
    expect(reads(d)).toEqual([`P9:${TOT}`, `P9:${L}`]);
    expect(d.state.outcome).toBe("reported");
    expect(summarizePeriod("terminal", d.state.reports!, "P9").periods).toBeUndefined();
  });
});

describe("shiftPeriods: the periods marked since the last reported close, from the journal", () => {
  const refund = (flowId: string, at: number, state: object): ShiftFlow => ({ flowId, kind: "refund", createdAt: at, state: { kind: "refund", terminalId: "T", ...state } });
  const recon = (flowId: string, at: number, state: object): ShiftFlow => ({ flowId, kind: "reconciliation", createdAt: at, state: { kind: "reconciliation", scope: "terminal", terminalId: "T", ...state } });

  it("only after the last reported close; a close that marked but never reported stays in the shift; lost marks named", () => {
    const flows = [
      refund("R1", 1, { markedPeriods: ["A"] }),
      recon("C1", 2, { outcome: "reported", transactionPeriodId: "B" }),
      refund("R2", 3, { markedPeriods: ["C", "D"] }),
      refund("Rx", 3, { markedPeriods: ["X"], terminalId: "OTHER" }),
      recon("C2", 4, { outcome: "failed", transactionPeriodId: "E" }),
      refund("R3", 5, { markedPeriods: ["F"], lostMarks: 1 }),
      recon("C3", 6, { outcome: "period-unknown" }),
      refund("R4", 7, { periods: ["G"], periodId: "G" }), // journaled before markedPeriods existed
    ];
    const r = shiftPeriods(flows, "T");
    expect(r.earlierPeriods).toEqual(["C", "D", "E", "F", "G"]);
    expect(r.unknownMarks).toHaveLength(2);
    expect(r.unknownMarks.join(" ")).toContain("R3");
    expect(r.unknownMarks.join(" ")).toContain("C3");
  });

  it("a partial close ends the shift too; nothing since ⇒ nothing earlier", () => {
    expect(shiftPeriods([refund("R1", 1, { markedPeriods: ["A"] }), recon("C1", 2, { outcome: "partial", transactionPeriodId: "B" })], "T")).toEqual({ earlierPeriods: [], unknownMarks: [] });
  });
});
