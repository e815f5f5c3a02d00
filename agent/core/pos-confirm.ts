// The confirming read before a kiosk releases (contract §9 A45): a PAID read at the 20-second
// boundary can still be reversed — Glase then answers CANCELED on the next poll. So the first PAID
// is not released on: one more status read (at the poll cadence) confirms it. PAID again ⇒ release;
// CANCELED/FAILED/EXPIRED ⇒ reversed: nothing released, a technician told (the customer's money went
// back). Reads that keep failing ⇒ released on the PAID already read, with an alarm (a customer who
// paid is not left without the product over a flaky link).
import { type Effect, type FlowContext, timer } from "./effects.ts";
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
  if (o.kind === "ok" && o.status === "PAID" && o.ersReference === seen.ersReference) return withCandidates(paid({ ...s, version: o.version ?? s.version }, o, ctx), true);
  if (o.kind === "ok" && o.status === "PAID" && o.ersReference) {
    // The current invoice read (reference unknown) is another paid one of the flow's by now (a lost
    // send landed after): it confirms nothing of paidSeen — one more candidate (review 9s S5).
    const known = (s.paidCandidates ?? []).some((c) => c.ersReference === o.ersReference) || (s.paidAgain ?? []).includes(o.ersReference);
    return unconfirmed(known ? s : { ...s, paidCandidates: [...(s.paidCandidates ?? []), o] }, ctx);
  }
  if (o.kind === "ok" && (o.status === "CANCELED" || o.status === "FAILED" || o.status === "EXPIRED")) {
    const message = `point ${s.point}: invoice ${s.invoiceRef} read PAID (${seen.ersReference}) and then ${o.status} (reversed, §9 A45)`;
    const alarm = (tail: string) => ({ type: "alarm" as const, code: "paid-reversed", message: `${message}: ${tail}` });
    const [other, ...rest] = s.paidCandidates ?? [];
    if (other === undefined) return finish(s, "reversed", alarm("nothing released"), display(s, "Payment reversed - no charge"));
    // Another payment of the flow's (a lost send's, read meanwhile) stands: it is the sale's, confirmed in turn (review 9r R3).
    const next: S = { ...s, ...paidLanding(s, other), paidCandidates: rest.length > 0 ? rest : undefined, paidSeen: other, attempts: 0, pending: undefined, invoiceRef: other.invoiceReference, version: other.version ?? 0 };
    const step = other.invoiceReference !== undefined ? { state: next, effects: [timer("poll", readDelay(s, ctx))] } : unconfirmable(next, other, ctx);
    return withEffects(step, alarm(`the sale goes on on ${other.ersReference}, paid too`));
  }
  return unconfirmed(s, ctx);
}

/** A confirming read that confirmed nothing: read again, or release on the PAID already read. */
function unconfirmed(s: S, ctx: FlowContext): Step<S> {
  const seen = s.paidSeen!;
  if (s.attempts + 1 < CONFIRM_READS) return { state: { ...s, attempts: s.attempts + 1, pending: undefined }, effects: [timer("poll", readDelay(s, ctx))] };
  const message = `point ${s.point}: invoice ${s.invoiceRef ?? "(reference unknown)"} read PAID (${seen.ersReference}) but the confirming reads did not confirm it; released on the first read`;
  return withCandidates(withEffects(paid(s, seen, ctx), { type: "alarm", code: "paid-unconfirmed", message }), false);
}

/** Its invoice's reference unknown, the other payment cannot be read again: released on as read, told. */
function unconfirmable(s: S, o: Paid, ctx: FlowContext): Step<S> {
  const message = `point ${s.point}: payment ${o.ersReference} of this sale cannot be read again (its invoice reference unknown); released on the read that showed it`;
  return withCandidates(withEffects(paid(s, o, ctx), { type: "alarm", code: "paid-unconfirmed", message }), false);
}

/**
 * Once a payment is released on, the candidates read beside it are second payments, told for a
 * technician to refund. Released on an unconfirmed read, the one released on may be the reversed
 * one and a candidate the sale's only payment: told without a checked refund — which stands is
 * read in Glase first (review 9s S3).
 */
function withCandidates(step: Step<S>, confirmed: boolean): Step<S> {
  let state: S = { ...step.state, paidCandidates: undefined };
  const effects = [...step.effects];
  for (const other of step.state.paidCandidates ?? []) {
    const t = secondPayment(state, other);
    state = t.state;
    effects.push(...(confirmed ? t.effects : t.effects.map(unchecked)));
  }
  return { state, effects };
}

function unchecked(e: Effect): Effect {
  if (e.type !== "alarm" || e.refundable === undefined) return e;
  const { refundable: _, ...rest } = e;
  return { ...rest, message: `${rest.message.replace(/ — refund it: .*$/, "")} — the payment released on was not confirmed: read both in Glase before refunding either (ctl refund --force)` };
}
