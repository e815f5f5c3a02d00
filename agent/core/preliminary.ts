// Preliminary payment (prepin, contract §6.14 C) for fuel pumps and EV chargers (same flow in kWh):
// reserve → authorize the dispenser with the reserved amount → deliver → updateInvoice with the
// final rows → commitReservation(metered) → PAID → receipt. Pure: transition(state, input, ctx).
//
// Safety rules kept here (not in the shell):
// - a commit whose outcome is not known is resolved by getPaymentStatus, never by re-sending it;
// - a sendInvoice whose answer was lost is resolved by reading the terminal's current invoice and
//   then superseding it with a fresh sendInvoice (a cash-register terminal holds one open invoice,
//   §6.4), so the customer never holds two live invoices;
// - nothing delivered, customer never lifts the nozzle, customer never confirms ⇒ cancelInvoice;
// - settlement retries with capped backoff until the commit deadline, then parks with an alarm.
//
// This file decides which step follows which input; the state is preliminary-state.ts, the steps
// preliminary-steps.ts, the invoice rows and receipt preliminary-documents.ts.
import { type FlowContext, assertNever, backoffMs, cancelTimer, timer } from "./effects.ts";
import { type Step, display, isCredentialsCode, pendingOutcome, readCurrentInvoice, same, withEffects } from "./flow.ts";
import { type FlowInput, type GlaseOutcome, type SaleInfo, isTemporary } from "./inputs.ts";
import type { Delivered, PreliminaryPhase, PreliminaryStart, PreliminaryState } from "./preliminary-state.ts";
import {
  alarmFor,
  authorize,
  cancel,
  checkSale,
  commit,
  describe,
  finish,
  paid,
  park,
  pastDeadline,
  poll,
  retryLater,
  send,
  settle,
  settleRetry,
  stop,
  update,
} from "./preliminary-steps.ts";

export type { Delivered, PreliminaryPhase, PreliminaryStart, PreliminaryState } from "./preliminary-state.ts";

type S = PreliminaryState;

export function startPreliminary(p: PreliminaryStart, ctx: FlowContext): Step<S> {
  const s: S = {
    kind: "preliminary",
    phase: "sending-invoice",
    calls: 0,
    attempts: 0,
    sends: 0,
    version: 0,
    ...p,
    customerDeadline: ctx.now + ctx.settings.reservationWaitMs,
  };
  return withEffects(send(s, ctx), display(s, "Confirm in the Glase app"), timer("customer", ctx.settings.reservationWaitMs));
}

/** Resume after a restart: every phase knows how to learn what happened while it was down. */
function recover(s: S, ctx: FlowContext): Step<S> {
  const fresh: S = { ...s, pending: undefined, attempts: 0 };
  switch (s.phase) {
    case "sending-invoice":
    case "resolving-send":
      return readCurrentInvoice(fresh, { phase: "resolving-send" } as Partial<S>);
    case "awaiting-reservation":
      return withEffects(poll(fresh, "awaiting-reservation"), timer("customer", s.customerDeadline - ctx.now));
    case "canceling":
      return cancel(fresh, s.cancelWanted ?? "recovered");
    case "authorizing":
    case "authorized":
    case "delivering":
    case "stopping":
    case "checking-sale":
      return checkSale(fresh);
    case "updating":
      return update(fresh);
    case "committing":
    case "checking-commit":
      return poll(fresh, "checking-commit");
    case "printing":
      return { state: fresh, effects: [{ type: "print", receipt: s.receipt! }] };
    case "parked":
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "preliminary phase");
  }
}

function onGlase(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  const done: S = { ...s, pending: undefined };
  switch (s.phase) {
    case "sending-invoice":
      if (o.kind === "ok" && o.invoiceReference) {
        return poll({ ...done, invoiceRef: o.invoiceReference, version: 0, attempts: 0 }, "awaiting-reservation");
      }
      if (o.kind === "transport" && o.indefinite) return readCurrentInvoice(done, { phase: "resolving-send" } as Partial<S>);
      if (isTemporary(o)) return finish(done, "offline", display(s, "Glase unavailable - pay inside"));
      return finish(done, "failed", alarmFor(s, "sendInvoice", o), display(s, "Payment unavailable"));
    case "resolving-send":
      // Whatever the terminal's current invoice is, a new sendInvoice supersedes it if still open.
      if (o.kind === "ok" || (o.kind === "result" && o.code === 54)) {
        if (s.sends >= 3) return finish(done, "failed", { type: "alarm", code: "send-unresolved", message: `point ${s.point}: sendInvoice kept failing` });
        return send({ ...done, attempts: 0 }, ctx);
      }
      if (ctx.now >= s.customerDeadline) return finish(done, "offline", display(s, "Glase unavailable - pay inside"));
      return retryLater(done, ctx);
    case "awaiting-reservation":
      return onReservationPoll(done, o, ctx);
    case "canceling":
      if (o.kind === "ok" || (o.kind === "result" && (o.code === 95 || o.code === 54 || o.code === 55))) {
        return finish(done, "canceled", display(s, "Cancelled - no charge"));
      }
      if (o.kind === "result" && (o.code === 51 || o.code === 48)) return { state: done, effects: [timer("retry", ctx.settings.pollIntervalMs)] };
      if (o.kind === "result" && o.code === 50) return park(done, "paid-while-canceling", `invoice ${s.invoiceRef} is PAID although we cancelled it`);
      if (isTemporary(o) || o.kind === "transport") {
        // Re-sending a cancel is safe (95 next time). Once the reservation would lapse anyway, stop.
        if (pastDeadline(s, ctx) || (s.commitDeadline === undefined && s.attempts >= 10)) {
          return finish(done, "canceled", { type: "alarm", code: "cancel-unconfirmed", message: `invoice ${s.invoiceRef}: cancel not confirmed; it lapses by itself` });
        }
        return retryLater(done, ctx);
      }
      return finish(done, "canceled", alarmFor(s, "cancelInvoice", o));
    case "updating":
      if (o.kind === "ok") return commit({ ...done, attempts: 0 });
      if (o.kind === "result" && (o.code === 54 || o.code === 96)) return poll({ ...done, attempts: 0 }, "checking-commit");
      if (isTemporary(o) || o.kind === "transport" || (o.kind === "result" && o.code === 48)) return settleRetry(done, ctx, `updateInvoice ${describe(o)}`);
      // The rows are informational; the commit carries the amount. Note it and settle.
      return withEffects(commit({ ...done, attempts: 0 }), alarmFor(s, "updateInvoice", o));
    case "committing":
      if (o.kind === "ok") return poll({ ...done, commitAccepted: true, attempts: 0 }, "checking-commit");
      if (o.kind === "result" && (o.code === 11 || isCredentialsCode(o.code))) {
        return park(done, "commit-rejected", `commitReservation of ${s.commitMinor} on ${s.invoiceRef} answered ${o.code}`);
      }
      // Unknown or refused: read the status before anything else (never commit blindly twice).
      if (o.kind === "result" && o.code === 96) return poll(done, "checking-commit");
      return settleRetry({ ...done, phase: "checking-commit" }, ctx, `commitReservation ${describe(o)}`);
    case "checking-commit":
      return onCommitCheck(done, o, ctx);
    case "authorizing":
    case "authorized":
    case "delivering":
    case "stopping":
    case "checking-sale":
    case "printing":
    case "parked":
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "preliminary phase");
  }
}

function onReservationPoll(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") {
    const next: S = { ...s, version: o.version ?? s.version, attempts: 0 };
    if (o.status === "RESERVED") return authorize(next, ctx);
    if (o.status === "CANCELED" || o.status === "FAILED" || o.status === "EXPIRED") {
      return finish(next, "canceled", display(s, "Payment declined"));
    }
    if (o.status === "PAID") return park(next, "paid-without-reservation", `invoice ${s.invoiceRef} is PAID before any delivery`);
    if (s.cancelWanted !== undefined) return cancel(next, s.cancelWanted);
    return { state: next, effects: [timer("poll", ctx.settings.pollIntervalMs)] };
  }
  if (o.kind === "result" && (o.code === 54 || isCredentialsCode(o.code))) {
    return finish(s, "failed", alarmFor(s, "getPaymentStatus", o), display(s, "Payment unavailable"));
  }
  if (s.cancelWanted !== undefined) return cancel(s, s.cancelWanted);
  return { state: s, effects: [timer("poll", ctx.settings.pollIntervalMs)] };
}

function onCommitCheck(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") {
    const next: S = { ...s, version: o.version ?? s.version };
    if (o.status === "PAID" && o.ersReference) return paid(next, o, ctx);
    if (o.status === "RESERVED" && !s.commitAccepted) {
      return pastDeadline(s, ctx) ? park(next, "settlement-parked", `invoice ${s.invoiceRef} still RESERVED at the commit deadline`) : commit(next);
    }
    if (o.status === "CANCELED" || o.status === "EXPIRED" || o.status === "FAILED") {
      return park(next, "reservation-lapsed", `invoice ${s.invoiceRef} is ${o.status}: delivered ${s.commitMinor} not paid`);
    }
    // PAID without reference yet, or RESERVED right after an accepted commit: read again shortly.
    return { state: next, effects: [timer("retry", ctx.settings.pollIntervalMs)] };
  }
  if (o.kind === "result" && (o.code === 54 || isCredentialsCode(o.code))) {
    return park(s, "settlement-parked", `getPaymentStatus of ${s.invoiceRef} answered ${o.code}`);
  }
  return settleRetry(s, ctx, `getPaymentStatus ${describe(o)}`);
}

function onTimer(s: S, name: string, ctx: FlowContext): Step<S> {
  switch (name) {
    case "customer":
      if (s.phase !== "awaiting-reservation" && s.phase !== "sending-invoice" && s.phase !== "resolving-send") return same(s);
      if (s.pending !== undefined) return same({ ...s, cancelWanted: "customer-timeout" });
      return cancel(s, "customer-timeout");
    case "poll":
      return s.phase === "awaiting-reservation" && s.pending === undefined ? poll(s, "awaiting-reservation") : same(s);
    case "nozzle":
      return s.phase === "authorized" ? stop(s) : same(s);
    case "stall":
      return s.phase === "delivering" ? stop(s) : same(s);
    case "retry":
      if (s.pending !== undefined) return same(s);
      switch (s.phase) {
        case "resolving-send":
          return readCurrentInvoice(s);
        case "canceling":
          return cancel(s, s.cancelWanted ?? "retry");
        case "updating":
          return update(s);
        case "checking-commit":
          return poll(s, "checking-commit");
        case "checking-sale":
          return checkSale(s);
        default:
          return same(s);
      }
    default:
      return same(s);
  }
}

function onSale(s: S, record: SaleInfo | null, failed: boolean, ctx: FlowContext): Step<S> {
  if (s.phase !== "checking-sale") return same(s);
  if (failed) {
    if (pastDeadline(s, ctx)) return park(s, "dispenser-unreachable", `point ${s.point}: sale record unavailable before the commit deadline`);
    return { state: { ...s, attempts: s.attempts + 1 }, effects: [timer("retry", backoffMs(s.attempts + 1, ctx))] };
  }
  if (record === null) return cancel(s, "not-authorized");
  const d: Delivered = { gradeId: record.gradeId, milli: record.milli, amountMinor: record.amountMinor, unitPriceMinor: record.unitPriceMinor };
  if (record.state === "finished" || s.stopRequested) return settle(s, d);
  if (record.state === "delivering") {
    return { state: { ...s, phase: "delivering", progress: d }, effects: [timer("stall", ctx.settings.deliveryStallMs)] };
  }
  return { state: { ...s, phase: "authorized" }, effects: [timer("nozzle", ctx.settings.nozzleLiftTimeoutMs)] };
}

const DELIVERY_PHASES: readonly PreliminaryPhase[] = ["authorizing", "authorized", "delivering", "stopping", "checking-sale"];

export function transitionPreliminary(s: S, input: FlowInput, ctx: FlowContext): Step<S> {
  if (s.phase === "finished") return same(s);
  switch (input.type) {
    case "glase": {
      const o = pendingOutcome(s, input);
      return o === undefined ? same(s) : onGlase(s, o, ctx);
    }
    case "authorized":
      if (s.phase !== "authorizing") return same(s);
      if (!input.ok) return checkSale(s);
      return { state: { ...s, phase: "authorized" }, effects: [timer("nozzle", ctx.settings.nozzleLiftTimeoutMs), display(s, "Lift the nozzle")] };
    case "stopped":
      return s.phase === "stopping" ? checkSale(s) : same(s);
    case "sale":
      return onSale(s, input.record, input.failed === true, ctx);
    case "start":
    case "nozzle":
      return same(s);
    case "progress":
      if (s.phase !== "authorizing" && s.phase !== "authorized" && s.phase !== "delivering") return same(s);
      return {
        state: { ...s, phase: "delivering", progress: { milli: input.milli, amountMinor: input.amountMinor } },
        effects: s.phase === "delivering" ? [timer("stall", ctx.settings.deliveryStallMs)] : [cancelTimer("nozzle"), timer("stall", ctx.settings.deliveryStallMs)],
      };
    case "end":
      if (!DELIVERY_PHASES.includes(s.phase)) return same(s);
      return settle(s, { gradeId: input.gradeId, milli: input.milli, amountMinor: input.amountMinor, unitPriceMinor: input.unitPriceMinor });
    case "fault":
      return s.phase === "authorized" || s.phase === "delivering" ? stop(s) : same(s);
    case "printed":
      return s.phase === "printing" ? finish(s, "paid") : same(s);
    case "released":
      return same(s);
    case "timer":
      return onTimer(s, input.name, ctx);
    case "recover":
      return recover(s, ctx);
    case "technician":
      return onTechnician(s, input.action, ctx);
    default:
      return assertNever(input, "input");
  }
}

function onTechnician(s: S, action: "stop" | "mark-settled" | "retry" | "cancel", ctx: FlowContext): Step<S> {
  if (action === "stop") {
    if (s.phase === "authorized" || s.phase === "delivering" || s.phase === "authorizing") return stop(s);
    if (s.phase === "awaiting-reservation" || s.phase === "sending-invoice") {
      return s.pending ? same({ ...s, cancelWanted: "stopped" }) : cancel(s, "stopped");
    }
    return same(s);
  }
  if (s.phase !== "parked") return same(s);
  switch (action) {
    case "mark-settled":
      return finish({ ...s, parkedReason: undefined }, "settled-manually");
    case "retry":
      return poll({ ...s, parkedReason: undefined, attempts: 0, commitDeadline: ctx.now + ctx.settings.retryMaxMs * 4 }, "checking-commit");
    case "cancel":
      return cancel({ ...s, parkedReason: undefined, attempts: 0 }, "technician");
    default:
      return assertNever(action, "technician action");
  }
}
