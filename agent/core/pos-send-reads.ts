// Reads of the terminal's current invoice while a kiosk flow's re-send is out (issue 9, found by
// the model campaign: `paid-orphan-not-read`). A sendInvoice of the flow's whose answer never came
// may still land at any time (§4.1 sets no bound) and be paid. Its reference came back with the lost
// answer, so it is readable only while it is the terminal's current invoice (§9 A12) — and any newer
// invoice of ours landing there (another late send, or the re-send itself) hides it for good: a PAID
// nobody read is reversed 20 s later. The re-send waits up to a call timeout (10 s) for its answer;
// with no reads in that wait, a payment of the lost invoice there was read by no one. So while a
// re-send is out and a lost send of the flow's may land:
// - the flow reads the terminal's current invoice at the poll cadence (at most MAX_READS_IN_FLIGHT
//   out at once), beside the send it waits for — these reads are never the flow's pending call;
// - an answer showing a payment of the flow's (its clientInvoiceId) that it does not know yet is the
//   flow's payment, whenever it comes back: before the re-send is answered, the re-send becomes one
//   more lost send (pos-late-send.ts watches it to its end) and the payment is confirmed and
//   released as any other; after it, the invoice the flow then polls is open under a paid sale and
//   is closed once the product is out (lateOpen; by its reference if known, lateRef); once a
//   payment is in hand, it is a second one (paid-twice: nothing released, a technician refunds it);
// - every other answer is left to the send's own answer and the reads that follow it.
import { type FlowContext, assertNever, cancelTimer, clientRef, glase, timer } from "./effects.ts";
import { type Step, display, readDelay, same, sentOut } from "./flow.ts";
import type { FlowInput, GlaseOutcome } from "./inputs.ts";
import type { PosState } from "./pos.ts";
import { confirmPaid } from "./pos-confirm.ts";
import { paidTwice } from "./pos-late-send.ts";
import { MAX_READS_IN_FLIGHT } from "./pos-reads.ts";
import { landedOne, lostOne } from "./send-watch-state.ts";

type S = PosState;
type Ok = Extract<GlaseOutcome, { kind: "ok" }>;

/**
 * Whether the flow's sendInvoice is out while an invoice of its own may be paid unseen: a lost send
 * may land, an adopted invoice of unknown reference is being superseded (a payment of it just
 * before the new one lands is hidden by it), or the send closes a late invoice after the payment.
 */
function readsWanted(s: S): boolean {
  if (s.phase !== "sending-invoice" || s.pending?.op !== "sendInvoice") return false;
  return (s.lostSends?.length ?? 0) > 0 || s.refUnknown === true || s.collected !== undefined;
}

/** The poll timer to arm with a sendInvoice (none for a first send: nothing of the flow's can land). */
export function pollWhileSending(s: S, ctx: FlowContext): Step<S>["effects"] {
  return readsWanted(s) ? [timer("poll", readDelay(s, ctx))] : [];
}

/** The poll timer while sending: one more read of the current invoice, at the poll cadence. */
export function readWhileSending(s: S, ctx: FlowContext): Step<S> {
  if (!readsWanted(s)) return same(s);
  const wait = readDelay(s, ctx);
  const out = s.sendReads ?? [];
  if (wait > 0 || out.length >= MAX_READS_IN_FLIGHT) return { state: s, effects: [timer("poll", wait > 0 ? wait : ctx.settings.pollIntervalMs)] };
  const ref = clientRef(s.flowId, s.calls + 1);
  const state: S = { ...s, calls: s.calls + 1, lastReadAt: ctx.now, sendReads: [...out, ref] };
  return { state, effects: [glase(ref, { op: "getPaymentStatus", version: 0 }), timer("poll", ctx.settings.pollIntervalMs)] };
}

/** Whether a glase input answers one of those reads. */
export function isSendRead(s: S, input: FlowInput): input is Extract<FlowInput, { type: "glase" }> {
  return input.type === "glase" && input.op === "getPaymentStatus" && (s.sendReads ?? []).includes(input.ref);
}

function known(s: S, ers: string): boolean {
  return ers === s.ersReference || ers === s.paidSeen?.ersReference || (s.paidCandidates ?? []).some((c) => c.ersReference === ers) || (s.paidAgain ?? []).includes(ers);
}

/**
 * What a PAID read of the flow's (an ersReference it did not know) says of its lost sends. The
 * invoice it polls by reference (or will cancel by it, lateRef) was answered, not lost: nothing
 * landed. Else a lost send landed — unless the flow adopted an open invoice of unknown reference
 * (an open read tells none) and has not seen it paid yet: this is taken to be that one, already
 * taken off the record at adoption. Should it be another, the adopted one's own payment later counts
 * as the landing: never one too few (a lost send never watched), at most one too many for a while.
 */
export function paidLanding(s: S, o: Ok): Partial<S> {
  if (o.invoiceReference !== undefined && (o.invoiceReference === s.invoiceRef || o.invoiceReference === s.lateRef)) return {};
  if (s.adoptedUnseen) return { adoptedUnseen: false };
  return { lostSends: landedOne(s.lostSends) };
}

/**
 * A PAID of the terminal's current invoice that is the flow's: its clientInvoiceId says so — or,
 * the receipt without one (§4.7: 0..1; review 9r R1), it was paid after a lost send of the flow's
 * left: the previous sale's PAID, still the current invoice, was paid before this flow began. A
 * paymentDate without its zone offset proves nothing.
 */
export function ownPaid(s: S, o: GlaseOutcome): boolean {
  if (!(o.kind === "ok" && o.status === "PAID" && o.ersReference)) return false;
  if (o.clientInvoiceId !== undefined) return o.clientInvoiceId === s.flowId;
  const zoned = o.paymentDate !== undefined && /(Z|[+-]\d\d:\d\d)$/.test(o.paymentDate);
  const paidAt = zoned ? Date.parse(o.paymentDate!) : NaN;
  const lost = s.lostSends ?? [];
  return lost.length > 0 && Number.isFinite(paidAt) && paidAt >= Math.min(...lost);
}

/** The answer of a read made while sending (in whatever phase the flow is now). */
export function onSendRead(s: S, ref: string, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  const rest = (s.sendReads ?? []).filter((r) => r !== ref);
  const next: S = { ...s, sendReads: rest.length > 0 ? rest : undefined };
  if (o.kind !== "ok" || !ownPaid(s, o) || known(s, o.ersReference!)) return endIfDrained(same(next));
  // (A payment in hand — collected, or released and ending — makes this one a second: review 9-q Q1.)
  if (next.collected !== undefined || next.ersReference !== undefined || next.phase === "releasing" || next.phase === "printing") return endIfDrained(secondPayment(next, o));
  // Confirming another: this one is the sale's if that one is reversed, a second one if it is not (review 9r R3).
  if (next.phase === "confirming") return same({ ...next, paidCandidates: [...(next.paidCandidates ?? []), o] });
  // The flow's own invoice (polled or being cancelled by its reference) paid: its payment, as the poll would have shown.
  if (o.invoiceReference !== undefined && o.invoiceReference === next.invoiceRef) return confirmPaid({ ...next, pending: undefined, reads: undefined }, o, ctx);
  const adopt: S = { ...next, ...paidLanding(next, o), pending: undefined, reads: undefined, invoiceRef: undefined, refUnknown: false, drainOutcome: undefined, drainDisplay: undefined };
  switch (next.phase) {
    case "sending-invoice":
      // The send is still out: a lost send now, watched to its end once the product is out.
      return confirmPaid({ ...adopt, sendUnanswered: true, lostSends: lostOne(adopt.lostSends, sentOut(next), ctx) }, o, ctx);
    case "polling":
    case "canceling":
      // The invoice polled now may have opened after the payment (the re-send, or a late one):
      // closed once the product is out — by its reference when the flow has it (pos-late-send.ts).
      return confirmPaid({ ...adopt, lateOpen: true, lateSeen: true, ...(next.invoiceRef !== undefined ? { lateRef: next.invoiceRef } : {}) }, o, ctx);
    case "resolving-send":
    case "draining":
      // Ended (its invoices closed) or resolving a lost send: the payment is the flow's, served as any.
      return confirmPaid(adopt, o, ctx);
    case "finished":
      return same(next);
    default:
      return assertNever(next.phase as never, "pos phase (read while sending)");
  }
}

/** A draining flow whose last read is in: it ends now (with the step's effects). */
function endIfDrained(step: Step<S>): Step<S> {
  if (step.state.phase !== "draining" || step.state.sendReads !== undefined) return step;
  const end = drained(step.state);
  return { state: end.state, effects: [...step.effects, ...end.effects] };
}

/** A flow that ended while reads were out: ended now, with the outcome it was ending with. */
export function drained(s: S): Step<S> {
  const shown = s.drainDisplay !== undefined ? [display(s, s.drainDisplay)] : [];
  return { state: { ...s, phase: "finished", outcome: s.drainOutcome ?? s.outcome ?? "canceled", sendReads: undefined, drainOutcome: undefined, drainDisplay: undefined, pending: undefined }, effects: [cancelTimer("poll"), ...shown] };
}

/** A payment of the flow's while another is in hand (confirmed, or collected): told, nothing released. */
export function secondPayment(s: S, o: Ok): Step<S> {
  const t = paidTwice({ ...s, ersReference: s.ersReference ?? s.paidSeen?.ersReference }, o);
  return { state: { ...t.state, ersReference: s.ersReference }, effects: t.effects };
}
