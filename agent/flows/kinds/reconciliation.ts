// The reconciliation flow: markTransactionPeriod → wait → executeReport, for the shop (reseller
// credentials) or one terminal. Started by the technician socket or the period close; holds no
// point; a terminal reconciliation marks its terminal's period, and one whose mark was lost holds
// that period (a refund's check could read the wrong one) for two call timeouts after it ends.
import { type ReconciliationStart, type ReconciliationState, startReconciliation, transitionReconciliation } from "../../core/reconciliation.ts";
import type { ReconciliationResult } from "../../engine-api.ts";
import { AgentError } from "../../../base/errors.ts";
import type { FlowKindDescriptor, WithResult } from "./descriptor.ts";
import { terminalTarget } from "./shared.ts";

export const reconciliationFlow: WithResult<FlowKindDescriptor<ReconciliationState, ReconciliationStart, ReconciliationResult>> = {
  kind: "reconciliation",
  start: startReconciliation,
  machine: transitionReconciliation,
  journalKeys: (s) => ({ terminalId: s.terminalId }),
  holdsPoint: false,
  glaseTarget: (s, station) => (s.scope === "shop" ? { ...(station.reseller ? { reseller: station.reseller } : {}) } : terminalTarget(s, station)),
  amountOf: () => undefined,
  ersReferenceOf: () => undefined,
  resultOf: reconciliationResultOf,
  periodUse: (s) => (s.scope === "terminal" ? "marks" : undefined),
  periodHeldAfter: (s) => (s.scope === "terminal" && s.outcome === "period-unknown" ? s.terminalId : undefined),
};

function reconciliationResultOf(flowId: string, s: ReconciliationState): ReconciliationResult {
  if (s.outcome === "period-unknown") {
    throw new AgentError("CONFLICT", "reconciliation: the markTransactionPeriod answer was lost; the period may have been closed and its id is unknown — reconcile again", { flowId, outcome: s.outcome });
  }
  if (s.phase === "parked") {
    throw new AgentError("CONFLICT", `reconciliation ${flowId} parked: period ${s.transactionPeriodId} is marked but its report is not available; retry the flow to read that period again`, { flowId, transactionPeriodId: s.transactionPeriodId });
  }
  if (s.outcome !== "reported" && s.outcome !== "partial") {
    const code = s.failCode;
    const period = s.transactionPeriodId !== undefined ? ` (period ${s.transactionPeriodId})` : "";
    throw new AgentError("GLASE_RESULT", `reconciliation failed${code !== undefined ? ` with result code ${code}` : ""}${period}`, { flowId, resultCode: code, ...(s.transactionPeriodId !== undefined ? { transactionPeriodId: s.transactionPeriodId } : {}) });
  }
  const periods = [...(s.earlierPeriods ?? []), ...(s.transactionPeriodId !== undefined ? [s.transactionPeriodId] : [])];
  return {
    flowId,
    ...(periods.length > 1 ? { periods } : {}),
    ...(s.outcome === "partial" ? { partial: `the shift may hold more than periods ${periods.join(", ")}: ${(s.unknownMarks ?? []).join("; ")}` } : {}),
    reportId: s.reportId,
    ...(s.transactionPeriodId !== undefined ? { transactionPeriodId: s.transactionPeriodId } : {}),
    ...(s.report !== undefined ? { report: s.report } : {}),
    ...(s.mimeType !== undefined ? { mimeType: s.mimeType } : {}),
    reports: s.reports ?? (s.report !== undefined ? [{ reportId: s.reportId, report: s.report, ...(s.mimeType !== undefined ? { mimeType: s.mimeType } : {}) }] : []),
  };
}
