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
  if (o.kind === "ok" && o.status === "PAID" && o.ersReference) return paid({ ...s, version: o.version ?? s.version }, o, ctx);
  if (o.kind === "ok" && (o.status === "CANCELED" || o.status === "FAILED" || o.status === "EXPIRED")) {
    const message = `point ${s.point}: invoice ${s.invoiceRef} read PAID (${seen.ersReference}) and then ${o.status} (reversed, §9 A45): nothing released`;
    return finish(s, "reversed", { type: "alarm", code: "paid-reversed", message }, display(s, "Payment reversed - no charge"));
  }
  if (s.attempts + 1 < CONFIRM_READS) return { state: { ...s, attempts: s.attempts + 1, pending: undefined }, effects: [timer("poll", readDelay(s, ctx))] };
  const message = `point ${s.point}: invoice ${s.invoiceRef} read PAID (${seen.ersReference}) but the confirming reads failed; released on the first read`;
  return withEffects(paid(s, seen, ctx), { type: "alarm", code: "paid-unconfirmed", message });
}
