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
import { provableContradiction, readTransaction } from "./ownership.ts";
import type { TransactionBook, TxRecord } from "./transactions.ts";
import type { WireUnits } from "./units.ts";

export interface UserCheckDeps {
  readonly exchange: PacketExchange;
  readonly book: TransactionBook;
  readonly logger: Logger;
  readonly units: WireUnits;
  readonly ownUser: OwnUser;
  readonly now: () => number;
  fault(e: Extract<DispenserEvent, { type: "fault" }>): void;
}

/**
 * The UserId of a confirmed authorization, as read back (`info`): corroborates or contradicts the
 * agent's id; alarms PTS_USER_MISMATCH once when it is news. Clears the record's pending check.
 */
export async function noteConfirmedUser(r: TxRecord, info: TransactionInfo | undefined, deps: UserCheckDeps): Promise<void> {
  // A confirmation is not proof by itself: a controller may confirm a same-number PumpAuthorize as
  // "the same request again" whoever sent the first one (the twin's default; review 5, R5-4), so
  // the attendant's POS taking the number our probe had just found free (its automatic numbering
  // picks LastTransaction + 1, as we do) gets OUR first send confirmed. When the UserId provably
  // contradicts the trusted id the record was sent as, it is the POS's sale: refused and foreign in
  // our book — never settled, stopped or closed by us, and no lesson about our own id.
  const contra = info === undefined ? undefined : provableContradiction(r, info, deps.ownUser);
  if (contra !== undefined) {
    const now = deps.now();
    const next = await deps.book.update(r.flowId, (c) => (c.phase === "authorized" && c.ended === undefined ? { phase: "refused", foreign: true, closedAt: now, userCheckPending: false } : { userCheckPending: false }));
    if (!next.foreign) return;
    deps.logger.warn("pts_confirmed_foreign", { flowId: r.flowId, pump: r.pump, transaction: r.transaction, why: contra });
    deps.fault({
      type: "fault",
      point: r.point,
      code: "PTS_FOREIGN_TRANSACTION",
      transactionId: r.flowId,
      message: `pump ${r.pump} transaction ${r.transaction} was confirmed to our PumpAuthorize, but it is not our authorization (${contra}: another system took the number); not charged, not touched`,
    });
    return;
  }
  const news = await deps.ownUser.confirmed(info?.userId);
  if (r.userCheckPending) await deps.book.update(r.flowId, () => ({ userCheckPending: false }));
  if (!news) return;
  deps.logger.warn("pts_user_mismatch", { pump: r.pump, transaction: r.transaction, ...news });
  deps.fault({
    type: "fault",
    point: r.point,
    code: "PTS_USER_MISMATCH",
    transactionId: r.flowId,
    message: `the controller confirmed our authorization of pump ${r.pump} transaction ${r.transaction} as controller user ${news.confirmed}, but controllerUserId is ${news.configured}; until fixed (set controllerUserId, then systemctl restart glase-agent), an authorization whose answer is lost is parked, not decided`,
  });
}

/** Reads a confirmed authorization back for its UserId; a failed read leaves the check pending (true = done). */
export async function checkConfirmedUser(r: TxRecord, deps: UserCheckDeps): Promise<boolean> {
  try {
    const info = await readTransaction(r, deps.exchange, deps.units);
    await noteConfirmedUser(r, info, deps);
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
