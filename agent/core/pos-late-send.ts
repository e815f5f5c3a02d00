// A POS flow watches every invoice it sent, or may have sent, to its end (issue 9 new-G). A
// sendInvoice whose answer never came (a hang, a lost answer, 90) can still be processed until two
// call timeouts after it was sent (sendSettled). If the flow's payment is collected meanwhile — the
// customer paid the invoice the lost one was meant to supersede — that late invoice opens after the
// flow has released, and the next customer at the till pays it: money taken for nothing, and
// reversed unseen 20 s later. So, once the flow's own payment is settled (`collected` holds its
// outcome), it:
// - keeps reading the terminal's current invoice at the poll cadence (also while releasing and
//   printing) for as long as the lost send may land — any PAID is read within the 20-second rule;
// - closes a late invoice that opened: it has no reference (it came with the lost answer), so a
//   new invoice supersedes it (§6.4) and is cancelled by its reference — the machinery of
//   pos-lost-send.ts and pos-steps.ts cancel, with `cancelWanted` "collected". At once the first
//   time: with the flow's own invoice PAID, the first open current invoice can only be the lost
//   send, landed (the point is the flow's until it ends) — see landed();
// - reads a late invoice that was paid, releases nothing for it and tells a technician at once
//   (alarm paid-twice, once per payment): the product went out for the first payment; the second
//   is the customer's money to give back (`ctl refund ERSREFERENCE AMOUNT`), as for any payment that got
//   no product (paid-while-stopped, paid-not-ours);
// - ends with its own outcome (paid, paid-not-released, not-delivered) once nothing of its own can
//   still open. Every finish of a collected flow keeps that outcome and shows the customer nothing.
import { type Effect, type FlowContext, cancelTimer, timer } from "./effects.ts";
import { type Step, isOpenStatus, readDelay, same, sendSettled, sentOut } from "./flow.ts";
import type { GlaseOutcome } from "./inputs.ts";
import type { PosState } from "./pos.ts";
import { statusRead } from "./pos-reads.ts";
import { landedOne } from "./send-watch.ts";

type S = PosState;
type Ok = Extract<GlaseOutcome, { kind: "ok" }>;

/** A sendInvoice of the flow's whose answer never came may still open an invoice. */
export function mayLand(s: S, ctx: FlowContext): boolean {
  return s.sendUnanswered === true && !sendSettled(sentOut(s), ctx);
}

/** After the payment (releasing, printing): whether the terminal's current invoice is still watched. */
export function watching(s: S, ctx: FlowContext): boolean {
  return mayLand(s, ctx) || s.lateOpen === true;
}

/**
 * A read shows an open invoice after the flow's own payment. The first time, it is the lost send,
 * landed — nothing of the flow's can open after it, so it may be superseded at once. Not after the
 * flow superseded it: the open one may be that late invoice still, and the superseding send (if
 * unanswered) may land later — then the usual two-timeout wait holds (pos-steps.ts cancel).
 */
export function landed(s: S): Partial<S> {
  return s.lateSeen ? {} : { sendUnanswered: false, lateSeen: true, lostSends: landedOne(s.lostSends) };
}

/** The poll timer effect of the PAID step: go on reading while a late invoice may open. */
export function pollAfterPaid(s: S, ctx: FlowContext): Effect {
  return mayLand(s, ctx) ? timer("poll", readDelay(s, ctx)) : cancelTimer("poll");
}

/** The poll timer in releasing/printing: read the current invoice again while it is watched. */
export function watchRead(s: S, ctx: FlowContext): Step<S> {
  if (s.pending !== undefined || !watching(s, ctx)) return same(s);
  return statusRead(s, ctx, undefined, 0);
}

/** A second payment of this flow's (a late invoice paid): alarm once per payment, nothing released. */
export function paidTwice(s: S, o: Ok): { state: S; effects: Effect[] } {
  const ers = o.ersReference!;
  if (ers === s.ersReference || (s.paidAgain ?? []).includes(ers)) return { state: s, effects: [] };
  const amount = ((o.paidMinor ?? s.amountMinor) / 100).toFixed(2);
  const message = `point ${s.point}: a late invoice of this sale (${o.invoiceReference ?? "reference unknown"}) was paid too (${ers}, ${amount} ${s.currency}) after ${s.ersReference} was collected; nothing released for it — refund it: ctl refund ${ers} ${amount}`;
  const refundable = { ersReference: ers, amountMinor: o.paidMinor ?? s.amountMinor, currency: s.currency, point: s.point };
  return { state: { ...s, paidAgain: [...(s.paidAgain ?? []), ers] }, effects: [{ type: "alarm", code: "paid-twice", message, refundable }] };
}

/** A read of the current invoice while releasing/printing. */
export function onWatchAnswer(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  let next: S = s;
  const effects: Effect[] = [];
  if (o.kind === "ok" && o.status === "PAID" && o.ersReference) {
    const t = paidTwice(s, o);
    next = { ...t.state, lateOpen: false };
    effects.push(...t.effects);
  } else if (o.kind === "ok") {
    // Open: the late invoice landed (ours is PAID) — closed once the product is out. Closed: it was.
    next = isOpenStatus(o.status) ? { ...s, ...landed(s), lateOpen: true } : { ...s, lateOpen: false };
  }
  if (watching(next, ctx)) effects.unshift(timer("poll", readDelay(next, ctx)));
  return { state: next, effects };
}

/**
 * The flow's own payment is settled (`outcome`): end — or, while a late invoice of its own may open
 * or is open, watch it to its end first.
 */
export function settle(s: S, outcome: string, ctx: FlowContext, finish: (s: S, outcome: string, ...effects: Effect[]) => Step<S>, ...effects: Effect[]): Step<S> {
  if (!watching(s, ctx)) return finish(s, outcome, ...effects);
  const base: S = { ...s, collected: outcome, cancelWanted: s.cancelWanted ?? "collected", attempts: 0 };
  // Open late invoice: polled as the terminal's current one; the cancel (a superseding invoice)
  // follows — or polled and cancelled by its reference when the flow has it (lateRef).
  const state: S = s.lateRef !== undefined
    ? { ...base, phase: "polling", refUnknown: false, invoiceRef: s.lateRef, lateRef: undefined, version: 0 }
    : s.lateOpen
      ? { ...base, phase: "polling", refUnknown: true, invoiceRef: undefined }
      : { ...base, phase: "resolving-send", refUnknown: false };
  // A watch read still out is answered in the new phase (the same read of the current invoice).
  if (s.pending !== undefined && s.lateRef === undefined) return { state, effects };
  const read = statusRead({ ...state, pending: undefined, reads: undefined }, ctx, s.lateRef, 0, { phase: state.phase });
  return { state: read.state, effects: [...read.effects, ...effects] };
}

/**
 * A PAID read of the flow's invoice once its own payment is collected: its own (seen again) or a
 * late invoice paid. Reads go on while a late one may still open; then the flow ends.
 */
export function paidWhileCollected(s: S, o: Ok, ctx: FlowContext, finish: (s: S, outcome: string, ...effects: Effect[]) => Step<S>): Step<S> {
  const t = paidTwice({ ...s, pending: undefined }, o);
  if (mayLand(t.state, ctx)) {
    return { state: { ...t.state, phase: "resolving-send", refUnknown: false, invoiceRef: undefined }, effects: [timer("poll", readDelay(s, ctx)), ...t.effects] };
  }
  return finish(t.state, s.collected!, ...t.effects);
}
