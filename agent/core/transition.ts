// One entry point for every flow kind: transition(state, input, ctx) → { state, effects }. Each
// kind's machine is found in MACHINES by the state's `kind` (no switch to extend: a new kind that
// is in FlowState but not in the table fails the typecheck). The shell's per-kind descriptors
// (agent/flows/kinds/) say the rest: how a kind starts, what it journals, how it is shown.
import type { FlowContext } from "./effects.ts";
import { type Step, reraiseParked } from "./flow.ts";
import type { FlowInput } from "./inputs.ts";
import { type PosState, transitionPos } from "./pos.ts";
import { type PreliminaryState, transitionPreliminary } from "./preliminary.ts";
import { type ReconciliationState, transitionReconciliation } from "./reconciliation.ts";
import { type RefundState, transitionRefund } from "./refund.ts";
import { type SendWatchState, transitionSendWatch } from "./send-watch.ts";

export type FlowState = PreliminaryState | PosState | RefundState | ReconciliationState | SendWatchState;

/** The state of one flow kind. */
export type StateOf<K extends FlowState["kind"]> = Extract<FlowState, { kind: K }>;

/** A kind's pure machine. */
export type Machine<S extends FlowState> = (state: S, input: FlowInput, ctx: FlowContext) => Step<S>;

const MACHINES: { readonly [K in FlowState["kind"]]: Machine<StateOf<K>> } = {
  preliminary: transitionPreliminary,
  pos: transitionPos,
  refund: transitionRefund,
  reconciliation: transitionReconciliation,
  "send-watch": transitionSendWatch,
};

/**
 * Polls are not journaled (they change nothing durable), so after a restart the call counter may
 * lag behind references already sent: jump to the next epoch so clientReferences stay unique.
 */
export const CALL_EPOCH = 100_000;

export function transition(state: FlowState, input: FlowInput, ctx: FlowContext): Step<FlowState> {
  if (input.type === "recover") {
    state = { ...state, calls: (Math.floor(state.calls / CALL_EPOCH) + 1) * CALL_EPOCH };
    // Alarms live in memory: a flow still parked after a restart asks for its technician again.
    if (state.phase === "parked") {
      const again = reraiseParked(state);
      // A parked preliminary flow may still have to stop its pump (preliminary-pump.ts): it re-arms that.
      if (state.kind !== "preliminary") return again;
      const step = transitionPreliminary(state, input, ctx);
      return { state: step.state, effects: [...again.effects, ...step.effects] };
    }
  }
  return machineOf(state)(state, input, ctx);
}

function machineOf<S extends FlowState>(state: S): Machine<S> {
  const machine = MACHINES[state.kind] as unknown as Machine<S> | undefined;
  // A state read back from the journal is data: a kind this build does not know is named, not run.
  if (!machine) throw new Error(`unknown flow kind ${JSON.stringify((state as { kind?: unknown }).kind)}`);
  return machine;
}
