// Before an authorization whose answer was lost is refused or given up (authorize.ts): is it live on
// the pump under ANOTHER number? Review 8 (R8-2): on a controller that numbers authorizations
// itself (numbering.ts), the answer to the first renumbered PumpAuthorize — the one that would
// have revealed it — lost, the read-back of our number finds nothing, the resend is refused (the
// pump already holds our authorization, under the controller's number), and the driver refused
// the flow: the authorization stayed live under a number no record held, nobody stopped it, the
// next driver fuelled free. So before refusing, the driver reads the pump (PumpGetStatus) and, when
// it holds an authorization or sale under a number no other record of ours holds, reads that
// transaction (PumpGetTransactionInformation) and judges it as the record's:
// - provably ours — authorized by the agent's trusted, undoubted user (ownership.ts, against the
//   evidence the record was SENT with), started no earlier than our number check, and neither its
//   nozzle nor its price contradicting ours → adopted: the record takes the number, authorized, and
//   the controller is flagged as not honouring our numbers (PTS_NUMBERS_NOT_HONOURED: from then
//   on nothing more is authorized there);
// - provably someone else's (another user, trusted evidence) → not ours: the refusal stands, the
//   pump is not touched (the attendant's customer);
// - nothing proves it either way (UserId not reported or not trusted, a contradicting nozzle,
//   price or start) → parked under that number (PTS_OWNERSHIP_UNKNOWN, the reservation kept, a
//   technician claims or disowns) and, while it only waits for a nozzle, revoked at once
//   (PumpStop: nothing is filling, so nobody's fuel is cut; its 0-ml end is closed once the flow
//   gives the sale up, pump-tracker.ts parkedEnd). A fill already running is never stopped on
//   such evidence (review 5, R5-1: it may be the POS's customer).
// The dose is not compared: real firmwares do not report it in these answers (docs/pts2.md).
import { decodePumpStatus } from "./decode-status.ts";
import type { TransactionInfo } from "./decode-config.ts";
import { PTS_ERROR, isPtsPacketError } from "./errors.ts";
import type { AuthorizeDeps } from "./authorize.ts";
import { notHonouredMessage } from "./numbering.ts";
import { ownershipOf, parseStamp, readTransaction } from "./ownership.ts";
import type { TxRecord } from "./transactions.ts";

/** What authorize.ts works with: the same parts (sale-record.ts passes its own of that shape). */
export type LiveElsewhereDeps = AuthorizeDeps;

/**
 * "none": the pump holds nothing under another number (or our other sale, or someone else's): the
 * caller refuses / gives up as before. "adopted": the record now holds the live number, authorized.
 * "parked": the record holds the live number, unresolved — the caller throws ownershipUnknown.
 * Throws when the pump cannot be read: the record must then stay unresolved, never refused.
 */
export async function liveElsewhere(r: TxRecord, deps: LiveElsewhereDeps): Promise<{ readonly verdict: "none" } | { readonly verdict: "adopted" | "parked"; readonly record: TxRecord; readonly why?: string }> {
  const status = await deps.exchange.request("PumpGetStatus", { Pump: r.pump });
  const obs = decodePumpStatus(status.type, status.data, deps.units);
  const live = obs.kind === "idle" || obs.kind === "filling" || obs.kind === "end" ? obs.transaction : undefined;
  if (obs.pump !== r.pump || live === undefined || live === r.transaction) return { verdict: "none" };
  if (deps.book.openOn(r.pump).some((o) => o.flowId !== r.flowId && o.transaction === live)) return { verdict: "none" }; // our other sale
  let info: TransactionInfo | undefined;
  try {
    info = await readTransaction({ pump: r.pump, transaction: live }, deps.exchange, deps.units);
  } catch (err) {
    if (!isPtsPacketError(err, PTS_ERROR.PUMP_TRANSACTION_NOT_FOUND)) throw err;
  }
  const candidate: TxRecord = { ...r, transaction: live };
  const own = info === undefined ? { ours: "unknown" as const, why: `the pump shows transaction ${live}, which the controller does not report` } : ownershipOf(candidate, info, deps.ownUser);
  if (own.ours === false) {
    deps.logger.info("pts_pump_held_by_other", { flowId: r.flowId, pump: r.pump, asked: r.transaction, live, why: own.why });
    return { verdict: "none" };
  }
  const against = own.ours === true && info !== undefined ? contradiction(r, info) : own.ours === true ? undefined : own.why;
  const asked = r.transaction;
  if (against === undefined) {
    const record = await deps.book.update(r.flowId, () => ({ transaction: live, phase: "authorized" }));
    deps.logger.warn("pts_live_authorization_adopted", { flowId: r.flowId, pump: r.pump, asked, live, userId: info?.userId });
    if (deps.numbering && (await deps.numbering.renumbered(r.pump, asked, live, deps.now()))) {
      deps.fault({ type: "fault", point: r.point, code: "PTS_NUMBERS_NOT_HONOURED", transactionId: r.flowId, message: notHonouredMessage(deps.numbering.notHonoured()!) });
    }
    return { verdict: "adopted", record };
  }
  // Unprovable: the record holds the number (so the pump's sale under it is nobody's to settle until
  // a technician decides), and a waiting authorization is withdrawn before anybody fills.
  const waiting = obs.kind === "idle";
  let record = await deps.book.update(r.flowId, () => ({ transaction: live }));
  deps.logger.warn("pts_live_authorization_unproven", { flowId: r.flowId, pump: r.pump, asked, live, why: against, revoke: waiting });
  if (waiting) {
    record = await deps.book.update(r.flowId, (c) => ({ stopRequestedAt: c.stopRequestedAt ?? deps.now() }));
    try {
      await deps.exchange.request("PumpStop", { Pump: r.pump });
    } catch (err) {
      deps.logger.warn("pts_revoke_failed", { flowId: r.flowId, pump: r.pump, transaction: live, err, next: "the poll's stop follow-up sends it again" });
    }
  }
  return { verdict: "parked", record, why: `asked as transaction ${asked}, the pump holds transaction ${live}: ${against}` };
}

/** Beyond the UserId: what must not contradict an adoption (each only when the controller reports it). */
function contradiction(r: TxRecord, info: TransactionInfo): string | undefined {
  if (info.state === "Finished") return `transaction ${info.transaction} is already finished`;
  if (info.nozzle !== undefined && info.nozzle > 0 && info.nozzle !== r.nozzle) return `nozzle ${info.nozzle}, ours was ${r.nozzle}`;
  if (info.priceMinor !== undefined && info.priceMinor > 0 && info.priceMinor !== r.priceMinor) return `price ${info.priceMinor}, ours was ${r.priceMinor}`;
  const started = info.startedAt === undefined ? undefined : parseStamp(info.startedAt);
  const probed = r.controllerTimeAtProbe === undefined ? undefined : parseStamp(r.controllerTimeAtProbe);
  if (started !== undefined && probed !== undefined && started < probed) return `started ${info.startedAt}, before our number check at ${r.controllerTimeAtProbe}`;
  return undefined;
}
