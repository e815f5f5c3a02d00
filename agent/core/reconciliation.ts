// Reconciliation (contract §6.11): markTransactionPeriod → wait ≈ 3 s → executeReport, repeating
// on 2 REPORT_NOT_READY every ≈ 3 s up to a bound. Per shop (RESELLERUSER, no parameters) or per
// terminal (TERMINALID=<id>). Re-marking after a lost answer is harmless: it closes an empty period.
import { type FlowContext, assertNever, backoffMs, timer } from "./effects.ts";
import { type FlowBase, type Step, callGlase, pendingOutcome, same } from "./flow.ts";
import { type FlowInput, isTemporary } from "./inputs.ts";

export type ReconciliationPhase = "marking" | "waiting" | "reporting" | "finished";

export interface ReconciliationState extends FlowBase {
  readonly kind: "reconciliation";
  readonly phase: ReconciliationPhase;
  readonly scope: "shop" | "terminal";
  readonly terminalId?: string;
  readonly reportId: string;
  readonly transactionPeriodId?: string;
  readonly reportTries: number;
  readonly report?: string;
  readonly mimeType?: string;
  readonly failCode?: number;
}

export interface ReconciliationStart {
  readonly flowId: string;
  readonly scope: "shop" | "terminal";
  readonly terminalId?: string;
  readonly reportId: string;
}

type S = ReconciliationState;
const MAX_MARK_ATTEMPTS = 5;

export function startReconciliation(p: ReconciliationStart, _ctx: FlowContext): Step<S> {
  return mark({ kind: "reconciliation", phase: "marking", calls: 0, attempts: 0, reportTries: 0, ...p });
}

function mark(s: S): Step<S> {
  return callGlase(s, { op: "markTransactionPeriod", ...(s.scope === "terminal" ? { terminalId: s.terminalId } : {}) }, { phase: "marking" } as Partial<S>);
}

function report(s: S): Step<S> {
  const call = {
    op: "executeReport",
    reportId: s.reportId,
    transactionPeriodId: s.transactionPeriodId!,
    ...(s.scope === "terminal" ? { terminalId: s.terminalId } : {}),
  } as const;
  return callGlase(s, call, { phase: "reporting", reportTries: s.reportTries + 1 } as Partial<S>);
}

function fail(s: S, code?: number): Step<S> {
  return same({ ...s, phase: "finished", outcome: "failed", failCode: code, pending: undefined });
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
          return { state: { ...done, phase: "waiting", transactionPeriodId: o.transactionPeriodId, attempts: 0 }, effects: [timer("report", ctx.settings.reportWaitMs)] };
        }
        if ((isTemporary(o) || o.kind === "transport") && s.attempts < MAX_MARK_ATTEMPTS) {
          return { state: { ...done, attempts: s.attempts + 1 }, effects: [timer("retry", backoffMs(s.attempts + 1, ctx))] };
        }
        return fail(done, o.kind === "result" ? o.code : undefined);
      }
      if (s.phase === "reporting") {
        if (o.kind === "ok") return same({ ...done, phase: "finished", outcome: "reported", report: o.report ?? "", mimeType: o.mimeType });
        const retryable = (o.kind === "result" && o.code === 2) || isTemporary(o) || o.kind === "transport";
        if (retryable && s.reportTries < ctx.settings.reportMaxRetries) {
          return { state: { ...done, phase: "waiting" }, effects: [timer("report", ctx.settings.reportRetryMs)] };
        }
        return fail(done, o.kind === "result" ? o.code : undefined);
      }
      return same(s);
    }
    case "timer":
      if (s.pending !== undefined) return same(s);
      if (input.name === "retry" && s.phase === "marking") return mark(s);
      if (input.name === "report" && s.phase === "waiting") return report(s);
      return same(s);
    case "recover":
      if (s.phase === "marking") return mark({ ...s, pending: undefined });
      return report({ ...s, pending: undefined });
    case "technician":
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
