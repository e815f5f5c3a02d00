// The reservation is read while the pump runs (review 2 of issue 9, finding B). Glase may process a
// sendInvoice whose answer was lost at any later time (§4.1: clientRequestTimeout must be 0 — no
// server-side bound), and on a cash-register terminal a new invoice cancels the open one (§6.4): a
// late invoice of ours can cancel the very reservation the pump is delivering on. Nothing forbids
// status reads in RESERVED, so from authorization until the sale is final the flow reads its
// invoice at a low rate (one read per WATCH interval, outside the flow's pending call so the pump
// steps are never held up). On CANCELED/EXPIRED/FAILED it stops the pump at once, alarms, and —
// once the sale is final — closes the terminal's current invoice instead of committing
// (preliminary-steps.ts closeLate): the late one may be RESERVED, holding a customer's money.
//
// A read that fails (timed out, refused) is not dropped: the reservation is read again at the poll
// cadence (each read with the short status timeout, agent/engine.ts statusTimeoutMs). A flow whose
// sendInvoice was lost (sendLost: a late invoice may cancel the reservation at any time) stops the
// pump once the reservation has gone unconfirmed for UNCONFIRMED_INTERVALS watch intervals — the
// exposure the watch allows anyway — alarms `reservation-unconfirmed`, and settles what was metered
// (a commit on a reservation that was in fact lost is then read CANCELED and handled as any other).
import { type Effect, type FlowContext, cancelTimer, clientRef, glase, timer } from "./effects.ts";
import { type Step, same, withEffects } from "./flow.ts";
import type { GlaseOutcome } from "./inputs.ts";
import type { PreliminaryPhase, PreliminaryState } from "./preliminary-state.ts";
import { stop } from "./preliminary-steps.ts";

type S = PreliminaryState;

/** The phases the pump runs in (authorized … until the sale record is final). */
const WATCHED: readonly PreliminaryPhase[] = ["authorizing", "authorized", "delivering", "stopping", "checking-sale"];

/** One reservation read per this interval while the pump runs (5 s at the contract's cadence): far below the poll rate. */
export function watchMs(ctx: FlowContext): number {
  return 5 * ctx.settings.pollIntervalMs;
}

/** Watch intervals a sendLost flow's pump may run on a reservation no read has confirmed. */
export const UNCONFIRMED_INTERVALS = 2;

/** The phases an unconfirmed reservation stops the pump in (later ones are stopping already). */
const RUNNING: readonly PreliminaryPhase[] = ["authorizing", "authorized", "delivering"];

/** Starts (or restarts) the watch on `step`: the first read one interval from now, the reservation counted as seen now. */
export function watching(step: Step<S>, ctx: FlowContext): Step<S> {
  return withEffects({ state: { ...step.state, watchSeenAt: ctx.now }, effects: step.effects }, timer("watch", watchMs(ctx)));
}

/** A sendLost flow's pump running on a reservation unconfirmed too long ⇒ stop it, alarm; else undefined. */
function unconfirmed(s: S, ctx: FlowContext): Step<S> | undefined {
  if (!s.sendLost || !RUNNING.includes(s.phase)) return undefined;
  const since = s.watchSeenAt ?? ctx.now;
  if (ctx.now - since < UNCONFIRMED_INTERVALS * watchMs(ctx)) return undefined;
  const alarm: Effect = {
    type: "alarm",
    code: "reservation-unconfirmed",
    message: `point ${s.point}: invoice ${s.invoiceRef} not confirmed for ${ctx.now - since} ms while the pump runs, and a lost sendInvoice of this flow may cancel it at any time; stopping the pump, settling what was metered`,
  };
  return withEffects(stop(s, ctx), alarm);
}

/** The watch timer: read the reservation (unless a read is still out), and arm the next one. */
export function onWatchTimer(s: S, ctx: FlowContext): Step<S> {
  if (!WATCHED.includes(s.phase) || s.reservationLost || s.invoiceRef === undefined) return same(s);
  const next = timer("watch", watchMs(ctx));
  if (s.watchRef !== undefined) {
    // A read still out (its answer, or its timeout, re-arms the reads): too long unconfirmed ⇒ stop.
    const stopped = unconfirmed(s, ctx);
    return stopped !== undefined ? withEffects(stopped, next) : { state: s, effects: [next] };
  }
  const ref = clientRef(s.flowId, s.calls + 1);
  const read = glase(ref, { op: "getPaymentStatus", invoiceReference: s.invoiceRef, version: s.version });
  return { state: { ...s, calls: s.calls + 1, watchRef: ref }, effects: [read, next] };
}

/** Whether a glase input answers the outstanding watch read. */
export function isWatchAnswer(s: S, ref: string, op: string): boolean {
  return s.watchRef !== undefined && ref === s.watchRef && op === "getPaymentStatus";
}

/** The answer to a watch read: the reservation is gone ⇒ stop the pump now, alarm; anything else ⇒ watch on. */
export function onWatchAnswer(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  const done: S = { ...s, watchRef: undefined };
  if (!WATCHED.includes(s.phase)) return same(o.kind === "ok" ? { ...done, version: o.version ?? s.version } : done);
  if (o.kind !== "ok") {
    // Not dropped: read again at the poll cadence (the next read replaces the interval timer).
    const again = timer("watch", ctx.settings.pollIntervalMs);
    const stopped = unconfirmed(done, ctx);
    return stopped !== undefined ? withEffects(stopped, again) : { state: done, effects: [again] };
  }
  const next: S = { ...done, version: o.version ?? s.version };
  if (o.status !== "CANCELED" && o.status !== "EXPIRED" && o.status !== "FAILED") {
    const seen: S = o.status === "RESERVED" ? { ...next, watchSeenAt: ctx.now } : next;
    return { state: seen, effects: [timer("watch", watchMs(ctx))] };
  }
  const lost: S = { ...next, reservationLost: true };
  const alarm: Effect = {
    type: "alarm",
    code: "reservation-lost",
    message: `point ${s.point}: invoice ${s.invoiceRef} is ${o.status} while the pump runs (a late sendInvoice superseded it, or it lapsed); stopping the pump — what was metered cannot be charged`,
  };
  // Stopping or reading the sale already: its end settles into closeLate (settle sees reservationLost).
  if (s.phase === "stopping" || s.phase === "checking-sale") return { state: lost, effects: [cancelTimer("watch"), alarm] };
  const step = stop(lost, ctx);
  return { state: step.state, effects: [...step.effects, cancelTimer("watch"), alarm] };
}
