// The drain's waiting (SIGTERM, a reload): until no flow is active, then — briefly — until the
// flows securing a pump see it stop. A flow securing its pump does not hold the drain for long:
// the board may stay unreachable for hours. It gets a few seconds to see the stop; each one left is
// alarmed on its point, since nothing stops that pump until the agent runs again (its recovery
// stops it, and alarms again).
import type { Observable } from "rxjs";
import type { FlowState } from "../core/transition.ts";
import type { FlowRegistry } from "./flow-registry.ts";

/** How long a drain waits for flows securing a pump to see it stop (EngineSettings.drainSecuringWaitMs). */
export const DRAIN_SECURING_WAIT_MS = 5000;

/** Until the next engine event, or `until` (at most 500 ms: the drain's conditions are polled too). */
function nextEvent(events$: Observable<unknown>, until: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const sub = events$.subscribe(() => (sub.unsubscribe(), resolve()));
    const cancel = setTimeout(() => (sub.unsubscribe(), resolve()), Math.max(1, Math.min(500, until - Date.now())));
    cancel.unref?.();
  });
}

export interface DrainWait {
  readonly flows: FlowRegistry;
  readonly events$: Observable<unknown>;
  /** Wall-clock ms by which the drain gives up. */
  readonly deadline: number;
  readonly securingWaitMs: number | undefined;
  /** A flow still securing its pump when the drain ends. */
  readonly stillSecuring: (s: FlowState) => void;
}

export async function waitForDrain(o: DrainWait): Promise<void> {
  while (Date.now() < o.deadline && o.flows.anyActive()) await nextEvent(o.events$, o.deadline);
  const securingUntil = Math.min(o.deadline, Date.now() + (o.securingWaitMs ?? DRAIN_SECURING_WAIT_MS));
  while (Date.now() < securingUntil && o.flows.securing().length > 0) await nextEvent(o.events$, securingUntil);
  for (const r of o.flows.securing()) o.stillSecuring(r.state);
}

/** The alarm of a flow left securing its pump at the drain's end. */
export function securingAtStopMessage(s: FlowState): string {
  const point = "point" in s ? s.point : undefined;
  const outcome = "outcome" in s && s.outcome !== undefined ? s.outcome : "settled";
  return `point ${point}: pump ${point} may still be authorized for sale ${s.flowId} (its payment is ${outcome}; the sale was not seen to end): the agent is stopping, and nothing stops that pump until it runs again — check the pump`;
}
