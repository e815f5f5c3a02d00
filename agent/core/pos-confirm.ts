// The confirming read before a kiosk releases (contract §9 A45): a PAID read at the 20-second
// boundary can still be reversed — Glase then answers CANCELED on the next poll. So the first PAID
// is not released on: one more status read (at the poll cadence) confirms it. PAID again ⇒ release;
// CANCELED/FAILED/EXPIRED ⇒ reversed: nothing released, a technician told (the customer's money went
// back). Reads that keep failing ⇒ released on the PAID already read, with an alarm (a customer who
// paid is not left without the product over a flaky link).
import { type FlowContext, timer } from "./effects.ts";
import { type Step, display, readDelay, withEffects } from "./flow.ts";
import { statusRead } from "./pos-reads.ts";
import type { GlaseOutcome } from "./inputs.ts";
import type { PosState } from "./pos.ts";
import { finish, paid } from "./pos-steps.ts";
import { paidWhileCollected } from "./pos-late-send.ts";
import { paidLanding, secondPayment } from "./pos-send-reads.ts";

type S = PosState;
type Paid = Extract<GlaseOutcome, { kind: "ok" }>;

/** Failed confirming reads after which the PAID already read is released on. */
const CONFIRM_READS = 3;

/** The first PAID read: confirm it with one more read, at the poll cadence. */
export function confirmPaid(s: S, o: Paid, ctx: FlowContext): Step<S> {
  // The flow's own payment is already collected: this is it again, or a late invoice paid too.
  if (s.collected !== undefined) return paidWhileCollected(s, o, ctx, finish);
  const seen: S = { ...s, phase: "confirming", pending: undefined, attempts: 0, invoiceRef: s.invoiceRef ?? o.invoiceReference, paidSeen: o };
  return { state: seen, effects: [timer("poll", readDelay(s, ctx))] };
}

export function confirmRead(s: S, ctx: FlowContext): Step<S> {
  return statusRead(s, ctx, s.invoiceRef, s.version, { phase: "confirming" });
}

export function onConfirmRead(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  const seen = s.paidSeen!;
  if (o.kind === "ok" && o.status === "PAID" && o.ersReference) return withCandidate(paid({ ...s, version: o.version ?? s.version }, o, ctx));
  if (o.kind === "ok" && (o.status === "CANCELED" || o.status === "FAILED" || o.status === "EXPIRED")) {
    const message = `point ${s.point}: invoice ${s.invoiceRef} read PAID (${seen.ersReference}) and then ${o.status} (reversed, §9 A45)`;
    const alarm = (tail: string) => ({ type: "alarm" as const, code: "paid-reversed", message: `${message}: ${tail}` });
    const other = s.paidCandidate;
    if (other === undefined) return finish(s, "reversed", alarm("nothing released"), display(s, "Payment reversed - no charge"));
    // Another payment of the flow's (a lost send's, read meanwhile) stands: it is the sale's, confirmed in turn.
    const next: S = { ...s, ...paidLanding(s, other), paidCandidate: undefined, paidSeen: other, attempts: 0, pending: undefined, invoiceRef: other.invoiceReference, version: other.version ?? 0 };
    const step = other.invoiceReference !== undefined ? { state: next, effects: [timer("poll", readDelay(s, ctx))] } : unconfirmable(next, other, ctx);
    return withEffects(step, alarm(`the sale goes on on ${other.ersReference}, paid too`));
  }
  if (s.attempts + 1 < CONFIRM_READS) return { state: { ...s, attempts: s.attempts + 1, pending: undefined }, effects: [timer("poll", readDelay(s, ctx))] };
  const message = `point ${s.point}: invoice ${s.invoiceRef} read PAID (${seen.ersReference}) but the confirming reads failed; released on the first read`;
  return withCandidate(withEffects(paid(s, seen, ctx), { type: "alarm", code: "paid-unconfirmed", message }));
}

/** Its invoice's reference unknown, the other payment cannot be read again: released on as read, told. */
function unconfirmable(s: S, o: Paid, ctx: FlowContext): Step<S> {
  const message = `point ${s.point}: payment ${o.ersReference} of this sale cannot be read again (its invoice reference unknown); released on the read that showed it`;
  return withEffects(paid(s, o, ctx), { type: "alarm", code: "paid-unconfirmed", message });
}

/** Once a payment is released on, a candidate read beside it is a second payment: told, refunded by a technician. */
function withCandidate(step: Step<S>): Step<S> {
  const other = step.state.paidCandidate;
  if (other === undefined) return step;
  const t = secondPayment({ ...step.state, paidCandidate: undefined }, other);
  return { state: t.state, effects: [...step.effects, ...t.effects] };
}
