// One entry point for every flow kind: transition(state, input, ctx) → { state, effects }.
import { type FlowContext, assertNever } from "./effects.ts";
import { type Step, reraiseParked } from "./flow.ts";
import type { FlowInput } from "./inputs.ts";
import { type PosState, transitionPos } from "./pos.ts";
import { type PreliminaryState, transitionPreliminary } from "./preliminary.ts";
import { type ReconciliationState, transitionReconciliation } from "./reconciliation.ts";
import { type RefundState, transitionRefund } from "./refund.ts";

export type FlowState = PreliminaryState | PosState | RefundState | ReconciliationState;

/**
 * Polls are not journaled (they change nothing durable), so after a restart the call counter may
 * lag behind references already sent: jump to the next epoch so clientReferences stay unique.
 */
export const CALL_EPOCH = 100_000;

export function transition(state: FlowState, input: FlowInput, ctx: FlowContext): Step<FlowState> {
  if (input.type === "recover") {
    state = { ...state, calls: (Math.floor(state.calls / CALL_EPOCH) + 1) * CALL_EPOCH };
    // Alarms live in memory: a flow still parked after a restart asks for its technician again.
    if (state.phase === "parked") return reraiseParked(state);
  }
  switch (state.kind) {
    case "preliminary":
      return transitionPreliminary(state, input, ctx);
    case "pos":
      return transitionPos(state, input, ctx);
    case "refund":
      return transitionRefund(state, input, ctx);
    case "reconciliation":
      return transitionReconciliation(state, input, ctx);
    default:
      return assertNever(state, "flow kind");
  }
}

/** The money figure worth showing for a flow. */
export function amountOf(s: FlowState): number | undefined {
  switch (s.kind) {
    case "preliminary":
      return s.commitMinor ?? s.progress?.amountMinor ?? s.reserveMinor;
    case "pos":
    case "refund":
      return s.amountMinor;
    case "reconciliation":
      return undefined;
    default:
      return assertNever(s, "flow kind");
  }
}
