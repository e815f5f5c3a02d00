// What keeps the daemon from unregistering a point's terminal (review 3 #6): besides a customer
// on the point (its snapshot state), any unfinished flow of the point or of its terminal — a
// refund being sent, a reconciliation reading periods, or one of them parked (refund-unknown
// must re-read the periods with this terminal). Only preliminary/pos runners show in the point's
// state, so the journal is asked, the same question the direct CLI path asks (unfinished.ts).
import { AgentError } from "../../base/errors.ts";
import type { Journal } from "../journal/types.ts";

export interface UnregisterBlocker {
  readonly flowId: string;
  readonly kind: string;
  readonly state: string;
  readonly parked: boolean;
}

/** Unfinished flows of `point`, or of `terminalId` (a refund or reconciliation may carry only that). */
export async function unregisterBlockers(journal: Pick<Journal, "unfinishedFlows">, point: number, terminalId: string | undefined): Promise<readonly UnregisterBlocker[]> {
  return (await journal.unfinishedFlows())
    .filter((f) => f.point === point || (terminalId !== undefined && terminalId !== "" && f.terminalId === terminalId))
    .map((f) => ({ flowId: f.flowId, kind: f.kind, state: f.stateName, parked: f.parked }));
}

/** Throws CONFLICT naming the flows when there are any. */
export async function assertNothingNeedsTerminal(journal: Pick<Journal, "unfinishedFlows">, point: number, terminalId: string | undefined): Promise<void> {
  const open = await unregisterBlockers(journal, point, terminalId);
  if (open.length === 0) return;
  const list = open.map((f) => `${f.flowId} (${f.kind}, ${f.parked ? "parked" : "running"}: ${f.state})`).join(", ");
  throw new AgentError(
    "CONFLICT",
    `point ${point} cannot be unregistered: ${list} still needs its terminal; let it finish (ctl flows; a parked one needs ctl resolve), then unregister`,
    { point, flows: open.map((f) => f.flowId) },
  );
}
