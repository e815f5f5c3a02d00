// Refund (contract §6.8): refundPayment(ersReference, invoice with the refunded amount). Partial or
// whole; Σ refunds ≤ original is Glase's check (98). A refund is a new transaction, so it is never
// re-sent blindly (§6.15): after an answer that does not prove it was not processed (a lost answer,
// 90 SYSTEM_ERROR, a code the contract does not list for refunds) the flow READS what happened —
// it marks the terminal's reconciliation period and looks for its own row in the period's details
// report (STD_RECON_007, §5.7). The refund invoice carries the flow id as cashierId, so its row is
// recognisable (CashierId, SalesAmount = −amount, and the refund's own ErsReference). Found ⇒
// refunded; provably absent ⇒ sent once more; the read itself ambiguous ⇒ parked for a technician.
import type { Invoice } from "../glase/types.ts";
import { type FlowContext, assertNever, backoffMs, timer } from "./effects.ts";
import { type FlowBase, type Step, callGlase, isoLocal, pendingOutcome, same } from "./flow.ts";
import { type FlowInput, type GlaseOutcome, isTemporary } from "./inputs.ts";
import { money } from "./money.ts";
import { reportMinor, reportRows } from "./report-rows.ts";

export type RefundPhase =
  | "refunding"
  | "check-pending" // an answer may still arrive: wait before reading
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
  readonly periodId?: string;
  readonly reportTries?: number;
  /** A check's own mark was ambiguous: a period may hold the refund unseen, no later read can prove absence. */
  readonly checkUnsound?: boolean;
}

export interface RefundStart {
  readonly flowId: string;
  readonly terminalId: string;
  readonly point?: number;
  readonly currency: string;
  readonly ersReference: string;
  readonly amountMinor: number;
}

type S = RefundState;
const MAX_ATTEMPTS = 5;
const MAX_SENDS = 3;
const DETAILS_REPORT = "Reconciliation/STD_RECON_007.xml";
/** Codes the contract lists for refundPayment that mean "refused, nothing happened" (§3.10, §5.8). */
const REFUSED = new Set([11, 20, 21, 23, 29, 33, 37, 48, 49, 64, 91, 97, 98, 99]);

export function startRefund(p: RefundStart, ctx: FlowContext): Step<S> {
  return refund({ kind: "refund", phase: "refunding", calls: 0, attempts: 0, sends: 0, ...p }, ctx);
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
    // Names the refund in the details report (its CashierId column): how a check recognises it.
    cashierId: s.flowId,
  };
  return callGlase(s, { op: "refundPayment", ersReference: s.ersReference, invoice }, { phase: "refunding", sends: (s.sends ?? 0) + 1, sentAt: ctx.now } as Partial<S>);
}

function park(s: S, why: string): Step<S> {
  const message = `refund of ${s.amountMinor} on ${s.ersReference}: ${why}; check the terminal's details report, then mark-settled (refunded) or retry (re-sends it)`;
  return {
    state: { ...s, phase: "parked", parkedReason: "refund-unknown", parkedMessage: message, pending: undefined },
    effects: [{ type: "alarm", code: "refund-unknown", message }],
  };
}

function done(s: S, outcome: "refunded" | "failed", patch: Partial<S> = {}): Step<S> {
  return same({ ...s, ...patch, phase: "finished", outcome, pending: undefined });
}

/** The refund may have happened: wait until any late answer would have arrived, then read. */
function startCheck(s: S, ctx: FlowContext): Step<S> {
  if (s.checkUnsound) return park(s, "outcome unknown and no report can prove it (a period mark was lost)");
  const wait = Math.max(0, (s.sentAt ?? ctx.now) + 2 * ctx.settings.glaseCallTimeoutMs - ctx.now);
  return { state: { ...s, phase: "check-pending", pending: undefined, attempts: 0 }, effects: [timer("retry", wait)] };
}

function mark(s: S): Step<S> {
  return callGlase(s, { op: "markTransactionPeriod", terminalId: s.terminalId }, { phase: "check-marking" } as Partial<S>);
}

function report(s: S): Step<S> {
  const call = { op: "executeReport", reportId: DETAILS_REPORT, transactionPeriodId: s.periodId!, terminalId: s.terminalId } as const;
  return callGlase(s, call, { phase: "check-reporting", reportTries: (s.reportTries ?? 0) + 1 } as Partial<S>);
}

function retryLater(s: S, ctx: FlowContext): Step<S> {
  const attempts = s.attempts + 1;
  return { state: { ...s, attempts, pending: undefined }, effects: [timer("retry", backoffMs(attempts, ctx))] };
}

function onRefundAnswer(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") return done(s, "refunded", { refundReference: o.ersReference });
  // Busy / unreachable: provably not processed (§6.15 "retry later"), so sending again is safe.
  if (isTemporary(o) && !(o.kind === "result" && o.code === 90)) {
    return s.attempts < MAX_ATTEMPTS ? retryLater(s, ctx) : done(s, "failed", o.kind === "result" ? { failCode: o.code } : {});
  }
  if (o.kind === "result" && REFUSED.has(o.code)) return done(s, "failed", { failCode: o.code });
  return startCheck(s, ctx);
}

function onMarkAnswer(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok" && o.transactionPeriodId) {
    return { state: { ...s, phase: "check-waiting", periodId: o.transactionPeriodId, reportTries: 0, attempts: 0 }, effects: [timer("report", ctx.settings.reportWaitMs)] };
  }
  if (isTemporary(o) && !(o.kind === "result" && o.code === 90) && s.attempts < MAX_ATTEMPTS) return retryLater(s, ctx);
  // The mark may have closed a period holding the refund whose id we will never learn.
  const unsound = !(o.kind === "result" && o.code !== 90) && !(o.kind === "transport" && !o.indefinite);
  return park({ ...s, checkUnsound: s.checkUnsound || unsound }, `outcome unknown; reading the report failed (markTransactionPeriod ${o.kind === "result" ? o.code : o.kind})`);
}

function onReportAnswer(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") {
    const ours = reportRows(o.report ?? "").find((r) => r.CashierId === s.flowId && reportMinor(r.SalesAmount) === -s.amountMinor);
    if (ours) return done(s, "refunded", { refundReference: ours.ErsReference });
    // The period covers everything up to our mark, made after any answer could have arrived: no row, no refund.
    if ((s.sends ?? 0) >= MAX_SENDS) return park(s, `still not in the report after ${s.sends} requests`);
    return refund({ ...s, attempts: 0 }, ctx);
  }
  const retryable = (o.kind === "result" && o.code === 2) || isTemporary(o) || o.kind === "transport";
  if (retryable && (s.reportTries ?? 0) < ctx.settings.reportMaxRetries) return { state: { ...s, phase: "check-waiting", pending: undefined }, effects: [timer("report", ctx.settings.reportRetryMs)] };
  return park(s, `outcome unknown; the details report of period ${s.periodId} is not available`);
}

function onGlase(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  const answered: S = { ...s, pending: undefined };
  switch (s.phase) {
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
  if (name === "retry" && s.phase === "refunding") return refund(s, ctx);
  if (name === "retry" && (s.phase === "check-pending" || s.phase === "check-marking")) return mark(s);
  if (name === "report" && s.phase === "check-waiting") return report(s);
  return same(s);
}

/** After a restart: a request whose answer was not journaled is checked, never re-sent blindly. */
function recover(s: S, ctx: FlowContext): Step<S> {
  const fresh: S = { ...s, pending: undefined, attempts: 0 };
  switch (s.phase) {
    case "refunding":
    case "check-pending":
      return startCheck(fresh, ctx);
    case "check-marking":
      return park({ ...fresh, checkUnsound: true }, "outcome unknown; restarted while marking the period to read it");
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
    case "technician": {
      if (s.phase !== "parked") return same(s);
      const resumed: S = { ...s, parkedReason: undefined, parkedMessage: undefined, attempts: 0 };
      if (input.action === "mark-settled") return done(resumed, "refunded");
      if (input.action === "cancel") return done(resumed, "failed");
      // retry: read first while a read can still prove anything; otherwise the technician checked the report.
      if (input.action === "retry") return s.checkUnsound ? refund(resumed, ctx) : startCheck(resumed, ctx);
      return same(s);
    }
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
      return same(s);
    default:
      return assertNever(input, "input");
  }
}
