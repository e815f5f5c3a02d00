// Reconciliation (contract §6.11): markTransactionPeriod → wait ≈ 3 s → executeReport, repeating
// on 2 REPORT_NOT_READY every ≈ 3 s up to a bound. Per shop (RESELLERUSER, no parameters) or per
// terminal (TERMINALID=<id>). One mark, then each of the requested reports of that period in turn
// (a shift close wants the totals and the lines of the same period: marking twice would split it).
//
// A mark whose answer is lost (or answered 90) may have closed the shift's period: marking again
// would close a second, empty period and report THAT as the shift's report. So an ambiguous mark
// is never repeated: the flow ends "period-unknown" with an alarm that says what is unknown. Only
// a mark that provably did not happen (Glase unreachable: it never arrived) is sent again; 93/94
// (busy, backend unavailable) promise nothing of the kind (§5.8) and are treated as ambiguous.
//
// A shift is more than one period when the agent marked the terminal's period meanwhile: each
// refund marks it before it is sent, and a refund check marks it to read the refund's row
// (refund.ts). A terminal close is given every period the journal knows was marked since the last
// reported close (earlierPeriods, shift-periods.ts) and reads the same reports of each of them,
// then of its own period: the shift's report is their union (review 2 of issue 9, G). A mark of the
// shift whose answer was lost (unknownMarks) may have closed a period nobody can read: the close
// then ends "partial" with an alarm shift-report-partial naming them — never "reported".
//
// A marked period whose report never becomes ready (or is refused) is not lost: the flow parks
// (alarm report-unavailable) with the period id, and a technician retry reads THAT period again —
// marking anew would report a new, empty period as the shift's.
import { type Effect, type FlowContext, assertNever, backoffMs, timer } from "./effects.ts";
import { type FlowBase, type Step, callGlase, pendingOutcome, same } from "./flow.ts";
import { type FlowInput, type GlaseOutcome, isTemporary } from "./inputs.ts";

export type ReconciliationPhase = "marking" | "waiting" | "reporting" | "parked" | "finished";

/** A mark the close knows about but whose period id is lost: what made it (for the alarm). */
export type UnknownMark = string;

export interface ReconciliationState extends FlowBase {
  readonly kind: "reconciliation";
  readonly phase: ReconciliationPhase;
  readonly scope: "shop" | "terminal";
  readonly terminalId?: string;
  /** The report being fetched (the last one once finished). */
  readonly reportId: string;
  /** Reports of the same period still to fetch after `reportId`. */
  readonly nextReportIds?: readonly string[];
  readonly transactionPeriodId?: string;
  readonly reportTries: number;
  readonly report?: string;
  readonly mimeType?: string;
  /** Every report fetched so far, in the order asked for (the last is also `report`). */
  readonly reports?: readonly FetchedReport[];
  readonly failCode?: number;
  /** Periods of the same shift marked before this close (terminal scope): read before its own. */
  readonly earlierPeriods?: readonly string[];
  /** Marks of the shift whose period id is lost: the report cannot be whole. */
  readonly unknownMarks?: readonly UnknownMark[];
  /** Every report id asked for, read for each period in turn. */
  readonly reportIds?: readonly string[];
  /** The period being read (one of earlierPeriods, or transactionPeriodId: the default). */
  readonly readingPeriodId?: string;
}

export interface FetchedReport {
  readonly reportId: string;
  readonly report: string;
  readonly mimeType?: string;
  /** The period it reports (absent in journals from before a shift could span periods: the close's own). */
  readonly transactionPeriodId?: string;
}

export interface ReconciliationStart {
  readonly flowId: string;
  readonly scope: "shop" | "terminal";
  readonly terminalId?: string;
  readonly reportId: string;
  /** Further reports of the same marked period, fetched after `reportId`. */
  readonly nextReportIds?: readonly string[];
  readonly earlierPeriods?: readonly string[];
  readonly unknownMarks?: readonly UnknownMark[];
}

type S = ReconciliationState;
const MAX_MARK_ATTEMPTS = 5;

export function startReconciliation(p: ReconciliationStart, _ctx: FlowContext): Step<S> {
  const { earlierPeriods, unknownMarks, ...rest } = p;
  const shift = p.scope === "terminal" ? { ...(earlierPeriods?.length ? { earlierPeriods } : {}), ...(unknownMarks?.length ? { unknownMarks } : {}) } : {};
  return mark({ kind: "reconciliation", phase: "marking", calls: 0, attempts: 0, reportTries: 0, ...rest, ...shift, reportIds: [p.reportId, ...(p.nextReportIds ?? [])] });
}

/** The periods the close reads, in order: the shift's earlier ones, then its own. */
function periodsOf(s: S): readonly string[] {
  return [...(s.earlierPeriods ?? []), ...(s.transactionPeriodId !== undefined ? [s.transactionPeriodId] : [])];
}

const readingOf = (s: S): string => s.readingPeriodId ?? s.transactionPeriodId!;

function mark(s: S): Step<S> {
  return callGlase(s, { op: "markTransactionPeriod", ...(s.scope === "terminal" ? { terminalId: s.terminalId } : {}) }, { phase: "marking" } as Partial<S>);
}

function report(s: S): Step<S> {
  const call = {
    op: "executeReport",
    reportId: s.reportId,
    transactionPeriodId: readingOf(s),
    ...(s.scope === "terminal" ? { terminalId: s.terminalId } : {}),
  } as const;
  return callGlase(s, call, { phase: "reporting", reportTries: s.reportTries + 1 } as Partial<S>);
}

function fail(s: S, code?: number): Step<S> {
  return same({ ...s, phase: "finished", outcome: "failed", failCode: code, pending: undefined });
}

/** The mark may or may not have closed the period; its id is lost with the answer. */
function periodUnknown(s: S, why: string): Step<S> {
  const scope = s.scope === "terminal" ? `terminal ${s.terminalId}` : "the shop";
  const alarm: Effect = {
    type: "alarm",
    code: "period-unknown",
    message: `reconciliation of ${scope}: ${why}; the period may have been closed and its transactionPeriodId is unknown, so its report cannot be fetched. Reconcile again: if the lost mark was applied, the next report cannot cover what came before it (a terminal close then ends partial, alarm shift-report-partial)`,
  };
  return { state: { ...s, phase: "finished", outcome: "period-unknown", pending: undefined }, effects: [alarm] };
}

/** One report of a period arrived: fetch the next one (of this period, then of the next), or finish. */
function reported(s: S, r: FetchedReport): Step<S> {
  const reports = [...(s.reports ?? []), r];
  const [next, ...rest] = s.nextReportIds ?? [];
  // The period is closed and its first report was ready: ask for the next at once (a not-ready
  // answer waits reportRetryMs as usual).
  if (next !== undefined) return { state: { ...s, phase: "waiting", reportId: next, nextReportIds: rest, reportTries: 0, reports }, effects: [timer("report", 0)] };
  const periods = periodsOf(s);
  const after = periods[periods.indexOf(readingOf(s)) + 1];
  const [first, ...others] = s.reportIds ?? [s.reportId];
  if (after !== undefined && first !== undefined) {
    return { state: { ...s, phase: "waiting", readingPeriodId: after, reportId: first, nextReportIds: others, reportTries: 0, reports }, effects: [timer("report", 0)] };
  }
  const finished: S = { ...s, phase: "finished", outcome: "reported", report: r.report, mimeType: r.mimeType, reports, nextReportIds: undefined, pending: undefined };
  if ((s.unknownMarks ?? []).length === 0) return same(finished);
  const message = `close of terminal ${s.terminalId}: reported periods ${periods.join(", ")}, but the shift may have more — ${s.unknownMarks!.join("; ")}; that period cannot be read, so this report may miss part of the shift. Compare it with the station's sales (ctl export) before filing it`;
  return { state: { ...finished, outcome: "partial" }, effects: [{ type: "alarm", code: "shift-report-partial", message }] };
}

/** Unreachable (the request never arrived): the only outcome proving the mark did not happen. */
function markNotApplied(o: GlaseOutcome): boolean {
  return o.kind === "transport" && !o.indefinite;
}

/** The period is marked but its report cannot be read now: keep the id, tell a technician. */
function parkReport(s: S, why: string): Step<S> {
  const scope = s.scope === "terminal" ? `terminal ${s.terminalId}` : "the shop";
  const message = `reconciliation of ${scope}: period ${readingOf(s)} is marked but its report ${s.reportId} ${why}; retry reads that period again (never a new one)`;
  return {
    state: { ...s, phase: "parked", parkedReason: "report-unavailable", parkedMessage: message, pending: undefined },
    effects: [{ type: "alarm", code: "report-unavailable", message }],
  };
}

export function transitionReconciliation(s: S, input: FlowInput, ctx: FlowContext): Step<S> {
  if (s.phase === "finished") return same(s);
  switch (input.type) {
    case "glase": {
      const o = pendingOutcome(s, input);
      if (o === undefined) return same(s);
      const done: S = { ...s, pending: undefined };
      if (s.phase === "marking") {
        if (o.kind === "ok" && o.transactionPeriodId) {
          // The shift's earlier periods first (their reports are ready), then the one just closed.
          const readingPeriodId = s.earlierPeriods?.[0] ?? o.transactionPeriodId;
          return { state: { ...done, phase: "waiting", transactionPeriodId: o.transactionPeriodId, readingPeriodId, attempts: 0 }, effects: [timer("report", ctx.settings.reportWaitMs)] };
        }
        if (markNotApplied(o) && s.attempts < MAX_MARK_ATTEMPTS) {
          return { state: { ...done, attempts: s.attempts + 1 }, effects: [timer("retry", backoffMs(s.attempts + 1, ctx))] };
        }
        if (o.kind === "result" && o.code !== 90 && o.code !== 93 && o.code !== 94) return fail(done, o.code);
        if (o.kind === "transport" && !o.indefinite) return fail(done);
        return periodUnknown(done, o.kind === "result" ? `markTransactionPeriod answered ${o.code}` : "the markTransactionPeriod answer was lost");
      }
      if (s.phase === "reporting") {
        if (o.kind === "ok") return reported(done, { reportId: s.reportId, report: o.report ?? "", ...(o.mimeType !== undefined ? { mimeType: o.mimeType } : {}), transactionPeriodId: readingOf(s) });
        const retryable = (o.kind === "result" && o.code === 2) || isTemporary(o) || o.kind === "transport";
        if (retryable && s.reportTries < ctx.settings.reportMaxRetries) {
          return { state: { ...done, phase: "waiting" }, effects: [timer("report", ctx.settings.reportRetryMs)] };
        }
        const why = o.kind === "result" ? (o.code === 2 ? `was still not ready after ${s.reportTries} reads` : `was refused with result code ${o.code}`) : "could not be fetched";
        return parkReport({ ...done, failCode: o.kind === "result" ? o.code : undefined }, why);
      }
      return same(s);
    }
    case "timer":
      if (s.pending !== undefined) return same(s);
      if (input.name === "retry" && s.phase === "marking") return mark(s);
      if (input.name === "report" && s.phase === "waiting") return report(s);
      return same(s);
    case "recover":
      // Restarted while marking: the mark may have been applied; marking again would report an empty period.
      if (s.phase === "marking") return periodUnknown({ ...s, pending: undefined }, "restarted while marking the period");
      if (s.phase === "parked") return same(s);
      return report({ ...s, pending: undefined });
    case "technician":
      if (s.phase !== "parked") return same(s);
      if (input.action === "retry") return report({ ...s, parkedReason: undefined, parkedMessage: undefined, reportTries: 0 });
      if (input.action === "cancel" || input.action === "mark-settled") return fail({ ...s, parkedReason: undefined, parkedMessage: undefined }, s.failCode);
      return same(s);
    case "start":
    case "authorized":
    case "stopped":
    case "sale":
    case "nozzle":
    case "progress":
    case "end":
    case "fault":
    case "printed":
    case "released":
    case "link":
    case "terminal":
    case "withheld":
      return same(s);
    default:
      return assertNever(input, "input");
  }
}
