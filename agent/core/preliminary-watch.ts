// The reservation is read while the pump runs (review 2 of issue 9, finding B). Glase may process a
// sendInvoice whose answer was lost at any later time (§4.1: clientRequestTimeout must be 0 — no
// server-side bound), and on a cash-register terminal a new invoice cancels the open one (§6.4): a
// late invoice of ours can cancel the very reservation the pump is delivering on. Nothing forbids
// status reads in RESERVED, so from authorization until the sale is final the flow reads its
// invoice at a low rate (one read per WATCH interval, outside the flow's pending call so the pump
// steps are never held up). On CANCELED/EXPIRED/FAILED it stops the pump at once, alarms, and —
// once the sale is final — closes the terminal's current invoice instead of committing
// (preliminary-steps.ts closeLate): the late one may be RESERVED, holding a customer's money.
import { type Effect, type FlowContext, cancelTimer, clientRef, glase, timer } from "./effects.ts";
import { type Step, same } from "./flow.ts";
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

/** Starts (or restarts) the watch: the first read one interval from now. */
export function startWatch(ctx: FlowContext): Effect {
  return timer("watch", watchMs(ctx));
}

/** The watch timer: read the reservation (unless a read is still out), and arm the next one. */
export function onWatchTimer(s: S, ctx: FlowContext): Step<S> {
  if (!WATCHED.includes(s.phase) || s.reservationLost || s.invoiceRef === undefined) return same(s);
  const next = timer("watch", watchMs(ctx));
  if (s.watchRef !== undefined) return { state: s, effects: [next] };
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
  if (o.kind !== "ok") return same(done);
  const next: S = { ...done, version: o.version ?? s.version };
  if (!WATCHED.includes(s.phase)) return same(next);
  if (o.status !== "CANCELED" && o.status !== "EXPIRED" && o.status !== "FAILED") return same(next);
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
