// Preliminary payment (prepin, contract §6.14 C) for fuel pumps and EV chargers (same flow in kWh):
// reserve → authorize the dispenser with the reserved amount → deliver → updateInvoice with the
// final rows → commitReservation(metered) → PAID → receipt. Pure: transition(state, input, ctx).
//
// Safety rules kept here (not in the shell):
// - a commit whose outcome is not known is resolved by getPaymentStatus, never by re-sending it;
// - a sendInvoice whose answer was lost is resolved by reading the terminal's current invoice and
//   then superseding it with a fresh sendInvoice (a cash-register terminal holds one open invoice,
//   §6.4), so the customer never holds two live invoices — but only once the lost one can no longer
//   be processed (a late one would supersede the fresh invoice under a customer who reserved it),
//   and never giving up while reads fail and an invoice of ours may still hold a reservation;
// - nothing delivered, customer never lifts the nozzle, customer never confirms ⇒ cancelInvoice;
// - settlement retries with capped backoff until the commit deadline, then parks with an alarm;
// - the delivery is stopped in time to settle before the reservation lapses (deadlines counted from
//   the sendInvoice, the earliest the reservation can start), and only a FINISHED sale is settled:
//   a sale still running after a stop is stopped again, never committed with its running figure;
// - once a commit may have happened, the status is read at the poll cadence (a PAID left unread is
//   reversed after 20 s) and a RESERVED read right after an ambiguous commit proves nothing — nor,
//   past the commit deadline, one long after it: Glase may apply a request whose answer was lost at
//   any later time (§4.1: clientRequestTimeout must be 0), so those reads go on until the
//   reservation has surely lapsed, and no commit goes out past the deadline;
// - the reservation is read at a low rate while the pump runs (preliminary-watch.ts): a late
//   sendInvoice of ours may supersede it (§6.4); then the pump is stopped and the late invoice closed.
//
// This file decides which step follows which input; the Glase answers are preliminary-glase.ts, the
// state preliminary-state.ts, the steps preliminary-steps.ts, the invoice rows and receipt
// preliminary-documents.ts.
import { type FlowContext, assertNever, backoffMs, cancelTimer, timer } from "./effects.ts";
import { type Step, display, pendingOutcome, readCurrentInvoice, same, withEffects, sentOut, withSendOut } from "./flow.ts";
import type { FlowInput, SaleInfo } from "./inputs.ts";
import type { Delivered, PreliminaryPhase, PreliminaryStart, PreliminaryState } from "./preliminary-state.ts";
import { onGlase } from "./preliminary-glase.ts";
import { DELIVERY_PHASES, foldEnd, guardPump, onGuardedInput } from "./preliminary-pump.ts";
import { isWatchAnswer, onWatchAnswer, onWatchTimer, watching } from "./preliminary-watch.ts";
import { lostOne } from "./send-watch.ts";
import {
  cancel,
  checkSale,
  closeLate,
  commit,
  finish,
  park,
  pastDeadline,
  poll,
  send,
  settle,
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
  // The secure timer died with the process (guardPump arms it again). A flow journaled before
  // pumpOpen existed, in or parked from a delivery phase, may hold an authorization too.
  const pumpOpen = s.pumpOpen ?? (s.delivered === undefined && (DELIVERY_PHASES.includes(s.phase) || (s.phase === "parked" && s.parkedFrom !== undefined && DELIVERY_PHASES.includes(s.parkedFrom))));
  // A sendInvoice cut off by the restart may have been processed (and may still be, at any time).
  const sendLost = s.sendLost === true || s.phase === "sending-invoice";
  // (So it is a lost send: if the flow ends before seeing it, the terminal's lost-send watch takes it over.)
  const lost = s.phase === "sending-invoice" ? { lostSends: lostOne(s.lostSends, sentOut(s), ctx) } : {};
  const step = resume({ ...s, pending: undefined, watchRef: undefined, attempts: 0, secureArmed: false, pumpOpen, sendLost, ...lost }, s.phase, ctx);
  // The pump may still run on the reservation: watch it again (preliminary-watch.ts).
  return PUMP_PHASES.includes(s.phase) && !s.reservationLost ? watching(step, ctx) : step;
}

/** Re-enters `phase` by first reading what may have happened in it (restart, technician retry). */
function resume(fresh: S, phase: PreliminaryPhase, ctx: FlowContext): Step<S> {
  switch (phase) {
    case "sending-invoice":
    case "resolving-send":
      return readCurrentInvoice(fresh, ctx, { phase: "resolving-send" } as Partial<S>);
    case "awaiting-reservation":
      return withEffects(poll(fresh, "awaiting-reservation", ctx), timer("customer", fresh.customerDeadline - ctx.now));
    case "canceling":
      return cancel(fresh, fresh.cancelWanted ?? "recovered");
    case "authorizing":
    case "authorized":
    case "delivering":
    case "stopping":
    case "checking-sale":
      return checkSale(fresh);
    case "updating":
      return update(foldEnd(fresh));
    case "committing":
      // The commit's outcome is unknown: a RESERVED read soon after it proves nothing.
      return poll({ ...fresh, commitUnknown: true }, "checking-commit", ctx);
    case "checking-commit":
      return poll(fresh, "checking-commit", ctx);
    case "closing":
      return poll(fresh, "closing", ctx);
    case "printing":
      return { state: fresh, effects: [{ type: "print", receipt: fresh.receipt! }] };
    case "securing":
    case "parked":
    case "finished":
      return same(fresh);
    default:
      return assertNever(phase, "preliminary phase");
  }
}

function onTimer(s: S, name: string, ctx: FlowContext): Step<S> {
  switch (name) {
    case "customer":
      if (s.phase !== "awaiting-reservation" && s.phase !== "sending-invoice" && s.phase !== "resolving-send") return same(s);
      // Without a known invoice there is nothing to cancel yet: it follows once there is.
      if (s.pending !== undefined || s.invoiceRef === undefined) return same({ ...s, cancelWanted: "customer-timeout" });
      return cancel(s, "customer-timeout");
    case "poll":
      return s.phase === "awaiting-reservation" && s.pending === undefined ? poll(s, "awaiting-reservation", ctx) : same(s);
    case "nozzle":
      return s.phase === "authorized" ? stop(s, ctx) : same(s);
    case "stall":
      return s.phase === "delivering" ? stop(s, ctx) : same(s);
    case "watch":
      return onWatchTimer(s, ctx);
    case "lapse":
      // Settlement must end before the reservation lapses: stop now, settle what the board metered.
      if (s.phase !== "authorizing" && s.phase !== "authorized" && s.phase !== "delivering") return same(s);
      return withEffects(stop(s, ctx), display(s, "Time limit reached"));
    case "retry":
      if (s.pending !== undefined) return same(s);
      switch (s.phase) {
        case "resolving-send":
          return readCurrentInvoice(s, ctx);
        case "canceling":
          return cancel(s, s.cancelWanted ?? "retry");
        case "updating":
          return update(s);
        case "checking-commit":
          // Never a commit past the deadline (a lost one may still land): read instead.
          return s.recommit && !pastDeadline(s, ctx) ? commit(s, ctx) : poll(s, "checking-commit", ctx);
        case "closing":
          return poll(s, "closing", ctx);
        case "checking-sale":
          return checkSale(s);
        case "stopping":
          return stop(s, ctx);
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
  // No record, or a finished one: the point holds no authorization of ours any more.
  if (record === null) return s.reservationLost ? closeLate({ ...s, pumpOpen: false }, ctx) : cancel({ ...s, pumpOpen: false }, "not-authorized");
  const d: Delivered = { gradeId: record.gradeId, milli: record.milli, amountMinor: record.amountMinor, unitPriceMinor: record.unitPriceMinor };
  if (record.state === "finished") return settle({ ...s, pumpOpen: false }, d, ctx);
  // A technician stopped the point while the record was read (an AUTH whose answer was lost may
  // have been applied): the point is out of service — stop it, never hand it to a customer.
  if (s.technicianStop && !s.stopRequested) return stop({ ...s, progress: d }, ctx);
  if (s.stopRequested) {
    // We asked for a stop and the board still holds the sale open (the STOP never arrived, or the
    // link dropped): its figure is not final. Stop again, spaced, and settle only the END or a
    // finished record. At the commit deadline the known figure is all we can commit.
    if (pastDeadline(s, ctx)) {
      // pumpOpen stays set: the flow goes on stopping the point while (and after) it settles.
      return withEffects(settle(s, d, ctx), { type: "alarm", code: "delivery-unfinished", message: `point ${s.point}: sale ${s.flowId} still ${record.state} at the commit deadline; settling the ${d.amountMinor} metered so far` });
    }
    // The board answered, so it is reachable now: stop again soon — spaced by the stops it already
    // ignored, not by the reads that failed while its link was down.
    const restops = (s.restops ?? 0) + 1;
    return { state: { ...s, phase: "stopping", progress: d, attempts: 0, restops }, effects: [timer("retry", backoffMs(restops, ctx))] };
  }
  const lapse = s.stopAt !== undefined ? [timer("lapse", s.stopAt - ctx.now)] : [];
  if (record.state === "delivering") {
    return { state: { ...s, phase: "delivering", progress: d }, effects: [timer("stall", ctx.settings.deliveryStallMs), ...lapse] };
  }
  return { state: { ...s, phase: "authorized" }, effects: [timer("nozzle", ctx.settings.nozzleLiftTimeoutMs), ...lapse] };
}

/**
 * The board is reachable again. A flow that asked for a stop and has not seen the sale end stops
 * again now (its backoff grew while the link was down, and the commit deadline may be near); one
 * waiting to read the sale record reads it now.
 */
function onLinkBack(s: S, ctx: FlowContext): Step<S> {
  if ((s.phase === "stopping" || s.phase === "checking-sale") && s.stopRequested) return withEffects(stop({ ...s, restops: (s.restops ?? 0) + 1 }, ctx), cancelTimer("retry"));
  if (s.phase === "checking-sale") return withEffects(checkSale(s), cancelTimer("retry"));
  return same(s);
}

/** The phases the pump may run in: its reservation is watched (preliminary-watch.ts). */
const PUMP_PHASES = DELIVERY_PHASES;

export function transitionPreliminary(s: S, input: FlowInput, ctx: FlowContext): Step<S> {
  if (s.phase === "finished") return same(s);
  // A pump that may still hold this flow's authorization is stopped whatever the flow does next.
  return guardPump(onGuardedInput(s, input, ctx) ?? onInput(s, input, ctx), input, ctx);
}

function onInput(s: S, input: FlowInput, ctx: FlowContext): Step<S> {
  switch (input.type) {
    case "glase": {
      if (isWatchAnswer(s, input.ref, input.op)) return onWatchAnswer(s, input.outcome, ctx);
      const o = pendingOutcome(s, input);
      return o === undefined ? same(s) : onGlase(withSendOut(s, input), o, ctx);
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
      if (s.phase === "checking-sale" && s.stopRequested && ctx.now >= (s.stopSentAt ?? 0) + backoffMs((s.restops ?? 0) + 1, ctx)) {
        // Still metering after our stop, and the board is reachable again (it reports): stop now,
        // not after a backoff grown while its link was down — the commit deadline is near.
        return withEffects(stop({ ...s, progress: { milli: input.milli, amountMinor: input.amountMinor }, restops: (s.restops ?? 0) + 1 }, ctx), cancelTimer("retry"));
      }
      if (s.phase === "stopping" || s.phase === "checking-sale") return same({ ...s, progress: { milli: input.milli, amountMinor: input.amountMinor } });
      if (s.phase !== "authorizing" && s.phase !== "authorized" && s.phase !== "delivering") return same(s);
      return {
        state: { ...s, phase: "delivering", progress: { milli: input.milli, amountMinor: input.amountMinor } },
        effects: s.phase === "delivering" ? [timer("stall", ctx.settings.deliveryStallMs)] : [cancelTimer("nozzle"), timer("stall", ctx.settings.deliveryStallMs)],
      };
    case "end":
      if (!DELIVERY_PHASES.includes(s.phase)) return same(s);
      return settle({ ...s, pumpOpen: false }, { gradeId: input.gradeId, milli: input.milli, amountMinor: input.amountMinor, unitPriceMinor: input.unitPriceMinor }, ctx);
    case "fault":
      return s.phase === "authorized" || s.phase === "delivering" ? stop(s, ctx) : same(s);
    case "printed":
      return s.phase === "printing" ? finish(s, "paid") : same(s);
    case "released":
      return same(s);
    case "terminal":
    case "withheld":
      return same(s);
    case "link":
      return input.up ? onLinkBack(s, ctx) : same(s);
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
    if (s.phase === "authorized" || s.phase === "delivering" || s.phase === "authorizing") return stop({ ...s, technicianStop: true }, ctx);
    // Reading the sale record (or stopping already): recorded; the record's answer stops the pump.
    if (s.phase === "checking-sale" || s.phase === "stopping") return same({ ...s, technicianStop: true });
    if (s.phase === "awaiting-reservation" || s.phase === "sending-invoice" || s.phase === "resolving-send") {
      return s.pending || s.invoiceRef === undefined ? same({ ...s, cancelWanted: "stopped" }) : cancel(s, "stopped");
    }
    return same(s);
  }
  if (s.phase !== "parked") return same(s);
  const resumed: S = { ...s, parkedReason: undefined, parkedMessage: undefined, attempts: 0 };
  switch (action) {
    case "mark-settled":
      // Settled by hand — but a reservation left open holds the customer's money until it lapses:
      // read the invoice first, and cancel it if it is still open. The technician's decision
      // replaces a `reservation-lost` park (finish re-parks on that cancelWanted), so it ends the flow.
      const settled: S = resumed.cancelWanted === "reservation-lost" ? { ...resumed, cancelWanted: "settled-manually" } : resumed;
      return settled.invoiceRef === undefined || settled.ersReference !== undefined ? finish(settled, "settled-manually") : poll(settled, "closing", ctx);
    case "retry": {
      // Resume where it parked, with a fresh window for the retries (the technician knows the
      // reservation may have lapsed; the reads say so if it did).
      const window = ctx.now + ctx.settings.retryMaxMs * 4;
      const commitDeadline = Math.max(s.commitDeadline ?? window, window);
      const from = s.parkedFrom ?? "checking-commit";
      const step = resume({ ...resumed, commitDeadline, parkedFrom: undefined, watchRef: undefined }, from, ctx);
      // Back in a phase the pump may run in: its reservation is watched again (as recover does).
      return PUMP_PHASES.includes(from) && !s.reservationLost ? watching(step, ctx) : step;
    }
    case "cancel":
      return cancel(resumed, "technician");
    default:
      return assertNever(action, "technician action");
  }
}
