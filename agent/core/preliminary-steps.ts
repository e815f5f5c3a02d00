// The steps of a preliminary payment (agent/core/preliminary.ts): each builds the next state and
// the effects that go with it (a Glase call, a dispenser command, timers, display, alarms). Which
// step follows which input is decided in preliminary.ts.
import type { Invoice } from "../glase/types.ts";
import { type Effect, type FlowContext, backoffMs, cancelTimer, timer } from "./effects.ts";
import { type Step, callGlase, display, isoLocal, withEffects, withReceiptSubmission } from "./flow.ts";
import type { GlaseOutcome } from "./inputs.ts";
import { money } from "./money.ts";
import { invoiceRow, receiptOf } from "./preliminary-documents.ts";
import type { Delivered, PreliminaryPhase, PreliminaryState } from "./preliminary-state.ts";

type S = PreliminaryState;

export function send(s: S, ctx: FlowContext): Step<S> {
  const invoice: Invoice = {
    paymentMode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
    acknowledgmentMode: "NO_ACKNOWLEDGMENT",
    issueDate: isoLocal(ctx.now),
    title: s.stationName,
    clientInvoiceId: s.flowId,
    invoiceRows: [invoiceRow(s, s.reserveMinor)],
    totalAmount: money(s.currency, s.reserveMinor),
    cashierId: `point-${s.point}`,
    commitReservationTimeout: ctx.settings.commitReservationTimeoutS,
  };
  return callGlase(s, { op: "sendInvoice", invoice }, { phase: "sending-invoice", sends: s.sends + 1 } as Partial<S>);
}

export function poll(s: S, phase: PreliminaryPhase): Step<S> {
  return callGlase(s, { op: "getPaymentStatus", invoiceReference: s.invoiceRef, version: s.version }, { phase } as Partial<S>);
}

/** Waits, then runs the step again (the timer input re-issues it by phase). */
export function retryLater(s: S, ctx: FlowContext, patch: Partial<S> = {}): Step<S> {
  const attempts = s.attempts + 1;
  return { state: { ...s, ...patch, attempts, pending: undefined }, effects: [timer("retry", backoffMs(attempts, ctx))] };
}

export function finish(s: S, outcome: string, ...effects: Effect[]): Step<S> {
  const stop: Effect[] = (["customer", "poll", "nozzle", "stall", "retry"] as const).map((n) => cancelTimer(n));
  return { state: { ...s, phase: "finished", outcome, pending: undefined }, effects: [...stop, ...effects] };
}

export function park(s: S, reason: string, message: string): Step<S> {
  return {
    state: { ...s, phase: "parked", parkedReason: reason, pending: undefined },
    effects: [cancelTimer("retry"), cancelTimer("poll"), { type: "alarm", code: reason, message }, display(s, "Out of order - please contact staff")],
  };
}

export function cancel(s: S, reason: string): Step<S> {
  if (s.invoiceRef === undefined) return finish(s, "canceled", display(s, "Cancelled"));
  const step = callGlase(s, { op: "cancelInvoice", invoiceReference: s.invoiceRef }, { phase: "canceling", cancelWanted: reason } as Partial<S>);
  return withEffects(step, cancelTimer("customer"), cancelTimer("nozzle"), cancelTimer("stall"));
}

export function authorize(s: S, ctx: FlowContext): Step<S> {
  const deadline = ctx.now + (ctx.settings.commitReservationTimeoutS - ctx.settings.commitSafetyMarginS) * 1000;
  const effect: Effect = {
    type: "authorize",
    point: s.point,
    limitMinor: s.reserveMinor,
    currency: s.currency,
    transactionId: s.flowId,
    ...(s.gradeId !== undefined ? { gradeId: s.gradeId } : {}),
  };
  return {
    state: { ...s, phase: "authorizing", commitDeadline: deadline, pending: undefined, attempts: 0 },
    effects: [cancelTimer("customer"), cancelTimer("poll"), effect],
  };
}

export function stop(s: S): Step<S> {
  return {
    state: { ...s, phase: "stopping", stopRequested: true },
    effects: [cancelTimer("nozzle"), cancelTimer("stall"), { type: "stop", point: s.point }],
  };
}

export function checkSale(s: S): Step<S> {
  return { state: { ...s, phase: "checking-sale", pending: undefined }, effects: [{ type: "saleRecord", transactionId: s.flowId }] };
}

/** Delivery over: nothing ⇒ cancel; otherwise commit min(metered, reserved) (overrun ⇒ alarm). */
export function settle(s: S, d: Delivered): Step<S> {
  const base: S = { ...s, delivered: d, attempts: 0 };
  if (d.amountMinor <= 0) return cancel(base, "nothing-delivered");
  const commitMinor = Math.min(d.amountMinor, s.reserveMinor);
  const effects: Effect[] = [cancelTimer("nozzle"), cancelTimer("stall"), display(s, "Settling payment")];
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
  const total = s.commitMinor!;
  // The whole invoice again (same ids and title), only rows and total change: Glase replaces it.
  const invoice: Invoice = {
    title: s.stationName,
    clientInvoiceId: s.flowId,
    invoiceRows: [invoiceRow(s, total, s.delivered)],
    totalAmount: money(s.currency, total),
    cashierId: `point-${s.point}`,
  };
  return callGlase(s, { op: "updateInvoice", invoiceReference: s.invoiceRef!, invoice }, { phase: "updating" } as Partial<S>);
}

export function commit(s: S): Step<S> {
  const call = { op: "commitReservation", invoiceReference: s.invoiceRef!, amountMinor: s.commitMinor!, currency: s.currency } as const;
  return callGlase(s, call, { phase: "committing" } as Partial<S>);
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
  const receipt = receiptOf(s, o.ersReference!, o.paymentDate ?? new Date(ctx.now).toISOString());
  const state: S = { ...s, phase: "printing", ersReference: o.ersReference, paymentDate: receipt.timestamp, receipt, pending: undefined };
  const effects: Effect[] = [cancelTimer("retry"), cancelTimer("poll"), display(s, "Paid - thank you"), { type: "print", receipt }];
  return withReceiptSubmission(state, effects, o.ersReference!, receipt, ctx);
}

export function describe(o: GlaseOutcome): string {
  return o.kind === "result" ? `result ${o.code}` : o.kind === "transport" ? (o.indefinite ? "lost answer" : "unreachable") : "ok";
}

export function alarmFor(s: S, op: string, o: GlaseOutcome): Effect {
  return { type: "alarm", code: `glase-${op}`, message: `point ${s.point}: ${op} ${describe(o)}` };
}
