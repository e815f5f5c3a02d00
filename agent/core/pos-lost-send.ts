// A kiosk sendInvoice whose outcome is unknown (lost answer, 90, a restart while sending): an
// invoice of ours may be open and payable, reachable only as the terminal's current invoice
// (getPaymentStatus without a reference, §9 A12) — its reference came back with the lost answer.
//
// - The flow reads the current invoice at the poll cadence (a PAID must be read within 20 s) and
//   never gives up while reads fail: the customer may be paying it (alarm send-unresolved after 30).
// - PAID with our clientInvoiceId ⇒ adopted (read, so it is not reversed).
// - Open ⇒ it is ours (every flow closes its invoice before it ends): the flow polls it as the
//   current invoice, with the customer windows, exactly like one whose reference it knows. Only a
//   cancel needs the reference; then a new invoice supersedes it (pos-steps.ts cancel).
// - Nothing open ⇒ once the lost request can no longer be processed (two call timeouts: a late one
//   would supersede a fresh invoice under the customer) a fresh sendInvoice goes out.
import { type Effect, type FlowContext, backoffMs, timer } from "./effects.ts";
import { MAX_INVOICE_SENDS, type Step, display, isCredentialsCode, isOpenStatus, readDelay, sendSettled, withEffects, sentOut } from "./flow.ts";
import type { GlaseOutcome } from "./inputs.ts";
import type { PosState } from "./pos.ts";
import { confirmPaid } from "./pos-confirm.ts";
import { landed } from "./pos-late-send.ts";
import { ownPaid, paidLanding } from "./pos-send-reads.ts";
import { landedOne, unanswered } from "./send-watch.ts";
import { finish, nextPoll, pollOnRefused, send } from "./pos-steps.ts";

type S = PosState;

/** Reads failing this many times while an invoice may be open ⇒ a technician is told (the reads go on). */
const UNRESOLVED_ALARM_READS = 30;

function told(s: S, why: string): { state: S; effects: Effect[] } {
  if (s.sendAlarmed) return { state: s, effects: [] };
  const message = `point ${s.point}: ${why}; an invoice of this flow may be open on terminal ${s.terminalId} — still reading it`;
  return { state: { ...s, sendAlarmed: true }, effects: [{ type: "alarm", code: "send-unresolved", message }] };
}

function readAgain(s: S, ctx: FlowContext, ...effects: Effect[]): Step<S> {
  return { state: { ...s, phase: "resolving-send", refUnknown: false, pending: undefined }, effects: [timer("poll", readDelay(s, ctx)), ...effects] };
}

/** The open current invoice is the flow's own: poll it (windows counted from its send). */
function adoptCurrent(s: S, ctx: FlowContext): Step<S> {
  const windowDeadline = Math.max(ctx.now, (sentOut(s) ?? ctx.now) + ctx.settings.posWindowMs);
  // Once the flow's own payment is collected, the first open one is its lost send, landed (pos-late-send.ts).
  const late = s.collected !== undefined ? landed(s) : {};
  // (It is the lost send, landed: nothing of it is left to land.)
  const state: S = { ...s, ...late, lostSends: landedOne(s.lostSends), adoptedUnseen: true, phase: "polling", refUnknown: true, invoiceRef: undefined, windows: Math.max(1, s.windows), windowDeadline, attempts: 0, pending: undefined };
  // (No customer is waiting for it: superseded at once, pos-late-send.ts.)
  if (s.collected !== undefined) return nextPoll(state, ctx);
  // (A late invoice opened after the flow's own payment is closed at once: nothing to show — pos-late-send.ts.)
  const shown = s.collected === undefined ? [display(s, "Scan the Glase code to pay")] : [];
  return { state, effects: [timer("poll", readDelay(s, ctx)), timer("customer", windowDeadline - ctx.now), ...shown] };
}

/** A read of the terminal's current invoice in resolving-send. */
export function onCurrentInvoice(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  // (A new payment is a lost send landed, counted once: pos-send-reads.ts paidLanding.)
  if (o.kind === "ok" && ownPaid(s, o)) return confirmPaid({ ...s, ...(o.ersReference !== s.ersReference ? paidLanding(s, o) : {}) }, o, ctx);
  if (!(o.kind === "ok" || (o.kind === "result" && o.code === 54))) {
    const attempts = s.attempts + 1;
    if (attempts < UNRESOLVED_ALARM_READS) return readAgain({ ...s, attempts }, ctx);
    const t = told({ ...s, attempts }, "its current invoice cannot be read");
    return readAgain(t.state, ctx, ...t.effects);
  }
  if (o.kind === "ok" && isOpenStatus(o.status)) return adoptCurrent({ ...s, version: o.version ?? s.version }, ctx);
  if (!sendSettled(sentOut(s), ctx)) return readAgain({ ...s, attempts: 0 }, ctx);
  if (s.cancelWanted !== undefined) return finish(s, "canceled", display(s, "Payment cancelled"));
  if (s.sends >= MAX_INVOICE_SENDS) {
    return finish(s, "failed", { type: "alarm", code: "send-unresolved", message: `point ${s.point}: sendInvoice kept failing (${s.sends} sends); nothing is open on the terminal now${unanswered(s.lostSends)}` });
  }
  return send({ ...s, attempts: 0 }, ctx);
}

/** A poll of the flow's invoice while its reference is unknown (the terminal's current invoice). */
export function onCurrentStatus(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") {
    const next: S = { ...s, version: o.version ?? s.version };
    if (o.status === "PAID" && o.ersReference) {
      // (The adopted invoice, paid: its landing was counted when it was adopted.)
      // (Without a clientInvoiceId, §4.7 0..1: the current invoice was open at the last read, on a
      // terminal this flow holds — only its customer can have paid it since; review 9r R1b.)
      if (o.clientInvoiceId === s.flowId || o.clientInvoiceId === undefined) return confirmPaid({ ...next, refUnknown: false, adoptedUnseen: false }, o, ctx);
      // Another flow's invoice was the current one (it was left open): read now, not ours to release.
      const alarm: Effect = { type: "alarm", code: "paid-not-ours", message: `point ${s.point}: the terminal's current invoice was paid (${o.ersReference}) but is not this flow's` };
      return readAgain(next, ctx, alarm);
    }
    if (isOpenStatus(o.status)) return nextPoll(next, ctx);
    // Closed: ours (cancelled by the customer, declined) — unless the lost request is still to come.
    return sendSettled(sentOut(s), ctx) ? finish(next, "canceled", display(s, "Payment cancelled")) : readAgain(next, ctx);
  }
  if (o.kind === "result" && o.code === 54) return readAgain(s, ctx);
  if (o.kind === "result" && isCredentialsCode(o.code)) return pollOnRefused(s, o.code, ctx);
  // Unanswered: poll again — never supersede on it (the invoice may have been paid meanwhile; only
  // a read that shows it open lets a new invoice replace it).
  return { state: { ...s, phase: "polling", pending: undefined }, effects: [timer("poll", readDelay(s, ctx))] };
}

/**
 * The invoice superseding one whose reference is unknown was refused or not answered at all: that
 * one is still open. Poll it again and supersede it later (spaced), never walk away from it.
 */
export function onSupersedeFailed(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  const polling: Step<S> = {
    state: { ...s, phase: "polling", refUnknown: true, pending: undefined, nextCancelAt: ctx.now + backoffMs(s.sends, ctx) },
    effects: [timer("poll", readDelay(s, ctx))],
  };
  if (o.kind !== "result" || o.code === 93 || o.code === 94) return polling;
  const t = told(polling.state, `the invoice meant to supersede it was refused (${o.code})`);
  return withEffects({ state: t.state, effects: polling.effects }, ...t.effects);
}
