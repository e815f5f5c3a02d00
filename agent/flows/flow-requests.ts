// The engine's requests in flow terms: what a point's configuration makes of a customer call or a
// kiosk payment (the flow's start parameters), and what an ended refund or reconciliation flow
// answers its caller (a result, or an AgentError naming why not).
import type { PosStart } from "../core/pos.ts";
import type { PreliminaryStart } from "../core/preliminary.ts";
import type { FlowState } from "../core/transition.ts";
import type { PointConfig, ReconciliationResult, RefundResult } from "../engine-api.ts";
import { AgentError } from "../errors.ts";
import type { InvoiceRow } from "../glase/types.ts";

/** A customer call on a fuel/EV point: reserve the preset (capped by the point's maximum) or the maximum. */
export function preliminaryStartFor(config: PointConfig, flowId: string, gradeId: string | undefined, presetMinor: number | undefined): PreliminaryStart {
  const reserve = presetMinor !== undefined && presetMinor > 0 ? Math.min(presetMinor, config.maxPreliminaryMinor) : config.maxPreliminaryMinor;
  return {
    ...onPoint(config, flowId),
    unit: config.kind === "ev" ? "kWh" : "L",
    grades: config.grades ?? [],
    ...(gradeId !== undefined ? { gradeId } : {}),
    reserveMinor: reserve,
  };
}

export function posStartFor(config: PointConfig, flowId: string, amountMinor: number, rows?: readonly InvoiceRow[]): PosStart {
  return {
    ...onPoint(config, flowId),
    pointKind: config.kind,
    amountMinor,
    ...(rows ? { rows } : {}),
  };
}

/** What every payment flow on a point starts with: its id and the point's terminal, currency and name. */
function onPoint(config: PointConfig, flowId: string) {
  return { flowId, point: config.id, terminalId: config.terminal.terminalId, currency: config.currency, stationName: config.stationName };
}

export function refundResultOf(flowId: string, s: FlowState): RefundResult {
  if (s.kind === "refund" && s.outcome === "refunded") return { flowId, refundErsReference: s.refundReference ?? "" };
  if (s.kind === "refund" && s.failCode !== undefined) throw new AgentError("GLASE_RESULT", `refund refused with result code ${s.failCode}`, { flowId, resultCode: s.failCode });
  throw new AgentError("CONFLICT", `refund ${flowId} ended ${s.phase === "parked" ? "parked: outcome unknown, check the report" : s.outcome}`, { flowId });
}

export function reconciliationResultOf(flowId: string, s: FlowState): ReconciliationResult {
  if (s.kind === "reconciliation" && s.outcome === "period-unknown") {
    throw new AgentError("CONFLICT", "reconciliation: the markTransactionPeriod answer was lost; the period may have been closed and its id is unknown — reconcile again", { flowId, outcome: s.outcome });
  }
  if (s.kind === "reconciliation" && s.phase === "parked") {
    throw new AgentError("CONFLICT", `reconciliation ${flowId} parked: period ${s.transactionPeriodId} is marked but its report is not available; retry the flow to read that period again`, { flowId, transactionPeriodId: s.transactionPeriodId });
  }
  if (s.kind !== "reconciliation" || s.outcome !== "reported") {
    const code = s.kind === "reconciliation" ? s.failCode : undefined;
    const period = s.kind === "reconciliation" && s.transactionPeriodId !== undefined ? ` (period ${s.transactionPeriodId})` : "";
    throw new AgentError("GLASE_RESULT", `reconciliation failed${code !== undefined ? ` with result code ${code}` : ""}${period}`, { flowId, resultCode: code, ...(s.kind === "reconciliation" && s.transactionPeriodId !== undefined ? { transactionPeriodId: s.transactionPeriodId } : {}) });
  }
  return {
    flowId,
    reportId: s.reportId,
    ...(s.transactionPeriodId !== undefined ? { transactionPeriodId: s.transactionPeriodId } : {}),
    ...(s.report !== undefined ? { report: s.report } : {}),
    ...(s.mimeType !== undefined ? { mimeType: s.mimeType } : {}),
    reports: s.reports ?? (s.report !== undefined ? [{ reportId: s.reportId, report: s.report, ...(s.mimeType !== undefined ? { mimeType: s.mimeType } : {}) }] : []),
  };
}
