// The steps of a preliminary payment (agent/core/preliminary.ts): each builds the next state and
// the effects that go with it (a Glase call, a dispenser command, timers, display, alarms). Which
// step follows which input is decided in preliminary.ts.
import { landedOne } from "./send-watch.ts";
import type { Invoice } from "../../contracts/glase/types.ts";
import { type Effect, type FlowContext, backoffMs, cancelTimer, timer } from "./effects.ts";
import { type Step, callGlase, display, isoLocal, readCurrentInvoice, withEffects, withReceiptSubmission } from "./flow.ts";
import type { GlaseOutcome } from "./inputs.ts";
import { money } from "../../base/money.ts";
import { invoiceRow, receiptOf } from "./preliminary-documents.ts";
import type { Delivered, PreliminaryPhase, PreliminaryState } from "./preliminary-state.ts";

type S = PreliminaryState;

export function send(s: S, ctx: FlowContext): Step<S> {
  const issueDate = isoLocal(ctx.now);
  const reservationTimeoutS = ctx.settings.commitReservationTimeoutS;
  const sent: S = { ...s, sentAt: ctx.now, sendOutAt: undefined, issueDate, reservationTimeoutS };
  return callGlase(sent, { op: "sendInvoice", invoice: invoiceOf(sent, s.reserveMinor) }, { phase: "sending-invoice", sends: s.sends + 1 } as Partial<S>);
}

/**
 * The invoice as sendInvoice sent it, with the rows and total of `totalMinor`: updateInvoice sends
 * the same invoice again (§3.6: same rules as sendInvoice), so paymentMode, acknowledgmentMode,
 * issueDate and commitReservationTimeout never change and only rows and total do.
 */
function invoiceOf(s: S, totalMinor: number, d?: Delivered): Invoice {
  return {
    paymentMode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
    acknowledgmentMode: "NO_ACKNOWLEDGMENT",
    ...(s.issueDate !== undefined ? { issueDate: s.issueDate } : {}),
    title: s.stationName,
    clientInvoiceId: s.flowId,
    invoiceRows: [invoiceRow(s, totalMinor, d)],
    totalAmount: money(s.currency, totalMinor),
    cashierId: `point-${s.point}`,
    ...(s.reservationTimeoutS !== undefined ? { commitReservationTimeout: s.reservationTimeoutS } : {}),
  };
}

export function poll(s: S, phase: PreliminaryPhase, ctx: FlowContext): Step<S> {
  return callGlase(s, { op: "getPaymentStatus", invoiceReference: s.invoiceRef, version: s.version }, { phase, lastReadAt: ctx.now } as Partial<S>);
}

/** Waits, then runs the step again (the timer input re-issues it by phase). */
export function retryLater(s: S, ctx: FlowContext, patch: Partial<S> = {}): Step<S> {
  const attempts = s.attempts + 1;
  return { state: { ...s, ...patch, attempts, pending: undefined }, effects: [timer("retry", backoffMs(attempts, ctx))] };
}

const TIMERS = ["customer", "poll", "nozzle", "stall", "retry", "lapse", "watch"] as const;

export function finish(s: S, outcome: string, ...effects: Effect[]): Step<S> {
  // Fuel went out on a reservation that was cancelled under the pump: whatever closed the terminal's
  // invoice after it, nothing was charged — a technician must know (closeLate). A technician's own
  // cancel or mark-settled of the parked flow (another cancelWanted) ends it.
  const metered = s.delivered?.amountMinor ?? 0;
  if (s.reservationLost && s.cancelWanted === "reservation-lost" && metered > 0 && outcome !== "paid") {
    return park(s, "reservation-lost", `point ${s.point}: ${metered} delivered on flow ${s.flowId}, but its invoice was cancelled under the running pump (superseded by a late sendInvoice, or lapsed): nothing charged`);
  }
  const stop: Effect[] = TIMERS.map((n) => cancelTimer(n));
  return { state: { ...s, phase: "finished", outcome, pending: undefined }, effects: [...stop, ...effects] };
}

export function park(s: S, reason: string, message: string): Step<S> {
  return {
    state: { ...s, phase: "parked", parkedReason: reason, parkedMessage: message, parkedFrom: s.phase === "parked" ? s.parkedFrom : s.phase, pending: undefined },
    effects: [...TIMERS.map((n) => cancelTimer(n)), { type: "alarm", code: reason, message }, display(s, "Out of order - please contact staff")],
  };
}

export function cancel(s: S, reason: string): Step<S> {
  if (s.invoiceRef === undefined) return finish(s, "canceled", display(s, "Cancelled"));
  const step = callGlase(s, { op: "cancelInvoice", invoiceReference: s.invoiceRef }, { phase: "canceling", cancelWanted: reason } as Partial<S>);
  return withEffects(step, cancelTimer("customer"), cancelTimer("nozzle"), cancelTimer("stall"), cancelTimer("lapse"));
}

/**
 * The reservation lapses `commitReservationTimeout` after Glase created the invoice, which cannot be
 * before we decided to send it: counting from `sentAt` is conservative — never from `sendOutAt` (a send
 * that waited before going out, flow.ts sentOut), which only the "settled"/"surely lapsed" margins use. The delivery stops one safety
 * margin before the commit deadline, which is itself one margin before the lapse.
 */
export function deadlines(s: S, ctx: FlowContext): { readonly stopAt: number; readonly commitDeadline: number } {
  const lapse = (s.sentAt ?? ctx.now) + (s.reservationTimeoutS ?? ctx.settings.commitReservationTimeoutS) * 1000;
  const margin = ctx.settings.commitSafetyMarginS * 1000;
  return { stopAt: lapse - 2 * margin, commitDeadline: lapse - margin };
}

export function authorize(s: S, ctx: FlowContext): Step<S> {
  const { stopAt, commitDeadline } = deadlines(s, ctx);
  if (ctx.now >= stopAt) {
    // RESERVED so late that nothing could be delivered and settled before the lapse.
    return withEffects(cancel({ ...s, stopAt, commitDeadline, attempts: 0 }, "reservation-too-short"), display(s, "Time limit reached - no charge"));
  }
  const effect: Effect = {
    type: "authorize",
    point: s.point,
    limitMinor: s.reserveMinor,
    currency: s.currency,
    transactionId: s.flowId,
    ...(s.gradeId !== undefined ? { gradeId: s.gradeId } : {}),
  };
  return {
    state: { ...s, phase: "authorizing", stopAt, commitDeadline, pending: undefined, attempts: 0, pumpOpen: true },
    effects: [cancelTimer("customer"), cancelTimer("poll"), timer("lapse", stopAt - ctx.now), effect],
  };
}

export function stop(s: S, ctx: FlowContext): Step<S> {
  return {
    state: { ...s, phase: "stopping", stopRequested: true, stopSentAt: ctx.now, pending: undefined },
    effects: [cancelTimer("nozzle"), cancelTimer("stall"), cancelTimer("lapse"), { type: "stop", point: s.point }],
  };
}

export function checkSale(s: S): Step<S> {
  return { state: { ...s, phase: "checking-sale", pending: undefined }, effects: [{ type: "saleRecord", transactionId: s.flowId }] };
}

/**
 * The reservation the pump ran on is gone (reservationLost): nothing can be committed. The invoice
 * that superseded it — a late sendInvoice of ours, RESERVED maybe, holding a customer's money — is
 * the terminal's current one and its reference is unknown: read it, supersede it with a fresh
 * invoice and cancel that (the lost-send machinery, cancelWanted). The flow then parks if anything
 * was metered (finish).
 */
export function closeLate(s: S, ctx: FlowContext, delivered?: Delivered): Step<S> {
  // (The late invoice landed — it is what superseded the reservation: nothing of it is left to land.)
  const base: S = { ...s, ...(delivered ? { delivered } : {}), reservationLost: true, cancelWanted: "reservation-lost", attempts: 0, watchRef: undefined, lostSends: landedOne(s.lostSends) };
  const step = readCurrentInvoice(base, ctx, { phase: "resolving-send" } as Partial<S>);
  return withEffects(step, cancelTimer("nozzle"), cancelTimer("stall"), cancelTimer("lapse"), cancelTimer("watch"), cancelTimer("customer"));
}

/** Delivery over: nothing ⇒ cancel; otherwise commit min(metered, reserved) (overrun ⇒ alarm). */
export function settle(s: S, d: Delivered, ctx: FlowContext): Step<S> {
  if (s.reservationLost) return closeLate(s, ctx, d);
  const base: S = { ...s, delivered: d, attempts: 0 };
  if (d.amountMinor <= 0) return cancel(base, "nothing-delivered");
  const commitMinor = Math.min(d.amountMinor, s.reserveMinor);
  const effects: Effect[] = [cancelTimer("nozzle"), cancelTimer("stall"), cancelTimer("lapse"), display(s, "Settling payment")];
  if (d.amountMinor > s.reserveMinor) {
    effects.push({
      type: "alarm",
      code: "overrun",
      message: `point ${s.point} metered ${d.amountMinor} above the reservation ${s.reserveMinor}; committing the reserved amount`,
    });
  }
  return withEffects(update({ ...base, commitMinor }), ...effects);
}

export function update(s: S): Step<S> {
  const invoice = invoiceOf(s, s.commitMinor!, s.delivered);
  return callGlase(s, { op: "updateInvoice", invoiceReference: s.invoiceRef!, invoice }, { phase: "updating" } as Partial<S>);
}

export function commit(s: S, ctx: FlowContext): Step<S> {
  const call = { op: "commitReservation", invoiceReference: s.invoiceRef!, amountMinor: s.commitMinor!, currency: s.currency } as const;
  // commitUnknown stays set: a commit whose answer was lost may still be applied after this one
  // (Glase gives no bound, §4.1), so every later RESERVED read is judged as after an unknown commit.
  const patch: Partial<S> = { phase: "committing", commitSentAt: ctx.now, recommit: false };
  return callGlase(s, call, patch);
}

export function pastDeadline(s: S, ctx: FlowContext): boolean {
  return s.commitDeadline !== undefined && ctx.now >= s.commitDeadline;
}

/** Settlement step failed temporarily: back off, or park once the reservation is about to lapse. */
export function settleRetry(s: S, ctx: FlowContext, why: string): Step<S> {
  if (pastDeadline(s, ctx)) {
    return park(s, "settlement-parked", `point ${s.point}: could not settle invoice ${s.invoiceRef} before the commit deadline (${why})`);
  }
  return retryLater(s, ctx);
}

export function paid(s: S, o: Extract<GlaseOutcome, { kind: "ok" }>, ctx: FlowContext): Step<S> {
  // What Glase says it took wins on the receipt; a figure other than ours needs a technician.
  const taken = o.paidMinor ?? s.commitMinor;
  const settled: S = { ...s, commitMinor: taken };
  const receipt = receiptOf(settled, o.ersReference!, o.paymentDate ?? new Date(ctx.now).toISOString());
  const state: S = { ...settled, phase: "printing", ersReference: o.ersReference, paymentDate: receipt.timestamp, receipt, pending: undefined };
  const effects: Effect[] = [cancelTimer("retry"), cancelTimer("poll"), display(s, "Paid - thank you"), { type: "print", receipt }];
  effects.push(...amountMismatch(s, o));
  return withReceiptSubmission(state, effects, o.ersReference!, receipt, ctx);
}

/** A PAID of another figure than committed (issue 9 §12): the receipt shows what Glase took; a technician is told (a kept money alarm). */
export function amountMismatch(s: S, o: Extract<GlaseOutcome, { kind: "ok" }>): Effect[] {
  if (o.paidMinor === undefined || o.paidMinor === s.commitMinor) return [];
  // A never-committed flow's closing read (marked settled after paid-while-canceling) has no figure of ours.
  const ours = s.commitMinor === undefined ? "nothing was committed" : `${s.commitMinor} was committed`;
  return [{ type: "alarm", code: "paid-amount-mismatch", message: `point ${s.point}: invoice ${s.invoiceRef} is PAID ${o.paidMinor} but ${ours}` }];
}

export function describe(o: GlaseOutcome): string {
  return o.kind === "result" ? `result ${o.code}` : o.kind === "transport" ? (o.indefinite ? "lost answer" : "unreachable") : "ok";
}

export function alarmFor(s: S, op: string, o: GlaseOutcome): Effect {
  return { type: "alarm", code: `glase-${op}`, message: `point ${s.point}: ${op} ${describe(o)}` };
}
