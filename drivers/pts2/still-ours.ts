// Is the transaction read under an authorized record's number still the record's own sale? Review 13
// (R13-3): a power cut lost our record (the controller keeps counting, so its own next number is
// another), and the attendant's POS — numbering its requests itself, LastTransaction + 1 as the
// agent does — prepaid under our lost number. The sale read took that prepay for our sale and
// charged our customer the POS customer's fill, with no alarm. The number proves nothing after such
// a gap; the record's own read-back does:
// - the UserId its check read (`readBackUserId`) never changes for one transaction: another UserId
//   under the number is another sale, whenever it is read ("replaced");
// - after the controller could not be reached (a reboot fits in the gap: driver.ts unreachableAt),
//   the sale must be proven ours again — its UserId equal to that read-back, or (a record checked
//   before the read-back was kept) to the trusted, undoubted id it was sent as. Without a UserId to
//   compare it is not provable ("unproven"), and nothing contradicts it either: the sale read keeps
//   it as ours with a warning (review 14, R14-1/R14-2: on firmware without UserId, one refused
//   connection mid-fill must not leave our customer's own fill unpaid).
// A "replaced" record is lost for the flow: PTS_TRANSACTION_LOST once, closed in our book in the
// same write (the pump's sale under that number is not ours to report, settle or stop), and every
// read of it stays an error — the flow parks for a person, who reads the pump and settles by hand.
import { AgentError } from "../../base/errors.ts";
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import type { TransactionInfo } from "./decode-config.ts";
import type { OwnUser } from "./own-user.ts";
import { evidenceFor } from "./ownership.ts";
import type { TransactionBook, TxRecord } from "./transactions.ts";
import type { Logger } from "../../base/log.ts";

export interface StillOursDeps {
  readonly book: TransactionBook;
  readonly ownUser: OwnUser;
  readonly logger: Logger;
  readonly now: () => number;
  readonly unreachableSince?: (at: number) => boolean;
  fault(e: Extract<DispenserEvent, { type: "fault" }>): void;
}

/** Since when the record has to be proven again if the controller was unreachable after it. */
// Not counted from a technician's claim (review 14 final 2, R2): a reboot the agent saw between the
// park and the claim may have given the number to the POS, and the claim's read would pin the POS's
// UserId as ours. So a gap before the claim still makes the claimed sale unprovable (Q3: it is lost
// for the flow and a person settles it — the safe side of the two).
export const provenSince = (r: TxRecord): number => r.provenAt ?? r.probedAt ?? r.at;

/** An authorized, open record the controller could not be reached since it was last proven ours (driver.ts, pump-tracker.ts). */
export const unprovenAfterGap = (r: TxRecord, unreachableAt: number): boolean => r.phase === "authorized" && r.ended === undefined && r.closedAt === undefined && unreachableAt >= provenSince(r);

/**
 * A record with a read-back UserId not confirmed by a read since the last request that may have met a
 * reboot (`doubtAt`: any failed request, indefinite ones too, and the agent's start): a reboot hidden
 * in one lost answer records no gap, and the POS's fill under the lost number was reported as our
 * progress and stopped by our flow (review 14t, T3). One read (throttled) confirms it or loses it.
 */
export const unconfirmedSince = (r: TxRecord, doubtAt: number): boolean =>
  r.phase === "authorized" && r.readBackUserId !== undefined && r.ended === undefined && r.closedAt === undefined && doubtAt > (r.userConfirmedAt ?? r.at);

/** "ours", or why not: "replaced" (another UserId than its own) / "unproven" (after a gap, nothing to compare). */
export function stillOurs(r: TxRecord, info: TransactionInfo, user: OwnUser, gap: boolean): { readonly verdict: "ours" } | { readonly verdict: "replaced" | "unproven"; readonly why: string } {
  if (info.userId !== undefined && r.readBackUserId !== undefined) {
    return info.userId === r.readBackUserId ? { verdict: "ours" } : { verdict: "replaced", why: `it reads back authorized by controller user ${info.userId}, while our sale under that number read back as user ${r.readBackUserId}` };
  }
  if (!gap) return { verdict: "ours" };
  const sent = evidenceFor(r, user);
  const trusted = sent.trusted && sent.userId !== undefined && user.doubtAbout(sent.userId) === undefined;
  if (info.userId !== undefined && trusted && r.claimedAt === undefined) {
    return info.userId === sent.userId ? { verdict: "ours" } : { verdict: "replaced", why: `it reads back authorized by controller user ${info.userId}, the agent sent it as user ${sent.userId}` };
  }
  return { verdict: "unproven", why: info.userId === undefined ? "the controller reports no UserId to prove it ours" : `authorized by controller user ${info.userId}, and no id of ours to compare it with` };
}

/** The error every read of a lost record answers (the flow asks again, and parks at its deadline). */
export function lostError(r: TxRecord): AgentError {
  return new AgentError("DEVICE_PROTOCOL", `pump ${r.pump} transaction ${r.transaction} is no longer our sale on the controller (lost in a reboot); the sale cannot be read`, { flowId: r.flowId, pump: r.pump, transaction: r.transaction });
}

/** Closes the record as lost (once: the alarm with the write that closes it) and returns the error to throw. */
// `notFound`: the controller answered "not found", no other sale holds the number — closed all the
// same (Q6: the number is never this sale's again), but still stoppable while the pump shows it (T4).
export async function loseRecord(r: TxRecord, why: string, deps: StillOursDeps, message?: string, notFound = false): Promise<AgentError> {
  const now = deps.now();
  let first = false;
  const rec = await deps.book.update(r.flowId, (c) => (c.lostAt === undefined && c.closedAt === undefined && c.ended === undefined ? ((first = true), { lostAt: now, closedAt: now, ...(notFound ? { lostNotFound: true } : {}) }) : {}));
  if (first) {
    deps.logger.warn("pts_transaction_replaced", { flowId: r.flowId, pump: r.pump, transaction: r.transaction, why, next: `PTS_TRANSACTION_LOST: not settled, ${notFound ? "stopped only while the pump shows its number" : "not stopped"}; a person settles the sale` });
    deps.fault({
      type: "fault",
      point: r.point,
      code: "PTS_TRANSACTION_LOST",
      transactionId: r.flowId,
      message:
        message ??
        `pump ${r.pump} transaction ${r.transaction}, which the controller confirmed to us, now holds a sale that is not provably ours (${why}; a reboot that lost its records, and another system took the number?); that sale is not charged to this flow and not touched — read our customer's sale off the pump and settle it by hand`,
    });
  }
  return lostError(rec);
}
