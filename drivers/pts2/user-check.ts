// The check of the agent's own controller user (own-user.ts) against authorizations the controller
// CONFIRMED to our request: their UserId corroborates the configured id (or teaches it), and one
// that contradicts it raises PTS_USER_MISMATCH. Review 4 (R4-1) found the check ran once and a
// failed read (a busy controller, code 41; a transport error) was swallowed at debug level, so the
// mismatch alarm could be skipped for good and the wrong id kept deciding. Now a check that could
// not run stays pending in the record (`userCheckPending`, durable) and is retried before the next
// authorization and on every read of that sale (sale-record.ts), warned each time it fails. Until
// it has run, the id is simply not corroborated: a lost answer parks (ownership.ts), never decides.
import type { Logger } from "../../base/log.ts";
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import type { TransactionInfo } from "./decode-config.ts";
import type { PacketExchange } from "./exchange.ts";
import type { OwnUser } from "./own-user.ts";
import { ownershipUnknown } from "./authorize.ts";
import { type ControllerNumbering, notHonouredMessage } from "./numbering.ts";
import { evidenceFor, readTransaction } from "./ownership.ts";
import type { TransactionBook, TxRecord } from "./transactions.ts";
import type { WireUnits } from "./units.ts";

export interface UserCheckDeps {
  readonly exchange: PacketExchange;
  readonly book: TransactionBook;
  readonly logger: Logger;
  readonly units: WireUnits;
  readonly ownUser: OwnUser;
  readonly now: () => number;
  /** Flagged when a just-confirmed number (or one whose check is pending) reads back "not found" (R9-2, R11-1). */
  readonly numbering?: ControllerNumbering;
  /** Whether the controller could not be reached at all at or after `at` (driver.ts: a refused or unreachable connection). */
  readonly unreachableSince?: (at: number) => boolean;
  fault(e: Extract<DispenserEvent, { type: "fault" }>): void;
}

/**
 * The UserId of a confirmed authorization, as read back (`info`): corroborates or contradicts the
 * agent's id; alarms PTS_USER_MISMATCH once when it is news. Clears the record's pending check.
 * `atAnswer`: called right after the controller confirmed our first send (authorize.ts), before
 * the flow was told anything. A check still pending (`userCheckPending`: it never ran, because
 * the read failed or the agent was killed before it) is judged as at the answer (review 9, R9-3).
 * Returns true when the record was parked.
 */
export async function noteConfirmedUser(r: TxRecord, info: TransactionInfo | undefined, deps: UserCheckDeps, atAnswer = false): Promise<boolean> {
  // A confirmation is not proof by itself: a controller may confirm a same-number PumpAuthorize as
  // "the same request again" whoever sent the first one (the twin's default; review 5, R5-4), so
  // the attendant's POS taking the number our probe had just found free may get OUR first send
  // confirmed. But a UserId contradicting the trusted id is just as well OUR sale after the
  // controller's users were re-created (our login now another UserId): review 8 (R8-1) found the
  // rule "contradiction → the POS's, refused" cancelled our customer's reservation and left the
  // authorization live — free fuel, and no PTS_USER_MISMATCH ever. A contradiction decides
  // nothing: the sale is parked (PTS_OWNERSHIP_UNKNOWN, the reservation kept) for
  // `ctl resolve FLOW claim|disown` — at the answer, and on a check that never ran until now
  // (review 9, R9-3: `atAnswer` alone lived in memory, so a kill before the read, or one failed
  // read, charged the POS's fill to our customer; parked, a claim charges our re-created-users
  // sale and a disown releases the POS's). Only a re-check of one already checked (a sale read)
  // leaves the record as it is. Either way PTS_USER_MISMATCH names both ids, and the id it was
  // sent as is in doubt from now on (own-user.ts, R9-1): a lost answer is then parked, never
  // judged "foreign" on it.
  // The UserId the check read back is the record's own (review 13, R13-3: a later read under another
  // UserId is another sale under our number — still-ours.ts). Kept from the first check that ran.
  const readBack = info?.userId;
  if (readBack !== undefined) await deps.book.update(r.flowId, (c) => (c.readBackUserId === undefined && (atAnswer || c.userCheckPending === true) ? { readBackUserId: readBack } : {}));
  const contra = info === undefined ? undefined : contradiction(r, info, deps.ownUser);
  if (contra !== undefined) {
    await deps.ownUser.contradictedBy(contra.sentAs, contra.readBack, r.pump, r.transaction, deps.now());
    let parked = false;
    const next = await deps.book.update(r.flowId, (c) => {
      if (!((atAnswer || c.userCheckPending === true) && c.phase === "authorized" && c.ended === undefined && c.closedAt === undefined)) return { userCheckPending: false };
      parked = true;
      // The evidence it was sent with is in doubt now: a technician's claim is not overruled by the
      // same contradiction (ownership.ts), and the read-back keeps it "unknown" until decided.
      const sentAs = { ...(c.sentAs ?? { trusted: false }), trusted: false, gap: "doubt" as const, why: contra.why };
      return { phase: "authorizing", userCheckPending: false, sentAs };
    });
    if (parked || r.userCheckPending) {
      deps.logger.warn("pts_confirmed_user_contradicts", { flowId: r.flowId, pump: r.pump, transaction: r.transaction, why: contra.why, parked });
      deps.fault({
        type: "fault",
        point: r.point,
        code: "PTS_USER_MISMATCH",
        transactionId: r.flowId,
        message: `the controller confirmed our PumpAuthorize of pump ${r.pump} transaction ${r.transaction}, but it reads back ${contra.why} (the controller's users re-created, or another system took the number); ${parked ? "the sale is parked (PTS_OWNERSHIP_UNKNOWN), not charged and not cancelled" : "the sale, already ended or closed, is left as it is"}; until a confirmed sale carries that id again, an authorization whose answer is lost is parked, not decided — check the agent's user Id on the controller's users page, set controllerUserId to it, then systemctl restart glase-agent`,
      });
    }
    if (parked) {
      await ownershipUnknown(next, contra.why, deps);
      return true;
    }
    return false;
  }
  const gap = info === undefined && (atAnswer || neverRan(r.flowId, deps)) ? lostNotRenumbered(r, deps) : undefined;
  if (gap !== undefined) {
    // Not found, but nothing says the controller renumbered (final review FINAL-3): a controller
    // that lost its records in a power cut answers the same for a number it honoured, and flagging
    // it refused every pump of the station. The sale read raises PTS_TRANSACTION_LOST for it.
    deps.logger.warn("pts_confirmed_transaction_forgotten", { flowId: r.flowId, pump: r.pump, transaction: r.transaction, why: gap, next: "not taken as renumbering; the sale's read decides (PTS_TRANSACTION_LOST)" });
  } else if (info === undefined && (atAnswer || neverRan(r.flowId, deps))) {
    // Confirmed a moment ago, and the controller does not know the number (review 9, R9-2): it
    // authorized us under a number of its own and did not say which (no Transaction in the
    // confirmation). One lost answer would leave an authorization live under a number no record
    // holds: flagged like a renumbered confirmation (numbering.ts). This sale goes on (its answer
    // arrived: ours); its sale read looks for it on the pump under the controller's number
    // (sale-record.ts, live-elsewhere.ts). A check still pending is the same evidence one round
    // trip later (review 11, R11-1: it flagged nothing, cleared the mark, and the next lost answer
    // on another pump left an authorization live and unpaid).
    // The record is marked by its own evidence, in the write that clears its check (review 13,
    // R13-1/R13-2): whether or not this check raised the controller's flag (a pending check, or a
    // second sale confirmed at once while the flag names the first) — its sale read may then park
    // on the pump's live sale and its stop revoke what waits there (sale-record.ts, driver.ts).
    await deps.book.update(r.flowId, (c) => (c.phase === "authorized" && c.transaction === r.transaction && c.ended === undefined ? { unknownAtAnswer: true, userCheckPending: false } : {}));
    await notHonoured(r, deps);
  }
  const news = await deps.ownUser.confirmed(info?.userId, r.probedAt);
  if (r.userCheckPending) await deps.book.update(r.flowId, () => ({ userCheckPending: false }));
  if (!news) return false;
  deps.logger.warn("pts_user_mismatch", { pump: r.pump, transaction: r.transaction, ...news });
  deps.fault({
    type: "fault",
    point: r.point,
    code: "PTS_USER_MISMATCH",
    transactionId: r.flowId,
    message: `the controller confirmed our authorization of pump ${r.pump} transaction ${r.transaction} as controller user ${news.confirmed}, but controllerUserId is ${news.configured}; until fixed (set controllerUserId, then systemctl restart glase-agent), an authorization whose answer is lost is parked, not decided`,
  });
  return false;
}

/**
 * The UserId read back is not the id the record was sent as, and that id was trusted when it was
 * sent — or is the one a contradiction has put in doubt since (own-user.ts, R9-1). Unlike
 * ownership.ts's provableContradiction, a doubt raised after the record was sent does not excuse
 * it: that doubt may be this very contradiction, seen first on another sale, and each sale under
 * it is parked the same (review 8, R8-1c) — the contradicting id is never learned from them.
 */
function contradiction(r: TxRecord, info: TransactionInfo, user: OwnUser): { readonly sentAs: number; readonly readBack: number; readonly why: string } | undefined {
  if (info.userId === undefined) return undefined;
  const sent = evidenceFor(r, user);
  if (sent.userId === undefined || info.userId === sent.userId) return undefined;
  if (!sent.trusted && !user.isContradicted(sent.userId)) return undefined;
  return { sentAs: sent.userId, readBack: info.userId, why: `authorized by controller user ${info.userId}, the agent sent it as user ${sent.userId}` };
}

/**
 * The record's check never ran (`userCheckPending`), on a sale still open under our number: its
 * "not found" then means what it means at the answer. A re-check of one already checked, or of a
 * sale that ended or was closed, proves nothing about numbering (a reboot may have lost it).
 */
function neverRan(flowId: string, deps: UserCheckDeps): boolean {
  const c = deps.book.byFlow(flowId);
  return c !== undefined && c.userCheckPending === true && c.phase === "authorized" && c.ended === undefined && c.closedAt === undefined;
}

/**
 * Why a confirmed number now "not found" proves nothing about numbering, or undefined when it is
 * R9-2's evidence. Final review FINAL-3: a controller that lost its records in a power cut answers
 * "not found" for a number it honoured. So it is no evidence when the confirmation named the number
 * (`confirmedNumber`: the controller said which it used — the vendor SDK requires the field), nor
 * when the controller could not be reached at all since the number was checked (a refused or
 * unreachable connection: a reboot fits in that gap). A cut answer is no such gap (the controller
 * was there to run the request; R11-1's lost read must still flag). After an agent restart the gap
 * cannot be seen: a confirmation without a number then flags as before (safe: it refuses, never charges).
 */
function lostNotRenumbered(r: TxRecord, deps: UserCheckDeps): string | undefined {
  const c = deps.book.byFlow(r.flowId) ?? r;
  if (c.confirmedNumber === true) return `the controller confirmed transaction ${c.transaction} by number: it lost the record (a reboot), it did not renumber`;
  const since = c.probedAt ?? c.at;
  if (deps.unreachableSince?.(since) === true) return "the controller could not be reached since this sale was sent, so a reboot may have lost its records";
  return undefined;
}

/** Reads a confirmed authorization back for its UserId; a failed read leaves the check pending (true = done). */
export async function checkConfirmedUser(r: TxRecord, deps: UserCheckDeps, atAnswer = false): Promise<boolean> {
  try {
    const info = await readTransaction(r, deps.exchange, deps.units);
    await noteConfirmedUser(r, info, deps, atAnswer);
    return true;
  } catch (err) {
    deps.logger.warn("pts_user_id_unchecked", { pump: r.pump, transaction: r.transaction, err, next: "retried before the next authorization and at the sale's next read" });
    return false; // `userCheckPending` stays set (written with the confirmation)
  }
}

/** Every check still pending (a read that failed earlier, maybe before a restart): tried again now. */
export async function checkPendingUsers(deps: UserCheckDeps): Promise<void> {
  for (const r of deps.book.all()) {
    if (!r.userCheckPending) continue;
    await checkConfirmedUser(r, deps);
  }
}

async function notHonoured(r: TxRecord, deps: UserCheckDeps): Promise<void> {
  deps.logger.warn("pts_confirmed_transaction_unknown", { flowId: r.flowId, pump: r.pump, asked: r.transaction, next: "the controller numbers on its own: no more authorizations" });
  if (deps.numbering && (await deps.numbering.renumbered(r.pump, r.transaction, undefined, deps.now()))) {
    deps.fault({ type: "fault", point: r.point, code: "PTS_NUMBERS_NOT_HONOURED", transactionId: r.flowId, message: notHonouredMessage(deps.numbering.notHonoured()!) });
  }
}
