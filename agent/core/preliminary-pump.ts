// Securing the point of a preliminary payment (agent/core/preliminary.ts) whose authorization may
// still be live. A flow that parks while its point is unreachable, settles a sale the board still
// showed running at the commit deadline, or is cancelled / marked settled by a technician, must not
// leave the pump authorized: when the link returns the customer would fuel on unpaid, for the whole
// preset. So while `pumpOpen` is set outside the delivery phases the flow
// - stops the point at once, again on every link-up and on a spaced "secure" timer, and on any
//   progress the board reports (after a stop, spaced);
// - holds the point: a flow whose money is settled ends in `securing`, not `finished`, until the
//   sale's END (or a finished / absent sale record) shows the pump is stopped;
// - settles what was metered when it parked in a delivery phase (dispenser-unreachable) and the END
//   arrives: the normal settlement — commit, or, if the reservation lapsed, park with the unpaid
//   amount in the alarm;
// - tells a technician when the final figure is above what was committed (delivered unpaid).
import { type Effect, type FlowContext, backoffMs, cancelTimer, timer } from "./effects.ts";
import { type Step, display, same, withEffects } from "./flow.ts";
import type { FlowInput, GlaseOutcome, SaleInfo } from "./inputs.ts";
import type { Delivered, PreliminaryPhase, PreliminaryState } from "./preliminary-state.ts";
import { cancel, commit, finish, settle, update } from "./preliminary-steps.ts";

type S = PreliminaryState;

/** Phases in which the flow itself drives the point (authorize, meter, stop, read the sale). */
export const DELIVERY_PHASES: readonly PreliminaryPhase[] = ["authorizing", "authorized", "delivering", "stopping", "checking-sale"];

export function inDeliveryPhase(s: S): boolean {
  return DELIVERY_PHASES.includes(s.phase);
}

/** Whether this flow must keep stopping its point (its authorization may be live, and it no longer drives the delivery). */
function guarding(s: S): boolean {
  return s.pumpOpen === true && s.phase !== "finished" && !inDeliveryPhase(s);
}

/** A stop now, and another after a backoff unless the sale is seen to end first. */
function restop(s: S, attempts: number, ctx: FlowContext): Step<S> {
  return {
    state: { ...s, secureArmed: true, secureAttempts: attempts, stopSentAt: ctx.now },
    effects: [{ type: "stop", point: s.point }, timer("secure", backoffMs(attempts + 1, ctx))],
  };
}

/**
 * The device-side inputs of a guarding flow, answered before the phase's own handling; undefined
 * for the inputs the phase handles (Glase answers, its timers, technician commands).
 */
export function onGuardedInput(s: S, input: FlowInput, ctx: FlowContext): Step<S> | undefined {
  if (!guarding(s)) return undefined;
  switch (input.type) {
    case "timer":
      return input.name === "secure" ? restop(s, (s.secureAttempts ?? 0) + 1, ctx) : undefined;
    case "terminal":
      return undefined;
    case "link":
      // The board is reachable again: stop now, not after a backoff grown while it was down.
      return input.up ? restop(s, 0, ctx) : same(s);
    case "stopped":
      // Whatever the stop answered (a board may refuse a stop of a point with nothing to stop), the
      // sale record says whether the sale ended; if it cannot be read, the timer stops again.
      return { state: s, effects: [{ type: "saleRecord", transactionId: s.flowId }] };
    case "sale":
      if (input.failed === true || (input.record !== null && input.record.state !== "finished")) return same(s);
      return secured(s, input.record === null ? null : delivered(input.record), ctx);
    case "end":
      return secured(s, { gradeId: input.gradeId, milli: input.milli, amountMinor: input.amountMinor, unitPriceMinor: input.unitPriceMinor }, ctx);
    case "progress":
      // Metering although the flow no longer drives a delivery: stop again (spaced from the last stop).
      return ctx.now >= (s.stopSentAt ?? 0) + backoffMs(1, ctx) ? restop(s, s.secureAttempts ?? 0, ctx) : same(s);
    case "nozzle":
    case "fault":
      return same(s);
    case "technician":
      // Only a technician at the pump can end a flow whose board never answers: mark-settled says
      // the pump is off (the engine still stops any sale of it that reports later).
      if (s.phase !== "securing" || input.action !== "mark-settled") return undefined;
      return finish({ ...s, pumpOpen: false, secureArmed: false, secureAttempts: undefined }, s.outcome ?? "settled-manually", cancelTimer("secure"));
    default:
      return undefined;
  }
}

function delivered(r: SaleInfo): Delivered {
  return { gradeId: r.gradeId, milli: r.milli, amountMinor: r.amountMinor, unitPriceMinor: r.unitPriceMinor };
}

/** The pump is stopped: the sale's final figure is known (null: the board holds no sale of ours). */
function secured(s: S, d: Delivered | null, ctx: FlowContext): Step<S> {
  const base: S = { ...s, pumpOpen: false, secureArmed: false, secureAttempts: undefined };
  const stopTimer = cancelTimer("secure");
  if (s.phase === "parked" && s.delivered === undefined && s.parkedFrom !== undefined && DELIVERY_PHASES.includes(s.parkedFrom)) {
    // Parked while the board was unreachable, before anything was settled: settle it now, as the
    // END would have been settled (a lapsed reservation parks again, naming the unpaid amount).
    const resumed: S = { ...base, parkedReason: undefined, parkedMessage: undefined, parkedFrom: undefined, attempts: 0 };
    return withEffects(d === null ? cancel(resumed, "not-authorized") : settle(resumed, d, ctx), stopTimer);
  }
  if (s.phase === "updating" && d !== null) return endBeforeCommit(base, d, stopTimer);
  const effects: Effect[] = [stopTimer, ...unpaidAlarm(s, d)];
  if (s.phase === "securing") return finish(base, s.outcome ?? "canceled", ...effects);
  return { state: base, effects };
}

/**
 * The END of a sale settled with its running figure (the commit deadline came while the board still
 * showed it running) arrives before the commit went out: the END's figure, at most the reservation,
 * is what gets committed. With no updateInvoice out it is simply the next one's figure; with one out
 * (the running figure's), it is kept until that one answers (onUpdateAnswer).
 */
function endBeforeCommit(s: S, d: Delivered, stopTimer: Effect): Step<S> {
  const endMinor = Math.min(d.amountMinor, s.reserveMinor);
  if (endMinor === s.commitMinor) return { state: { ...s, delivered: d }, effects: [stopTimer, ...unpaidAlarm(s, d)] };
  if (s.pending === undefined) {
    const folded = withEnd(s, d);
    return { state: folded, effects: [stopTimer, ...unpaidAlarm(folded, d)] };
  }
  return { state: { ...s, endDelivered: d }, effects: [stopTimer] };
}

function withEnd(s: S, d: Delivered): S {
  return { ...s, delivered: d, commitMinor: Math.min(d.amountMinor, s.reserveMinor), endDelivered: undefined };
}

/** A restart dropped the updateInvoice out: the next one carries the END's figure, if one arrived. */
export function foldEnd(s: S): S {
  return s.endDelivered === undefined ? s : withEnd(s, s.endDelivered);
}

/**
 * Time for one more updateInvoice and then the commit, each up to a call timeout, before the
 * reservation can lapse (commitReservationTimeout after the send, the earliest it can start).
 */
function timeToUpdateAgain(s: S, ctx: FlowContext): boolean {
  if (s.sentAt === undefined) return false;
  const lapse = s.sentAt + (s.reservationTimeoutS ?? ctx.settings.commitReservationTimeoutS) * 1000;
  return ctx.now + 2 * ctx.settings.glaseCallTimeoutMs <= lapse;
}

/**
 * An updateInvoice answered (phase `updating`); `ordinary` is the handling without a late END. The
 * commit carries the invoice's total (§3.6, §6.14 C.5-6): an END that arrived while the running
 * figure's update was out gets an update of its own first — or, with no time left before the
 * reservation lapses, the invoice's figure is committed and the difference alarmed. If that second
 * update fails, the first one's figure (which the invoice shows) is committed, with the alarm.
 */
export function onUpdateAnswer(s: S, o: GlaseOutcome, ctx: FlowContext, ordinary: (s: S) => Step<S>): Step<S> {
  const end = s.endDelivered;
  if (end !== undefined) {
    const rest: S = { ...s, endDelivered: undefined };
    const folded = withEnd(rest, end);
    // The running figure's update failed: nothing is on the invoice yet, the END's figure goes on.
    if (o.kind !== "ok") return withEffects(ordinary(folded), ...unpaidAlarm(folded, end));
    if (!timeToUpdateAgain(s, ctx)) return withEffects(ordinary(rest), ...unpaidAlarm(rest, end));
    const before = { delivered: s.delivered!, commitMinor: s.commitMinor! };
    return withEffects(update({ ...folded, updatedBefore: before, attempts: 0 }), ...unpaidAlarm(folded, end));
  }
  const before = s.updatedBefore;
  if (before === undefined) return ordinary(s);
  const rest: S = { ...s, updatedBefore: undefined };
  if (o.kind === "ok") return ordinary(rest);
  const restored: S = { ...rest, delivered: before.delivered, commitMinor: before.commitMinor, attempts: 0 };
  return withEffects(commit(restored, ctx), ...unpaidAlarm(restored, s.delivered ?? null));
}

/** The agent restarted while this flow's pump may still hold its authorization (its sale was not seen to end). */
function mayBeAuthorized(s: S): Effect {
  const message = `point ${s.point}: pump ${s.point} may still be authorized for sale ${s.flowId} (its payment is ${s.outcome ?? "settled"}; the sale was not seen to end before the agent stopped): stopping it again; check the pump`;
  return { type: "alarm", code: "pump-may-be-authorized", message };
}

/** What was settled for this sale: nothing once cancelled, the commit otherwise. */
function committedMinor(s: S): number {
  return s.outcome === "canceled" ? 0 : (s.commitMinor ?? 0);
}

function unpaidAlarm(s: S, d: Delivered | null): Effect[] {
  const metered = d?.amountMinor ?? 0;
  const committed = committedMinor(s);
  if (metered <= committed) return [];
  const message = `point ${s.point}: sale ${s.flowId} ended at ${metered} metered but ${committed} was committed (invoice ${s.invoiceRef ?? "none"}, ${s.outcome ?? s.phase}): ${metered - committed} delivered unpaid`;
  return [{ type: "alarm", code: "delivered-unpaid", message }];
}

/**
 * After every transition: a flow that no longer drives the delivery while its pump may be open
 * keeps stopping it; one that would finish stays in `securing` (holding its point) until the sale
 * is seen to end. A technician's command on such a flow stops the pump first.
 */
export function guardPump(step: Step<S>, input: FlowInput, ctx: FlowContext): Step<S> {
  const s = step.state;
  if (s.pumpOpen !== true) return step;
  if (inDeliveryPhase(s)) {
    // Driving the delivery again (a technician's retry): the phase's own stops take over.
    return s.secureArmed ? { state: { ...s, secureArmed: false, secureAttempts: undefined }, effects: [...step.effects, cancelTimer("secure")] } : step;
  }
  const holding: Step<S> =
    s.phase === "finished" ? { state: { ...s, phase: "securing" }, effects: [...step.effects, display(s, "Out of order - please contact staff")] } : step;
  if (!holding.state.secureArmed) {
    const r = restop(holding.state, 0, ctx);
    // Alarms live in memory: after a restart (a planned stop raised it too, agent/engine.ts drain) a technician is told again.
    const again: Effect[] = input.type === "recover" && s.phase === "securing" ? [mayBeAuthorized(s)] : [];
    return { state: r.state, effects: [...holding.effects, ...r.effects, ...again] };
  }
  if (input.type === "technician") return { state: { ...holding.state, stopSentAt: ctx.now }, effects: [...holding.effects, { type: "stop", point: s.point }] };
  return holding;
}
