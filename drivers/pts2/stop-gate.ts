// Is a PumpStop ours to send? PumpStop is pump-wide: it stops whatever the pump is doing, and the
// attendant's POS sells on the same pump under numbers like ours. Review 5 (R5-1) found a flow
// parked PTS_OWNERSHIP_UNKNOWN (its alarm: "the pump not touched") stopping the POS's cash sale
// that held its number, again on every guard tick, and a securing flow stopping whatever filled at
// link-up. So a stop goes out only for a record the pump is actually on, and only when it is ours:
// - filling / at the end of the record's own number: only a PROVEN sale of ours (confirmed to our
//   first send, read back as ours — a technician's claim too, once its read-back found no
//   contradiction — or a given-up number verified ours);
// - the pump filling another number: never (someone else's sale, not ours to touch);
// - idle (an authorization waiting for the nozzle, or nothing) or not known: a proven one, or one
//   still being resolved — revoking an authorization that may be ours before anybody fills; when the
//   pump is seen idle on the record's own number (or on none), any record, parked ones too: nothing
//   is filling, so the stop can only revoke a waiting authorization (review 6 R6-1).
import type { PumpObservation } from "./decode-status.ts";
import type { TxRecord } from "./transactions.ts";

/**
 * The record is our sale beyond doubt. A technician's claim alone is not: it is a decision to
 * judge the sale by the controller's read-back, and that read applies the contradiction rule
 * (ownership.ts: a claim never beats a UserId that provably is someone else's). So a claimed
 * record counts once the read-back has turned it `authorized`; until then (one read — the tracker
 * asks for it at the first status) the POS's fill under its number is neither reported as our
 * progress nor stopped (review 6, R6-2).
 */
export function provenOurs(r: TxRecord): boolean {
  return r.phase === "authorized" || r.liveVerdict === "ours";
}

/**
 * A record lost on a "not found" (review 14t, T4): closed in our book, never settled — but nothing
 * says another sale holds its number, so while the fresh status shows the pump on that number our
 * authorization may be what runs: a confirmed one is stopped filling or waiting; one never proven
 * ours (parked, claimed) only revoked while it waits (nothing filling is cut). Without a status, or
 * on another number, it is not stopped: the number is no longer known to be ours.
 */
export function lostButLive(r: TxRecord, obs: PumpObservation | undefined): boolean {
  if (r.lostAt === undefined || r.lostNotFound !== true || r.ended !== undefined || obs === undefined || obs.kind === "offline" || obs.kind === "other") return false;
  if (obs.transaction !== r.transaction) return false;
  return obs.kind === "idle" || r.phase === "authorized";
}

export function stoppable(r: TxRecord, obs: PumpObservation | undefined): boolean {
  if (obs !== undefined && (obs.kind === "filling" || obs.kind === "end")) return obs.transaction === r.transaction && provenOurs(r);
  if (obs?.kind === "idle" && obs.transaction !== undefined && obs.transaction !== r.transaction) return false; // another authorization waits on the pump
  // Idle on this record's own number (our authorization waiting for a nozzle) or on nothing: the stop
  // only revokes it, nobody's fuel is cut — a parked sale too (review 6 R6-1: withheld, the
  // authorization outlived the lapse and the next driver fuelled free).
  if (obs?.kind === "idle") return true;
  return provenOurs(r) || (r.phase === "authorizing" && r.ownershipUnknownAt === undefined);
}
