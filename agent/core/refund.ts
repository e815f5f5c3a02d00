// Refund (contract §6.8): refundPayment(ersReference, invoice with the refunded amount). Partial or
// whole; Σ refunds ≤ original is Glase's check (98). Before the refund is sent the flow marks the
// terminal's period (markTransactionPeriod TERMINALID, §3.11) and journals the id (periodBefore):
// "reports cover the transactions since the previous mark" (§6.11), so a row of a period marked
// after it is a transaction made after that mark — a same-amount refund made earlier (on the Glase
// portal, by a previous installation, before a journal restore) sits in a period the check never
// reads, and cannot be taken for this one (review 2 of issue 9, D). Every period this flow marks is
// journaled (markedPeriods) so the shift close reports them too (reconciliation.ts, shift-periods.ts).
// A refund is a new transaction, so it is never
// re-sent blindly (§6.15): after an answer that does not prove it was not processed (a lost answer,
// 90 SYSTEM_ERROR, a code the contract does not list for refunds) the flow READS what happened —
// once any late answer would have arrived it marks the terminal's reconciliation period and looks
// for its row in the details report (STD_RECON_007, §5.7; refund-evidence.ts decides what a row
// proves) of EVERY period the check marked since the send. A row found ⇒ refunded. No row proves
// nothing: the contract does not promise a refund row (§6.11 builds rows from payments, §5.7 gives
// 007 no refund marker, §9 A17 only "recommends" negative rows), and a refund processed late may sit
// in a period not read yet — so the flow parks (alarm refund-unknown) with what it read, and the
// technician decides. A refund is sent once: again only after a transport failure that never reached
// Glase. 93/94 (busy, backend unavailable) are not "not processed" either (§5.8 says no more). The
// engine lets no other flow mark this terminal's period while a refund on it is unresolved
// (terminal-periods.ts); a technician retry re-reads the periods recorded, never marks a new one.
import type { Invoice } from "../../contracts/glase/types.ts";
import { type FlowContext, assertNever, backoffMs, timer } from "./effects.ts";
import { type FlowBase, type Step, callGlase, isoLocal, pendingOutcome, same } from "./flow.ts";
import { type FlowInput, type GlaseOutcome, isTemporary } from "./inputs.ts";
import { money } from "../../base/money.ts";
import { NO_OTHER_REFUNDS, type OtherRefunds, refundEvidence } from "./refund-evidence.ts";
import { reportRows } from "./report-rows.ts";

export type RefundPhase =
  | "pre-marking" // markTransactionPeriod(TERMINALID) before the send: only later periods can hold the refund
  | "refunding"
  | "check-pending" // an answer (to the refund or to a lost mark) may still arrive: wait before marking
  | "check-marking" // markTransactionPeriod(TERMINALID) to close a period holding the refund
  | "check-waiting" // wait before the report (§6.11)
  | "check-reporting" // executeReport STD_RECON_007 of that period
  | "parked"
  | "finished";

export interface RefundState extends FlowBase {
  readonly kind: "refund";
  readonly phase: RefundPhase;
  readonly terminalId: string;
  readonly point?: number;
  readonly currency: string;
  readonly ersReference: string;
  readonly amountMinor: number;
  readonly refundReference?: string;
  readonly failCode?: number;
  /** refundPayment requests sent (each after a read proved the previous one did nothing). */
  readonly sends?: number;
  /** When the last refundPayment was decided (absolute ms). */
  readonly sentAt?: number;
  /** When the check's last markTransactionPeriod was decided (absolute ms). */
  readonly markSentAt?: number;
  /** Marks of the current check (each one closes a period of the terminal). */
  readonly marks?: number;
  /** The period whose report is being read (one of `periods`). */
  readonly periodId?: string;
  /** Every period the check marked since the send, in order: each one's report is read. */
  readonly periods?: readonly string[];
  /** What the reads found so far (shown to the technician when the flow parks). */
  readonly readNotes?: readonly string[];
  readonly reportTries?: number;
  /** A check's own mark was ambiguous: a period may hold the refund unseen, so no later read can prove absence. */
  readonly checkUnsound?: boolean;
  /** Other refunds of this terminal and amount (engine, at start): rows of theirs are not ours. */
  readonly others?: OtherRefunds;
  /** The period the flow marked right before sending the refund: rows of later periods only can be it. */
  readonly periodBefore?: string;
  /** Every period id this flow's marks returned, in order (pre-mark and check marks): the shift close reads them. */
  readonly markedPeriods?: readonly string[];
  /** Marks of this flow whose answer was lost or ambiguous: each may have closed a period whose id nobody knows. */
  readonly lostMarks?: number;
  /** The pre-mark was refused with this code: nothing was sent. */
  readonly markFailCode?: number;
  /** Ended by a technician's decision (mark-settled / cancel), not by Glase. */
  readonly resolvedBy?: "technician";
}

export interface RefundStart {
  readonly flowId: string;
  readonly terminalId: string;
  readonly point?: number;
  readonly currency: string;
  readonly ersReference: string;
  readonly amountMinor: number;
  readonly others?: OtherRefunds;
}

type S = RefundState;
const MAX_ATTEMPTS = 5;
/** Ambiguous marks one check may make before it gives up (each closes a terminal period). */
const MAX_MARKS = 3;
const DETAILS_REPORT = "Reconciliation/STD_RECON_007.xml";
/** Codes the contract lists for refundPayment that mean "refused, nothing happened" (§3.10, §5.8). */
const REFUSED = new Set([11, 20, 21, 23, 29, 33, 37, 48, 49, 64, 91, 97, 98, 99]);
/** Codes listed for markTransactionPeriod that refuse it (§3.11): nothing was marked. */
const MARK_REFUSED = new Set([20, 29, 33, 37, 91]);

/** Never reached Glase (connection refused, no route): the only answer that proves nothing was processed. */
function neverArrived(o: GlaseOutcome): boolean {
  return o.kind === "transport" && !o.indefinite;
}

export function startRefund(p: RefundStart, ctx: FlowContext): Step<S> {
  return preMark({ kind: "refund", phase: "pre-marking", calls: 0, attempts: 0, sends: 0, ...p }, ctx);
}

function preMark(s: S, ctx: FlowContext): Step<S> {
  return callGlase(s, { op: "markTransactionPeriod", terminalId: s.terminalId }, { phase: "pre-marking", markSentAt: ctx.now } as Partial<S>);
}

/** A mark of this flow was ambiguous (lost, 90, 93/94, restart): it may have closed a period nobody knows. */
function lostMark(s: S): S {
  return { ...s, lostMarks: (s.lostMarks ?? 0) + 1 };
}

/** Nothing was sent yet: a lost pre-mark is harmless to the refund; mark again once a late answer would have come. */
function preMarkAgain(s: S, ctx: FlowContext): Step<S> {
  if ((s.lostMarks ?? 0) >= MAX_MARKS) return done(s, "failed");
  const wait = Math.max(0, (s.markSentAt ?? ctx.now) + 2 * ctx.settings.glaseCallTimeoutMs - ctx.now);
  return { state: { ...s, phase: "pre-marking", pending: undefined, attempts: 0 }, effects: [timer("retry", wait)] };
}

function onPreMarkAnswer(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok" && o.transactionPeriodId) {
    return refund({ ...s, periodBefore: o.transactionPeriodId, markedPeriods: [...(s.markedPeriods ?? []), o.transactionPeriodId], attempts: 0 }, ctx);
  }
  if (neverArrived(o)) return s.attempts < MAX_ATTEMPTS ? retryLater(s, ctx) : done(s, "failed");
  if (o.kind === "result" && MARK_REFUSED.has(o.code)) return done(s, "failed", { markFailCode: o.code });
  return preMarkAgain(lostMark(s), ctx);
}

function refund(s: S, ctx: FlowContext): Step<S> {
  const invoice: Invoice = {
    paymentMode: "IMMEDIATE_DEBIT",
    acknowledgmentMode: "NO_ACKNOWLEDGMENT",
    issueDate: isoLocal(ctx.now),
    title: "Refund",
    clientInvoiceId: s.flowId,
    invoiceRows: [{ itemDescription: "Refund", itemQuantity: "1", itemTotalAmount: money(s.currency, s.amountMinor) }],
    totalAmount: money(s.currency, s.amountMinor),
    // May name the refund in the details report (its CashierId column), if Glase echoes it there.
    cashierId: s.flowId,
  };
  const patch: Partial<S> = { phase: "refunding", sends: (s.sends ?? 0) + 1, sentAt: ctx.now, periodId: undefined, periods: [], readNotes: [], marks: 0, checkUnsound: false };
  return callGlase(s, { op: "refundPayment", ersReference: s.ersReference, invoice }, patch);
}

function park(s: S, why: string): Step<S> {
  const read = (s.readNotes ?? []).length > 0 ? ` Read: ${s.readNotes!.join("; ")}.` : "";
  const message = `refund of ${s.amountMinor} on ${s.ersReference} (terminal ${s.terminalId}): ${why}.${read} Look for it in Glase's records, then mark-settled (it is there) or cancel (it is not) — a new refund can follow`;
  return {
    state: { ...s, phase: "parked", parkedReason: "refund-unknown", parkedMessage: message, pending: undefined },
    effects: [{ type: "alarm", code: "refund-unknown", message }],
  };
}

function done(s: S, outcome: "refunded" | "failed", patch: Partial<S> = {}): Step<S> {
  return same({ ...s, ...patch, phase: "finished", outcome, pending: undefined });
}

/** The refund may have happened: wait until any late answer (to it, or to a lost mark) would have arrived, then mark. */
function startCheck(s: S, ctx: FlowContext): Step<S> {
  if ((s.marks ?? 0) >= MAX_MARKS) return park(s, `outcome unknown; ${s.marks} period marks of the check were themselves ambiguous`);
  const since = Math.max(s.sentAt ?? ctx.now, s.markSentAt ?? 0);
  const wait = Math.max(0, since + 2 * ctx.settings.glaseCallTimeoutMs - ctx.now);
  return { state: { ...s, phase: "check-pending", pending: undefined, attempts: 0 }, effects: [timer("retry", wait)] };
}

function mark(s: S, ctx: FlowContext): Step<S> {
  return callGlase(s, { op: "markTransactionPeriod", terminalId: s.terminalId }, { phase: "check-marking", markSentAt: ctx.now } as Partial<S>);
}

/** The periods to read: every one marked since the send (states journaled before `periods` existed hold one). */
function periodsOf(s: S): readonly string[] {
  return s.periods ?? (s.periodId !== undefined ? [s.periodId] : []);
}

/** Reads the report of `periodId` (default: the one being read). */
function report(s: S, periodId: string = s.periodId!): Step<S> {
  const call = { op: "executeReport", reportId: DETAILS_REPORT, transactionPeriodId: periodId, terminalId: s.terminalId } as const;
  return callGlase(s, call, { phase: "check-reporting", periodId, reportTries: (s.reportTries ?? 0) + 1 } as Partial<S>);
}

function retryLater(s: S, ctx: FlowContext): Step<S> {
  const attempts = s.attempts + 1;
  return { state: { ...s, attempts, pending: undefined }, effects: [timer("retry", backoffMs(attempts, ctx))] };
}

function onRefundAnswer(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") return done(s, "refunded", { refundReference: o.ersReference });
  if (neverArrived(o)) return s.attempts < MAX_ATTEMPTS ? retryLater(s, ctx) : done(s, "failed");
  if (o.kind === "result" && REFUSED.has(o.code)) return done(s, "failed", { failCode: o.code });
  // Lost, 90, 93/94 or a code not listed: it may have been processed (now or later). Read.
  return startCheck(s, ctx);
}

function onMarkAnswer(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok" && o.transactionPeriodId) {
    const periods = [...periodsOf(s), o.transactionPeriodId];
    const markedPeriods = [...(s.markedPeriods ?? []), o.transactionPeriodId];
    return { state: { ...s, phase: "check-waiting", periods, markedPeriods, periodId: periods[0], readNotes: [], reportTries: 0, attempts: 0 }, effects: [timer("report", ctx.settings.reportWaitMs)] };
  }
  if (neverArrived(o)) return s.attempts < MAX_ATTEMPTS ? retryLater(s, ctx) : park(s, "outcome unknown; the terminal's period could not be marked to read it");
  if (o.kind === "result" && MARK_REFUSED.has(o.code)) return park(s, `outcome unknown; markTransactionPeriod answered ${o.code}`);
  // Lost, 90, 93/94, a code not listed for it, or no period id: the mark may have closed a period holding
  // the refund whose id we will never learn. A later period can still show the refund, never prove
  // it absent. Mark again once any late answer to this one would have arrived.
  return startCheck(lostMark({ ...s, checkUnsound: true, marks: (s.marks ?? 0) + 1 }), ctx);
}

function onReportAnswer(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") {
    // By amount only when the flow marked the period before sending (journals from before periodBefore: by name only).
    const evidence = refundEvidence(o.report ?? "", s, s.others ?? NO_OTHER_REFUNDS, s.periodBefore !== undefined);
    if (evidence.kind === "found") return done(s, "refunded", { refundReference: evidence.refundReference });
    const rows = reportRows(o.report ?? "").length;
    const note = evidence.kind === "unattributable"
      ? `period ${s.periodId}: ${evidence.rows} rows of −${s.amountMinor} that could each be this refund or another one (${rows} rows in all)`
      : `period ${s.periodId}: no row of −${s.amountMinor} (${rows} rows in all)`;
    const read: S = { ...s, readNotes: [...(s.readNotes ?? []), note] };
    const periods = periodsOf(s);
    const next = periods[periods.indexOf(s.periodId!) + 1];
    if (next !== undefined) return report({ ...read, reportTries: 0 }, next);
    const unsound = s.checkUnsound ? "; a period mark of the check was itself lost and may hold it" : "";
    return park(read, evidence.kind === "unattributable" ? `not attributable${unsound}` : `no row found, which does not prove it was not processed${unsound}`);
  }
  const retryable = (o.kind === "result" && o.code === 2) || isTemporary(o) || o.kind === "transport";
  if (retryable && (s.reportTries ?? 0) < ctx.settings.reportMaxRetries) return { state: { ...s, phase: "check-waiting", pending: undefined }, effects: [timer("report", ctx.settings.reportRetryMs)] };
  return park(s, `outcome unknown; the details report of period ${s.periodId} is not available (periods marked: ${periodsOf(s).join(", ")})`);
}

function onGlase(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  const answered: S = { ...s, pending: undefined };
  switch (s.phase) {
    case "pre-marking":
      return onPreMarkAnswer(answered, o, ctx);
    case "refunding":
      return onRefundAnswer(answered, o, ctx);
    case "check-marking":
      return onMarkAnswer(answered, o, ctx);
    case "check-reporting":
      return onReportAnswer(answered, o, ctx);
    case "check-pending":
    case "check-waiting":
    case "parked":
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "refund phase");
  }
}

function onTimer(s: S, name: string, ctx: FlowContext): Step<S> {
  if (s.pending !== undefined) return same(s);
  if (name === "retry" && s.phase === "pre-marking") return preMark(s, ctx);
  if (name === "retry" && s.phase === "refunding") return refund(s, ctx);
  if (name === "retry" && (s.phase === "check-pending" || s.phase === "check-marking")) return mark(s, ctx);
  if (name === "report" && s.phase === "check-waiting") return report(s);
  return same(s);
}

/** After a restart: a request whose answer was not journaled is checked, never re-sent blindly. */
function recover(s: S, ctx: FlowContext): Step<S> {
  const fresh: S = { ...s, pending: undefined, attempts: 0 };
  switch (s.phase) {
    case "pre-marking":
      // Nothing was sent: the mark's answer is unknown (it may have closed a period); mark again.
      return preMarkAgain(lostMark({ ...fresh, markSentAt: s.markSentAt ?? ctx.now }), ctx);
    case "refunding":
    case "check-pending":
      return startCheck(fresh, ctx);
    case "check-marking":
      // The mark's answer is unknown: it may have closed a period holding the refund.
      return startCheck(lostMark({ ...fresh, checkUnsound: true, marks: (s.marks ?? 0) + 1, markSentAt: s.markSentAt ?? ctx.now }), ctx);
    case "check-waiting":
    case "check-reporting":
      return report(fresh);
    case "parked":
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "refund phase");
  }
}

function onTechnician(s: S, action: "stop" | "mark-settled" | "retry" | "cancel", ctx: FlowContext): Step<S> {
  if (s.phase !== "parked") return same(s);
  const resumed: S = { ...s, parkedReason: undefined, parkedMessage: undefined, attempts: 0 };
  if (action === "mark-settled") return done(resumed, "refunded", { resolvedBy: "technician" });
  if (action === "cancel") return done(resumed, "failed", { resolvedBy: "technician" });
  // retry = read again, never send, never mark a new period while one is recorded: every period
  // closed since the send is read again from the first (a report may be ready now). Only a check
  // that never learnt a period id marks. Sending again is the technician's decision, after cancel,
  // as a new refund.
  const periods = periodsOf(resumed);
  if (action === "retry") return periods.length > 0 ? report({ ...resumed, readNotes: [], reportTries: 0 }, periods[0]) : startCheck({ ...resumed, marks: 0 }, ctx);
  return same(s);
}

export function transitionRefund(s: S, input: FlowInput, ctx: FlowContext): Step<S> {
  if (s.phase === "finished") return same(s);
  switch (input.type) {
    case "glase": {
      const o = pendingOutcome(s, input);
      return o === undefined ? same(s) : onGlase(s, o, ctx);
    }
    case "timer":
      return onTimer(s, input.name, ctx);
    case "recover":
      return recover(s, ctx);
    case "technician":
      return onTechnician(s, input.action, ctx);
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
