// Closing a preliminary payment's invoice when it is not paid (agent/core/preliminary.ts): a cancel
// answered 51/48 (a payment in progress) is retried spaced, not each second for ever; a technician's
// mark-settled of a parked flow reads the invoice first and cancels it while it is still open (a
// reservation left open holds the customer's money until it lapses).
import type { FlowContext } from "./effects.ts";
import { type Step, isOpenStatus, withEffects, sentOut } from "./flow.ts";
import type { GlaseOutcome } from "./inputs.ts";
import type { PreliminaryState } from "./preliminary-state.ts";
import { receiptOf } from "./preliminary-documents.ts";
import { amountMismatch, cancel, describe, finish, retryLater } from "./preliminary-steps.ts";

type S = PreliminaryState;

/** Reads before a technician's mark-settled gives up on learning the invoice's status. */
const CLOSING_READS = 5;

/** The status read after a technician's mark-settled: open ⇒ cancel (the technician settled it otherwise). */
export function onClosingRead(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok" && o.status === "PAID" && o.ersReference) return paidAtClose(s, o, ctx);
  if (o.kind === "ok") return isOpenStatus(o.status) ? cancel(s, "settled-manually") : finish(s, "settled-manually");
  if (o.kind === "result" || s.attempts + 1 >= CLOSING_READS) {
    const message = `point ${s.point}: flow ${s.flowId} marked settled, but invoice ${s.invoiceRef} could not be read (getPaymentStatus ${describe(o)}); a reservation on it may hold the customer's money until it lapses`;
    return finish(s, "settled-manually", { type: "alarm", code: "reservation-may-be-open", message });
  }
  return retryLater(s, ctx);
}

/**
 * The closing read shows the invoice PAID with its ersReference (the park's PAID came without one,
 * issue 9 #8): the finished flow keeps the payment, so the terminal's lost-send watches know it as
 * this sale's (never "nothing was released for it", review 7 #4), and its receipt is written — the
 * sale is in the journal's receipts and the bookkeeping export like any paid one.
 */
function paidAtClose(s: S, o: Extract<GlaseOutcome, { kind: "ok" }>, ctx: FlowContext): Step<S> {
  const settled: S = { ...s, commitMinor: o.paidMinor ?? s.commitMinor, ersReference: o.ersReference };
  const receipt = receiptOf(settled, o.ersReference!, o.paymentDate ?? new Date(ctx.now).toISOString());
  // (Glase's figure other than the committed one is told, as on the commit path: review 8 #3.)
  return finish({ ...settled, paymentDate: receipt.timestamp, receipt }, "settled-manually", { type: "print", receipt }, ...amountMismatch(s, o));
}

/** Cancels answered 51/48 this many times ⇒ a technician is told (the cancels go on, spaced). */
const CANCEL_ALARM_AFTER = 10;

/**
 * A cancel answered 51/48 (a payment in progress): counted and retried after a growing backoff, as
 * the kiosk does — not once a second for ever. A technician is told after a few; once the
 * reservation has surely lapsed there is nothing left to cancel.
 */
export function cancelLater(s: S, code: number, ctx: FlowContext): Step<S> {
  const lapse = (sentOut(s) ?? ctx.now) + (s.reservationTimeoutS ?? ctx.settings.commitReservationTimeoutS) * 1000 + 2 * ctx.settings.glaseCallTimeoutMs;
  if (ctx.now >= lapse) {
    return finish(s, "canceled", { type: "alarm", code: "cancel-unconfirmed", message: `invoice ${s.invoiceRef}: cancel answered ${code} until its reservation lapsed` });
  }
  const step = retryLater(s, ctx);
  if (s.cancelAlarmed || step.state.attempts < CANCEL_ALARM_AFTER) return step;
  const message = `point ${s.point}: invoice ${s.invoiceRef} still not cancelled after ${step.state.attempts} cancels (answered ${code}); retrying, spaced`;
  return withEffects({ state: { ...step.state, cancelAlarmed: true }, effects: step.effects }, { type: "alarm", code: "cancel-unconfirmed", message });
}

