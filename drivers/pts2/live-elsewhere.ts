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
//   price or start) → on a controller flagged as renumbering, or when the live sale names the very
//   user id we sent as (only its corroboration is missing: a fresh install), parked under that number
//   (PTS_OWNERSHIP_UNKNOWN, the reservation kept, a technician claims or disowns) and — only on the
//   flagged controller (review 11, R11-5: the "id we sent as" may be a controllerUserId typo equal
//   to the POS's id) — while the
//   controller's transaction read says it still waits for a nozzle, revoked at once (PumpStop:
//   nothing is filling, so nobody's fuel is cut; its 0-ml end is closed once the flow gives the sale
//   up, pump-tracker.ts parkedEnd). A fill already running is never stopped on such evidence
//   (review 5, R5-1: it may be the POS's customer) — judged on the transaction read, the newer of
//   the two reads (review 10, R10-2a: a status read "idle" goes stale while the transaction is read).
//   Otherwise — a controller that has shown no renumbering, the live sale under another user, no
//   UserId, our id in doubt — it is most likely the POS's prepay: refused as before, the pump not
//   touched (R10-2b: revoking it, and parking the flow on the POS's number, cost every honouring
//   station to cover a firmware only suspected).
// Never for a record a technician claimed or that is parked (R10-5): their verdict is about the
// record's OWN number, never about whatever the pump holds next (after a controller reboot, the
// POS's sale); and the live sale is judged fresh, with only the evidence the record was sent with.
// A pump that cannot be read — offline, an answer that is no pump status, or one naming another
// pump — throws (R10-1): the record stays unresolved, never refused or voided.
// The dose is not compared: real firmwares do not report it in these answers (docs/pts2.md).
import { AgentError } from "../../base/errors.ts";
import { type PumpObservation, decodePumpStatus } from "./decode-status.ts";
import type { TransactionInfo } from "./decode-config.ts";
import { PTS_ERROR, isPtsPacketError } from "./errors.ts";
import type { AuthorizeDeps } from "./authorize.ts";
import { notHonouredMessage } from "./numbering.ts";
import { evidenceFor, ownershipOf, parseStamp, readTransaction } from "./ownership.ts";
import type { TxRecord } from "./transactions.ts";

/** What authorize.ts works with: the same parts (sale-record.ts passes its own of that shape). */
export type LiveElsewhereDeps = AuthorizeDeps;

/** The controller's transaction states of an authorization nobody has started filling under. */
const WAITING: ReadonlySet<TransactionInfo["state"]> = new Set(["WaitingNozzleUpForAuthorization", "Authorized"]);

/**
 * "none": the pump holds nothing under another number (or our other sale, or someone else's, or a
 * sale nothing ties to us on a controller not known to renumber): the caller refuses / gives up as
 * before. "adopted": the record now holds the live number, authorized. "parked": the record holds
 * the live number, unresolved — the caller throws ownershipUnknown.
 * Throws when the pump cannot be read: the record must then stay unresolved, never refused.
 */
/**
 * `adoptOnly` (a record the controller CONFIRMED, now not found under its number): the live sale is
 * taken only when provably ours — never parked on, never revoked. After a controller power cut the
 * pump's next sale is as likely the attendant's prepay as ours (final review FINAL-4): parking on it
 * revoked the POS's customer; unprovable, the record stays lost (PTS_TRANSACTION_LOST) as before.
 */
export async function liveElsewhere(r: TxRecord, deps: LiveElsewhereDeps, opts: { readonly adoptOnly?: boolean } = {}): Promise<{ readonly verdict: "none" } | { readonly verdict: "adopted" | "parked"; readonly record: TxRecord; readonly why?: string }> {
  if (r.claimedAt !== undefined || r.ownershipUnknownAt !== undefined) {
    // A technician's claim, or the park awaiting one, is about the record's own number (R10-5).
    deps.logger.info("pts_live_elsewhere_skipped", { flowId: r.flowId, pump: r.pump, transaction: r.transaction, why: r.claimedAt !== undefined ? "claimed by a technician for its own number" : "parked for a technician's decision on its own number" });
    return { verdict: "none" };
  }
  const status = await deps.exchange.request("PumpGetStatus", { Pump: r.pump });
  const obs = decodePumpStatus(status.type, status.data, deps.units);
  if (obs.pump !== r.pump || (obs.kind !== "idle" && obs.kind !== "filling" && obs.kind !== "end")) throw unreadable(r, status.type, obs);
  const live = obs.transaction;
  if (live === undefined || live === r.transaction) return { verdict: "none" };
  if (deps.book.openOn(r.pump).some((o) => o.flowId !== r.flowId && o.transaction === live)) return { verdict: "none" }; // our other sale
  let info: TransactionInfo | undefined;
  try {
    info = await readTransaction({ pump: r.pump, transaction: live }, deps.exchange, deps.units);
  } catch (err) {
    if (!isPtsPacketError(err, PTS_ERROR.PUMP_TRANSACTION_NOT_FOUND)) throw err;
  }
  const candidate = judgedFresh(r, live);
  const own = info === undefined ? { ours: "unknown" as const, why: `the pump shows transaction ${live}, which the controller does not report` } : ownershipOf(candidate, info, deps.ownUser);
  if (own.ours === false) {
    deps.logger.info("pts_pump_held_by_other", { flowId: r.flowId, pump: r.pump, asked: r.transaction, live, why: own.why });
    return { verdict: "none" };
  }
  const against = own.ours === true && info !== undefined ? contradiction(r, info) : own.ours === true ? undefined : own.why;
  const asked = r.transaction;
  if (against === undefined) {
    // Flagged before the record moves: a kill in between leaves it flagged and the record still
    // authorizing (adopted again at the next read), never adopted on an unflagged controller.
    if (deps.numbering && (await deps.numbering.renumbered(r.pump, asked, live, deps.now()))) {
      deps.fault({ type: "fault", point: r.point, code: "PTS_NUMBERS_NOT_HONOURED", transactionId: r.flowId, message: notHonouredMessage(deps.numbering.notHonoured()!) });
    }
    // The UserId that proved it ours proves it from now on (review 14 final 3, S1: an adopted sale had
    // none, so its end was taken unread after a reboot the agent did not see).
    const userId = own.ours === true && r.claimedAt === undefined ? info?.userId : undefined;
    const record = await deps.book.update(r.flowId, (c) => ({ transaction: live, phase: "authorized", ...(userId !== undefined && c.readBackUserId === undefined ? { readBackUserId: userId } : {}) }));
    deps.logger.warn("pts_live_authorization_adopted", { flowId: r.flowId, pump: r.pump, asked, live, userId: info?.userId });
    return { verdict: "adopted", record };
  }
  const ground = opts.adoptOnly === true ? undefined : parkGround(candidate, info, deps);
  if (ground === undefined) {
    deps.logger.info("pts_live_authorization_left", { flowId: r.flowId, pump: r.pump, asked, live, why: against, next: leftNext(opts.adoptOnly === true) });
    return { verdict: "none" };
  }
  // Unprovable: the record holds the number (so the pump's sale under it is nobody's to settle until
  // a technician decides), and an authorization the controller still reports waiting is withdrawn
  // before anybody fills — on the transaction read, which is newer than the status read (R10-2a).
  // Revoked only on a controller flagged as renumbering (review 11, R11-5): "the id we sent as,
  // not yet corroborated" also fits a controllerUserId typo equal to the POS's id, and revoking then
  // cut the attendant's prepaid customer on a controller that never renumbered. Parked, a fill under
  // it is held for the technician's claim (the reservation kept), never free.
  const waiting = obs.kind === "idle" && (info === undefined || WAITING.has(info.state)) && deps.numbering?.notHonoured() !== undefined;
  // Parked as authorize.ts parks (`authorizing`, for `ctl resolve`), a confirmed record too (R11-3).
  let record = await deps.book.update(r.flowId, () => ({ transaction: live, phase: "authorizing" }));
  deps.logger.warn("pts_live_authorization_unproven", { flowId: r.flowId, pump: r.pump, asked, live, why: against, ground, revoke: waiting, state: info?.state });
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

/**
 * The live sale as it would be the record's, with only the evidence the record was SENT with
 * (sentAs, the probe's clock): none of what the record earned for its own number — a claim, a park,
 * a live verdict — goes with it (R10-5).
 */
function judgedFresh(r: TxRecord, live: number): TxRecord {
  const { claimedAt: _claimed, ownershipUnknownAt: _parked, liveVerdict: _verdict, confirmed: _confirmed, userCheckPending: _pending, ...sent } = r;
  return { ...sent, transaction: live };
}

/**
 * Why an unprovable live sale may be parked on (undefined: it may not, R10-2b; revoked only on the
 * flagged controller, R11-5): the
 * controller has been flagged as renumbering (so our lost authorization is likely under its number),
 * or the controller says it was authorized by the very user id we sent as, an id only not yet
 * corroborated (a fresh install) and in no doubt.
 */
function parkGround(candidate: TxRecord, info: TransactionInfo | undefined, deps: LiveElsewhereDeps): string | undefined {
  if (deps.numbering?.notHonoured() !== undefined) return "the controller is flagged as assigning its own numbers";
  if (info?.userId === undefined) return undefined;
  const sent = evidenceFor(candidate, deps.ownUser);
  if (sent.userId !== info.userId || sent.gap === "doubt" || deps.ownUser.doubtAbout(info.userId) !== undefined) return undefined;
  return `authorized by controller user ${info.userId}, the id the agent sent as (not yet corroborated)`;
}

/** What becomes of the record when the live sale is left alone (review 12: the log said "no renumbering" on a flagged controller). */
function leftNext(adoptOnly: boolean): string {
  return adoptOnly
    ? "not taken, the pump not touched: a confirmed sale the controller no longer knows (a power cut may have lost it) only adopts a sale proven ours — PTS_TRANSACTION_LOST"
    : "refused as before, the pump not touched: nothing ties it to us and this controller has shown no renumbering";
}

/** The status answer is no readable status of this pump: nothing can be said of what it holds (R10-1). */
function unreadable(r: TxRecord, type: string, obs: PumpObservation): AgentError {
  const what = obs.pump !== r.pump ? `an answer about pump ${obs.pump}` : obs.kind === "offline" ? "the pump offline" : `a ${type}`;
  return new AgentError(obs.kind === "offline" && obs.pump === r.pump ? "DEVICE_DISCONNECTED" : "DEVICE_PROTOCOL", `pump ${r.pump}: PumpGetStatus gave ${what}; whether transaction ${r.transaction} is live under another number cannot be seen`, {
    flowId: r.flowId,
    pump: r.pump,
    transaction: r.transaction,
    answered: type,
    answeredPump: obs.pump,
  });
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
