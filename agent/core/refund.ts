// Refund (contract §6.8): refundPayment(ersReference, invoice with the refunded amount). Partial or
// whole; Σ refunds ≤ original is Glase's check (98). A refund is a new transaction, so a lost answer
// is never re-sent: the flow parks and a technician checks the report (§6.15).
import type { Invoice } from "../glase/types.ts";
import { type FlowContext, assertNever, backoffMs, timer } from "./effects.ts";
import { type FlowBase, type Step, callGlase, isoLocal, pendingOutcome, same } from "./flow.ts";
import { type FlowInput, isTemporary } from "./inputs.ts";
import { money } from "./money.ts";

export type RefundPhase = "refunding" | "parked" | "finished";

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

export function startRefund(p: RefundStart, ctx: FlowContext): Step<S> {
  return refund({ kind: "refund", phase: "refunding", calls: 0, attempts: 0, ...p }, ctx);
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
  };
  return callGlase(s, { op: "refundPayment", ersReference: s.ersReference, invoice }, { phase: "refunding" } as Partial<S>);
}

function park(s: S): Step<S> {
  return {
    state: { ...s, phase: "parked", parkedReason: "refund-unknown", pending: undefined },
    effects: [{ type: "alarm", code: "refund-unknown", message: `refund of ${s.amountMinor} on ${s.ersReference}: outcome unknown, check the report before retrying` }],
  };
}

export function transitionRefund(s: S, input: FlowInput, ctx: FlowContext): Step<S> {
  if (s.phase === "finished") return same(s);
  switch (input.type) {
    case "glase": {
      const o = pendingOutcome(s, input);
      if (o === undefined) return same(s);
      const done: S = { ...s, pending: undefined };
      if (o.kind === "ok") return same({ ...done, phase: "finished", outcome: "refunded", refundReference: o.ersReference });
      if (isTemporary(o) && s.attempts < MAX_ATTEMPTS) {
        return { state: { ...done, attempts: s.attempts + 1 }, effects: [timer("retry", backoffMs(s.attempts + 1, ctx))] };
      }
      if (o.kind === "transport" && o.indefinite) return park(done);
      return same({ ...done, phase: "finished", outcome: "failed", failCode: o.kind === "result" ? o.code : undefined });
    }
    case "timer":
      return input.name === "retry" && s.phase === "refunding" && s.pending === undefined ? refund(s, ctx) : same(s);
    case "recover":
      // The intent is durable, the answer is not: it may have been refunded. Never re-send blindly.
      return s.phase === "refunding" ? park(s) : same(s);
    case "technician":
      if (s.phase !== "parked") return same(s);
      if (input.action === "mark-settled") return same({ ...s, phase: "finished", outcome: "refunded", parkedReason: undefined });
      if (input.action === "cancel") return same({ ...s, phase: "finished", outcome: "failed", parkedReason: undefined });
      if (input.action === "retry") return refund({ ...s, parkedReason: undefined, attempts: 0 }, ctx);
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
      return same(s);
    default:
      return assertNever(input, "input");
  }
}
