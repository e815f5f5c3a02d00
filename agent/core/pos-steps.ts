// The steps of a POS payment (agent/core/pos.ts): each builds the next state and the effects that
// go with it. Which step follows which input is decided in pos.ts (and pos-lost-send.ts).
import { vatBreakdownOf } from "./receipt-vat.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";
import type { Invoice } from "../../contracts/glase/types.ts";
import { type Effect, type FlowContext, cancelTimer, timer } from "./effects.ts";
import { type Step, callGlase, display, isoLocal, readDelay, sendSettled, withEffects, withReceiptSubmission, sentOut } from "./flow.ts";
import type { GlaseOutcome } from "./inputs.ts";
import { money } from "../../base/money.ts";
import type { PosState } from "./pos.ts";
import { statusRead } from "./pos-reads.ts";
import { pollAfterPaid } from "./pos-late-send.ts";
import { pollWhileSending } from "./pos-send-reads.ts";

type S = PosState;

export function send(s: S, ctx: FlowContext): Step<S> {
  const invoice: Invoice = {
    paymentMode: "IMMEDIATE_DEBIT",
    acknowledgmentMode: "NO_ACKNOWLEDGMENT",
    issueDate: isoLocal(ctx.now),
    title: s.stationName,
    clientInvoiceId: s.flowId,
    invoiceRows: s.rows,
    totalAmount: money(s.currency, s.amountMinor),
    cashierId: `point-${s.point}`,
  };
  const step = callGlase(s, { op: "sendInvoice", invoice }, { phase: "sending-invoice", sends: s.sends + 1, sentAt: ctx.now, sendOutAt: undefined, sendUnanswered: true } as Partial<S>);
  // A lost send of the flow's may land while this one is out: the current invoice is read meanwhile.
  return withEffects(step, ...pollWhileSending(step.state, ctx));
}

export function poll(s: S, ctx: FlowContext): Step<S> {
  return statusRead(s, ctx, s.invoiceRef, s.version, { phase: "polling" });
}

/**
 * Cancels the flow's invoice. One whose reference is unknown (a lost sendInvoice answer; the flow
 * polls it as the terminal's current invoice) can only be closed by a new invoice, which supersedes
 * it (§6.4): it goes out right after a read showed it still open, and is itself cancelled as soon as
 * its reference is known.
 */
export function cancel(s: S, ctx: FlowContext): Step<S> {
  if (s.invoiceRef === undefined) {
    // Not while a lost sendInvoice of ours may still be processed: it would open another invoice
    // after this one is closed and the flow has ended. Poll on until then.
    const settles = (sentOut(s) ?? 0) + 2 * ctx.settings.glaseCallTimeoutMs;
    // (After the flow's own payment, a late invoice seen open IS that lost send, landed: pos-late-send.ts.)
    const landed = s.collected !== undefined && s.sendUnanswered === false;
    if (!landed && !sendSettled(sentOut(s), ctx)) return { state: { ...s, phase: "polling", pending: undefined, nextCancelAt: settles }, effects: [timer("poll", readDelay(s, ctx))] };
    return send({ ...s, nextCancelAt: undefined }, ctx);
  }
  return callGlase(s, { op: "cancelInvoice", invoiceReference: s.invoiceRef }, { phase: "canceling", cancelAttempts: s.cancelAttempts + 1 } as Partial<S>);
}

export function finish(s: S, outcome: string, ...effects: Effect[]): Step<S> {
  // A flow whose payment was collected ends with that outcome, whatever closed its late invoice
  // (pos-late-send.ts); its customer has been served and is shown nothing more.
  const own = s.collected ?? outcome;
  const shown = s.collected === undefined ? effects : effects.filter((e) => e.type !== "display");
  // Reads of the current invoice made while a send was out are still out: an answer of one may be
  // the only sight of a payment (pos-send-reads.ts). The flow ends once they are in — each is
  // answered or timed out within the status timeout; a call timeout is the bound regardless.
  // What the customer is shown waits too: a read may still find the payment (review 9-q Q3).
  if (s.sendReads?.length) {
    const text = shown.find((e): e is Extract<Effect, { type: "display" }> => e.type === "display")?.text;
    return { state: { ...s, phase: "draining", drainOutcome: own, ...(text !== undefined ? { drainDisplay: text } : {}), pending: undefined, reads: undefined }, effects: [cancelTimer("customer"), timer("poll", DRAIN_BOUND_MS), ...shown.filter((e) => e.type !== "display")] };
  }
  return { state: { ...s, phase: "finished", outcome: own, pending: undefined, sendReads: undefined }, effects: [cancelTimer("poll"), cancelTimer("customer"), ...shown] };
}

/** Longest a finished flow waits for its reads made while sending (pos-send-reads.ts). */
const DRAIN_BOUND_MS = 10_000;

/** Cancel attempts after which a technician is told the invoice will not cancel (polling goes on). */
const CANCEL_ALARM_AFTER = 10;

export function nextPoll(s: S, ctx: FlowContext): Step<S> {
  if (s.cancelWanted !== undefined && ctx.now >= (s.nextCancelAt ?? 0)) return cancel(s, ctx);
  const step: Step<S> = { state: { ...s, phase: "polling", pending: undefined }, effects: [timer("poll", readDelay(s, ctx))] };
  if (s.cancelWanted === undefined || s.cancelAlarmed || s.cancelAttempts < CANCEL_ALARM_AFTER) return step;
  return withEffects(
    { state: { ...step.state, cancelAlarmed: true }, effects: step.effects },
    { type: "alarm", code: "cancel-unconfirmed", message: `point ${s.point}: invoice ${s.invoiceRef} still open after ${s.cancelAttempts} cancels; polling goes on` },
  );
}

/**
 * A status read refused with a definite code (54, credentials): no proof the customer cannot pay
 * (§6.14 B.5), and a PAID left unread is reversed. Poll on at the cadence — the windows and then the
 * cancel end the flow — and tell a technician at once.
 */
export function pollOnRefused(s: S, code: number, ctx: FlowContext): Step<S> {
  const step = nextPoll(s, ctx);
  if (s.readRefusedAlarmed) return step;
  const message = `point ${s.point}: getPaymentStatus of ${s.invoiceRef ?? "the current invoice"} answered ${code}; polling on until the invoice is settled or cancelled`;
  return withEffects({ state: { ...step.state, readRefusedAlarmed: true }, effects: step.effects }, { type: "alarm", code: "status-read-refused", message });
}

export function paid(s: S, o: Extract<GlaseOutcome, { kind: "ok" }>, ctx: FlowContext): Step<S> {
  const receipt: ReceiptContent = {
    stationName: s.stationName,
    terminalId: s.terminalId,
    point: s.point,
    ...(s.pointKind !== undefined ? { pointKind: s.pointKind } : {}),
    amountMinor: s.amountMinor,
    currency: s.currency,
    ersReference: o.ersReference!,
    description: "Glase payment",
    timestamp: o.paymentDate ?? new Date(ctx.now).toISOString(),
    ...(o.paidMinor !== undefined ? { amountMinor: o.paidMinor } : {}),
    ...vatBreakdownOf(s.rows),
  };
  const invoiceRef = s.invoiceRef ?? o.invoiceReference;
  if (s.technicianStop) {
    // Paid while a technician stopped the point (the cancel came too late): read, so it stands and
    // is not reversed unseen; no product from a point out of service — the technician refunds it or
    // hands it over. The receipt is the customer's proof of payment.
    const state: S = { ...s, phase: "printing", pending: undefined, ersReference: o.ersReference, paidAt: ctx.now, receipt, invoiceRef };
    const message = `point ${s.point}: invoice ${invoiceRef} was paid (${o.ersReference}, ${o.paidMinor ?? s.amountMinor}) after a technician stopped the point; nothing released — refund it or hand the product over`;
    const effects: Effect[] = [pollAfterPaid(s, ctx), cancelTimer("customer"), display(s, "Paid - please contact staff"), { type: "alarm", code: "paid-while-stopped", message }, { type: "print", receipt }];
    return withReceiptSubmission(state, effects, o.ersReference!, receipt, ctx);
  }
  const state: S = { ...s, phase: "releasing", pending: undefined, ersReference: o.ersReference, paidAt: ctx.now, receipt, invoiceRef };
  const effects: Effect[] = [pollAfterPaid(s, ctx), cancelTimer("customer"), display(s, "Paid - thank you"), { type: "release", point: s.point, amountMinor: s.amountMinor }];
  if (o.paidMinor !== undefined && o.paidMinor !== s.amountMinor) {
    effects.push({ type: "alarm", code: "paid-amount-mismatch", message: `point ${s.point}: invoice ${state.invoiceRef} is PAID ${o.paidMinor}, the price was ${s.amountMinor}` });
  }
  // A kiosk controller's sale: the receipt goes to Glase only once the product was delivered (the
  // kiosk host submits it then, journaled; a refunded sale gets none).
  if (s.controllerRelease) return { state, effects };
  return withReceiptSubmission(state, effects, o.ersReference!, receipt, ctx);
}

