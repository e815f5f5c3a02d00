// The payment-flow kinds the engine runs, by `kind`: one descriptor each (./descriptor.ts). A kind
// added to FlowState without its descriptor here fails the typecheck; a journal row of a kind not
// here (a kiosk sale, the admin audit trail) is not a payment flow and is left to its owner.
import type { FlowState, StateOf } from "../../core/transition.ts";
import type { FlowKindDescriptor } from "./descriptor.ts";
import { posFlow } from "./pos.ts";
import { preliminaryFlow } from "./preliminary.ts";
import { reconciliationFlow } from "./reconciliation.ts";
import { refundFlow } from "./refund.ts";
import { sendWatchFlow } from "./send-watch.ts";

export const FLOW_KINDS = {
  preliminary: preliminaryFlow,
  pos: posFlow,
  refund: refundFlow,
  reconciliation: reconciliationFlow,
  "send-watch": sendWatchFlow,
} as const satisfies { readonly [K in FlowState["kind"]]: FlowKindDescriptor<StateOf<K>, never, unknown> };

/** The journal kinds of payment flows; other rows (kiosk sales, the admin audit trail) are not flows to run or list. */
export const PAYMENT_FLOW_KINDS = Object.keys(FLOW_KINDS) as readonly FlowState["kind"][];

export function isPaymentFlowKind(kind: string): kind is FlowState["kind"] {
  return Object.hasOwn(FLOW_KINDS, kind);
}

/** The descriptor of a flow's kind (one lookup; typed for that state). */
export function flowKind<S extends FlowState>(s: S): FlowKindDescriptor<S, never, unknown> {
  return FLOW_KINDS[s.kind] as unknown as FlowKindDescriptor<S, never, unknown>;
}
