// The refund flow: refundPayment of a payment's ersReference; a lost answer is checked against the
// terminal's period report, never re-sent on a guess (agent/core/refund.ts). Started by the
// technician socket or the kiosk host; holds no point; its calls use the terminal's credentials;
// while unresolved it checks with its terminal's period, so nothing else may mark that period.
import { type RefundStart, type RefundState, startRefund, transitionRefund } from "../../core/refund.ts";
import type { RefundResult } from "../../engine-api.ts";
import { AgentError } from "../../../base/errors.ts";
import type { FlowKindDescriptor, WithResult } from "./descriptor.ts";
import { terminalTarget } from "./shared.ts";

export const refundFlow: WithResult<FlowKindDescriptor<RefundState, RefundStart, RefundResult>> = {
  kind: "refund",
  start: startRefund,
  machine: transitionRefund,
  journalKeys: (s) => ({ point: s.point, terminalId: s.terminalId }),
  holdsPoint: false,
  glaseTarget: terminalTarget,
  amountOf: (s) => s.amountMinor,
  ersReferenceOf: (s) => s.refundReference,
  resultOf(flowId, s) {
    if (s.outcome === "refunded") return { flowId, refundErsReference: s.refundReference ?? "" };
    if (s.failCode !== undefined) throw new AgentError("GLASE_RESULT", `refund refused with result code ${s.failCode}`, { flowId, resultCode: s.failCode });
    if (s.markFailCode !== undefined) {
      throw new AgentError("GLASE_RESULT", `refund not sent: marking terminal ${s.terminalId}'s period before it was refused with result code ${s.markFailCode}`, { flowId, resultCode: s.markFailCode, step: "markTransactionPeriod" });
    }
    if (s.outcome === "failed" && (s.sends ?? 0) === 0) {
      throw new AgentError("CONFLICT", `refund ${flowId} not sent: terminal ${s.terminalId}'s period could not be marked before it (Glase unreachable or the mark's answers were lost); nothing was refunded, try again`, { flowId });
    }
    throw new AgentError("CONFLICT", `refund ${flowId} ended ${s.phase === "parked" ? "parked: outcome unknown, check the report" : s.outcome}`, { flowId });
  },
  periodUse: () => "checks",
};
