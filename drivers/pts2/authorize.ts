// PumpAuthorize, exactly once. The driver picks the transaction number itself and writes the
// record (flow ↔ pump + number) before the packet leaves. Before the first send of a number it asks
// the controller whether it knows that number (ownership.ts, probe): only an unknown number is sent;
// a known one is someone else's (POS, card reader, our own after a 65535 wrap) and the next is tried,
// up to MAX_PROBES numbers. The number makes the request idempotent at the controller: sent twice,
// the second is refused as a duplicate, never a second sale. So an answer that never came (timeout,
// reset, 5xx, an answer without our packet) is resolved by reading the transaction back: there AND
// matching what we asked (ownership.ts) → authorized; "not found" → sent again with the same number;
// there but not matching → someone took the number meanwhile: PTS_FOREIGN_TRANSACTION, next number.
// A confirmation of a RESEND is not proof either (review 5, R5-4): it too is read back, and only a
// first send's confirmation corroborates or teaches the agent's controller user id.
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import { decimalOfMinor, intOf } from "./decimal.ts";
import { PTS_ERROR, isPtsPacketError, isPtsTransportError } from "./errors.ts";
import type { PacketExchange } from "./exchange.ts";
import type { OwnUser } from "./own-user.ts";
import { liveElsewhere } from "./live-elsewhere.ts";
import { type ControllerNumbering, notHonouredMessage, notHonouredRefusal } from "./numbering.ts";
import { ownershipOf, probe, readTransaction } from "./ownership.ts";
import { checkConfirmedUser, checkPendingUsers } from "./user-check.ts";
import type { TransactionBook, TxRecord } from "./transactions.ts";
import type { WireUnits } from "./units.ts";

export interface AuthorizePlan {
  readonly flowId: string;
  readonly point: number;
  readonly pump: number;
  readonly nozzle: number;
  readonly gradeId: string;
  readonly ptsFuelGradeId: number;
  readonly priceMinor: number;
  readonly limitMinor: number;
  /** The controller's last transaction on the pump, to start numbering after it the first time. */
  readonly lastTransaction?: number;
}

export interface AuthorizeDeps {
  readonly exchange: PacketExchange;
  readonly book: TransactionBook;
  readonly now: () => number;
  readonly logger: Logger;
  readonly units: WireUnits;
  readonly ownUser: OwnUser;
  /** Whether the controller honours our numbers (numbering.ts); absent in unit tests of older shape. */
  readonly numbering?: ControllerNumbering;
  /** Whether the controller could not be reached at all at or after `at` (a reboot may hide in that gap; user-check.ts). */
  readonly unreachableSince?: (at: number) => boolean;
  /** Raises an alarm (a fault event). */
  fault(e: Extract<DispenserEvent, { type: "fault" }>): void;
}

const MAX_SENDS = 3;
/** Numbers tried (found taken by the probe, or refused as existing) before giving up. */
export const MAX_PROBES = 100;

/** "there" (ours) | "absent" | "foreign"; throws when the controller cannot be asked or cannot prove either (parked). */
async function readBack(r: TxRecord, deps: AuthorizeDeps): Promise<"there" | "absent" | "foreign"> {
  const info = await readTransaction(r, deps.exchange, deps.units);
  if (info === undefined) return "absent";
  const own = ownershipOf(r, info, deps.ownUser);
  if (own.ours === true) {
    if (own.anomaly) deps.logger.warn("pts_ownership_anomaly", { flowId: r.flowId, pump: r.pump, transaction: r.transaction, anomaly: own.anomaly });
    // The UserId that proved it ours is what proves it from now on (review 14 final 2, R1: an adopted
    // sale had none, so its end was taken unread — the POS's fill under our number after a reboot).
    if (info.userId !== undefined) await deps.book.update(r.flowId, (c) => (c.readBackUserId === undefined ? { readBackUserId: info.userId } : {}));
    return "there";
  }
  if (own.ours === "unknown") throw await ownershipUnknown(r, own.why, deps);
  deps.logger.warn("pts_foreign_transaction", { flowId: r.flowId, pump: r.pump, transaction: r.transaction, why: own.why });
  deps.fault(foreignFault(r, own.why));
  return "foreign";
}

/**
 * Nothing proves the transaction ours or someone else's: the record stays "authorizing" (asked
 * again), the flow parks, one PTS_OWNERSHIP_UNKNOWN alarm per record. Returns the error to throw.
 */
export async function ownershipUnknown(
  r: TxRecord,
  why: string,
  deps: Pick<AuthorizeDeps, "book" | "now" | "logger" | "fault">,
): Promise<AgentError> {
  if (r.ownershipUnknownAt === undefined) {
    await deps.book.update(r.flowId, (c) => (c.ownershipUnknownAt === undefined ? { ownershipUnknownAt: deps.now() } : {}));
    deps.logger.warn("pts_ownership_unknown", { flowId: r.flowId, pump: r.pump, transaction: r.transaction, why });
    deps.fault({
      type: "fault",
      point: r.point,
      code: "PTS_OWNERSHIP_UNKNOWN",
      transactionId: r.flowId,
      message: `pump ${r.pump} transaction ${r.transaction}: an authorization whose answer was lost cannot be proven ours or someone else's (${why}); not settled, not cancelled; the agent revokes an authorization of that number still waiting for a nozzle (nothing is filling then) and closes its end at 0 ml (nothing delivered: the flow cancels), but never stops a fill under it nor closes an end with fuel on it, which blocks the pump until decided — check the sale on the controller, then \`ctl resolve ${r.flowId} claim\` (ours: charged at the controller's figures — only before the customer's reservation lapses, commitReservationTimeoutS − commitSafetyMarginS after it was made, about 14 min with the defaults) or \`ctl resolve ${r.flowId} disown\` (not ours: nothing charged)`,
    });
  }
  return new AgentError("DEVICE_TIMEOUT", `pump ${r.pump} transaction ${r.transaction}: ownership unknown (${why})`, { pump: r.pump, transaction: r.transaction, code: "PTS_OWNERSHIP_UNKNOWN" });
}

export function foreignFault(r: TxRecord, why: string): Extract<DispenserEvent, { type: "fault" }> {
  return {
    type: "fault",
    point: r.point,
    code: "PTS_FOREIGN_TRANSACTION",
    transactionId: r.flowId,
    message: `pump ${r.pump} transaction ${r.transaction} is not the authorization we sent (${why}); not charged, not touched`,
  };
}

/**
 * `watch`: refused after a lost answer, an earlier send of this number may still land (slow on the
 * wire, as R12-3) after the last read-back: the record stays open, so the tracker verifies, stops
 * and alarms a late fill under it, and closes it after closeUnsettledAfterMs (pump-tracker.ts).
 * Closed at once, that fill ran free under our user (review 14v W4). Otherwise nothing of ours can
 * be in flight under the number: closed in the same write.
 */
const finish = (deps: AuthorizeDeps, r: TxRecord, phase: "authorized" | "refused", watch = false) =>
  deps.book.update(r.flowId, () => (phase === "refused" && !watch ? { phase, closedAt: deps.now() } : phase === "refused" ? { phase, givenUpAt: deps.now() } : { phase }));

export async function authorizeTransaction(plan: AuthorizePlan, deps: AuthorizeDeps): Promise<TxRecord> {
  const existing = deps.book.byFlow(plan.flowId);
  if (existing?.phase === "authorized") {
    // Asked again (a restart): a confirmation whose UserId check never ran (killed before it, or the
    // read failed) is checked first, as at the answer (review 9, R9-3) — parked on a contradiction.
    if (existing.userCheckPending !== true) return existing;
    await checkConfirmedUser(existing, deps);
    const checked = deps.book.byFlow(plan.flowId) ?? existing;
    if (checked.phase === "authorized") return checked;
    throw await ownershipUnknown(checked, checked.sentAs?.why ?? "the confirmed authorization reads back under another controller user", deps);
  }
  // A user check that could not run earlier (review 4, R4-1): before this authorization's evidence is journaled.
  await checkPendingUsers(deps);
  // That check may have just flagged the controller (a pending check's "not found", review 11 R11-1):
  // refused as driver.ts refuses on a flagged controller, before anything of this sale is written or sent.
  const flagged = deps.numbering?.notHonoured();
  if (flagged !== undefined) throw notHonouredRefusal(flagged, plan.pump, plan.point);
  let record: TxRecord;
  let mayHaveLanded: boolean;
  if (existing?.phase === "authorizing" && existing.pump === plan.pump) {
    // A repeat after an unresolved attempt (agent restart, retry): resolve it first.
    record = existing;
    // Probed means maybe sent; a record without probedAt may be one the pre-probe driver sent
    // (review 2, N4): read back either way — "not found" then probes and sends as usual.
    mayHaveLanded = true;
  } else {
    const transaction = await deps.book.allocate(plan.pump, plan.lastTransaction);
    record = await deps.book.create({ ...plan, transaction, phase: "authorizing", at: deps.now(), priceDigits: deps.units.priceDigits });
    mayHaveLanded = false;
  }

  let sends = 0;
  let tried = 0;
  const nextNumber = async (why: string) => {
    if (++tried >= MAX_PROBES) {
      await finish(deps, record, "refused");
      throw new AgentError("DEVICE_REJECTED", `pump ${record.pump}: ${tried} transaction numbers in a row are taken on the controller`, { pump: record.pump, transaction: record.transaction, code: "PTS_NUMBERS_TAKEN" });
    }
    const transaction = await deps.book.allocate(record.pump, record.transaction);
    deps.logger.info("pts_transaction_number_taken", { pump: record.pump, taken: record.transaction, next: transaction, why });
    record = await deps.book.update(record.flowId, () => ({ transaction, probedAt: undefined, controllerTimeAtProbe: undefined, sentAs: undefined }));
    mayHaveLanded = false;
  };
  for (;;) {
    if (mayHaveLanded) {
      const back = await readBack(record, deps);
      if (back === "there") return finish(deps, record, "authorized");
      if (back === "foreign") {
        await nextNumber("read back someone else's transaction");
        continue;
      }
    }
    if (record.probedAt === undefined) {
      // First send of this number: only a number the controller does not know is ours to send.
      let p;
      try {
        p = await probe(record, deps.exchange, deps.units);
      } catch (err) {
        await finish(deps, record, "refused"); // nothing was sent under this number
        throw err;
      }
      if (!p.free) {
        await sharedUserCheck(record, p.takenBy, deps);
        await nextNumber("the controller already holds it");
        continue;
      }
      // Journaled before the packet leaves: what a read-back of this authorization is judged by (R4-2).
      const sentAs = deps.ownUser.evidence();
      record = await deps.book.update(record.flowId, () => ({ probedAt: deps.now(), sentAs, ...(p.controllerTime !== undefined ? { controllerTimeAtProbe: p.controllerTime } : {}) }));
    }
    if (sends >= MAX_SENDS) {
      const adopted = await elsewhere(record, deps); // every answer lost: is it live under another number? (R8-2)
      if (adopted) return adopted;
      throw new AgentError("DEVICE_TIMEOUT", `PumpAuthorize of transaction ${record.transaction} on pump ${record.pump} unresolved after ${sends} sends`, { pump: record.pump, transaction: record.transaction });
    }
    sends++;
    let parkedConfirmed: TxRecord | undefined;
    try {
      const { data } = await deps.exchange.request("PumpAuthorize", {
        Pump: record.pump,
        Nozzle: record.nozzle,
        Type: "Amount",
        Dose: decimalOfMinor(record.limitMinor, deps.units.moneyDigits),
        Price: decimalOfMinor(record.priceMinor, deps.units.priceDigits),
        Transaction: record.transaction,
        AutoCloseTransaction: false,
      });
      const confirmed = data.Transaction === undefined ? record.transaction : intOf(data.Transaction, "PumpAuthorizeConfirmation.Transaction");
      // A number outside the controller's 1..65535 is no renumbering: taken as one, no status would
      // ever match our fill and every read would ask for it (review 14v V5). The answer is unusable:
      // the read-back under our own number decides (the "no usable answer" path below).
      if (confirmed < 1 || confirmed > 65535) throw new AgentError("DEVICE_PROTOCOL", `PumpAuthorizeConfirmation.Transaction ${confirmed} is outside 1..65535`, { pump: record.pump, transaction: record.transaction });
      if (confirmed !== record.transaction) {
        // The controller does not honour our numbers (review 7, R7-6; numbering.ts): this sale goes
        // on under the number it confirmed, and the controller authorizes nothing more for us.
        deps.logger.warn("pts_transaction_renumbered", { pump: record.pump, asked: record.transaction, got: confirmed });
        const asked = record.transaction;
        record = await deps.book.update(record.flowId, () => ({ transaction: confirmed }));
        if (deps.numbering && (await deps.numbering.renumbered(record.pump, asked, confirmed, deps.now()))) {
          deps.fault({ type: "fault", point: record.point, code: "PTS_NUMBERS_NOT_HONOURED", transactionId: record.flowId, message: notHonouredMessage(deps.numbering.notHonoured()!) });
        }
      }
      if (mayHaveLanded) {
        // A RESEND confirmed (review 5, R5-4): a controller may confirm a same-number request as
        // "the same request again" whoever sent the first one — the attendant's POS may have taken
        // our number between our read-back and this resend. The confirmation proves nothing: the
        // read-back decides, against the evidence journaled before the first send (sentAs), and
        // the agent's id is never learned or corroborated from it.
        // (The loop's read-back runs next: there → authorized, foreign → next number, absent → sent again.)
        deps.logger.warn("pts_resend_confirmed", { pump: record.pump, transaction: record.transaction, next: "read back to decide ownership" });
        continue;
      }
      // Confirmed to our FIRST request of this number: authorized in one write, its UserId check
      // pending in the same write — a kill before the check leaves it pending, never lost (R4-1).
      // Whether it named the number is journaled with it: a later "not found" of a named number is a
      // lost record (a reboot), not renumbering (final review FINAL-3, user-check.ts).
      const named = data.Transaction !== undefined;
      record = await deps.book.update(record.flowId, () => ({ phase: "authorized", confirmed: true, userCheckPending: true, ...(named ? { confirmedNumber: true } : {}) }));
      // (A number unknown right at the answer marks the record `unknownAtAnswer`: user-check.ts.)
      await checkConfirmedUser(record, deps, true);
      const checked = deps.book.byFlow(record.flowId) ?? record;
      if (checked.phase !== "authorizing") return checked;
      parkedConfirmed = checked; // parked (user-check.ts, R8-1): thrown below, outside this catch
    } catch (err) {
      if (isPtsPacketError(err, PTS_ERROR.TRANSACTION_NUMBER_ALREADY_EXIST) || isPtsPacketError(err, PTS_ERROR.DUPLICATED_AUTHORIZATION_REQUEST)) {
        // Our own earlier attempt, or a number / pump someone else took since the probe: the read-back decides.
        const back = mayHaveLanded ? await readBack(record, deps) : undefined;
        if (back === "there") return finish(deps, record, "authorized");
        if (isPtsPacketError(err, PTS_ERROR.DUPLICATED_AUTHORIZATION_REQUEST)) {
          // The pump holds an authorization: after a lost answer maybe ours, under the number a
          // renumbering controller gave it (review 8, R8-2) — never refused while it may be.
          const adopted = mayHaveLanded ? await elsewhere(record, deps, back !== "foreign") : undefined;
          if (adopted) return adopted;
          await finish(deps, record, "refused", mayHaveLanded);
          throw err;
        }
        await nextNumber("refused as existing");
        continue;
      }
      if (isPtsPacketError(err)) {
        // Refused busy (filling, another request) after a lost answer: the pump may be busy with OUR
        // earlier send under the controller's number (R8-2). Not on 40 "busy by other user": the
        // controller says the holder is not our login.
        if (mayHaveLanded && !isPtsPacketError(err, PTS_ERROR.PUMP_BUSY_OTHER_USER)) {
          const adopted = await elsewhere(record, deps);
          if (adopted) return adopted;
        }
        await finish(deps, record, "refused", mayHaveLanded);
        throw err;
      }
      if (isPtsTransportError(err) && !err.indefinite) {
        if (!mayHaveLanded) {
          // Never reached the controller, and no earlier attempt did either.
          await finish(deps, record, "refused");
          throw err;
        }
        throw err; // an earlier attempt may have landed and we cannot ask now: stays "authorizing"
      }
      // No usable answer: the controller may have authorized. Read back before anything else.
      deps.logger.warn("pts_authorize_unanswered", { pump: record.pump, transaction: record.transaction, err });
      mayHaveLanded = true;
    }
    if (parkedConfirmed !== undefined) {
      // The confirmation read back under another UserId (user-check.ts): ours after a re-creation
      // of the controller's users, or the POS's that took the number — parked for a technician;
      // the flow keeps the reservation (review 8, R8-1).
      throw await ownershipUnknown(parkedConfirmed, parkedConfirmed.sentAs?.why ?? "the confirmed authorization reads back under another controller user", deps);
    }
  }
}

/**
 * Before an authorization whose answer was lost is refused or given up: is it live on the pump under
 * another number (live-elsewhere.ts, review 8 R8-2)? Adopted → the record; unprovable → parked
 * (throws PTS_OWNERSHIP_UNKNOWN); nothing of ours there → undefined. A pump that cannot be read
 * throws too: the record stays unresolved, never refused.
 */
async function elsewhere(record: TxRecord, deps: AuthorizeDeps, ownAgain = true): Promise<TxRecord | undefined> {
  const live = await liveElsewhere(record, deps);
  if (live.verdict === "adopted") return live.record;
  if (live.verdict === "parked") throw await ownershipUnknown(live.record, live.why ?? "the live authorization cannot be proven ours", deps);
  // (`ownAgain` false: our number was just read back as someone else's — alarmed once, not re-read.)
  return ownAgain ? landedLate(record, deps) : undefined;
}

/**
 * Nothing of ours under another number — but under OUR number? Review 12 (R12-3): the first send,
 * slow on the wire, reached the controller after the read-back had said "not found"; the resend was
 * refused busy (42: our customer already filling under our number), the pump's status showed our own
 * number live, and the record was refused and closed — 20 L drawn under our number, charged to nobody,
 * never stopped. Read back once more, after the pump's status was read: a late landing is there now
 * and decided as any read-back (ours → authorized, settled at the controller's figures; someone
 * else's → refused; unprovable → parked).
 */
async function landedLate(record: TxRecord, deps: AuthorizeDeps): Promise<TxRecord | undefined> {
  const back = await readBack(record, deps);
  if (back !== "there") return undefined;
  deps.logger.warn("pts_authorize_landed_late", { flowId: record.flowId, pump: record.pump, transaction: record.transaction, next: "authorized: the sale is settled at the controller's figures" });
  return finish(deps, record, "authorized");
}

/** A number found taken under our own UserId that our book never held: another system uses our user (review 3, R3-5). */
async function sharedUserCheck(r: TxRecord, takenBy: number | undefined, deps: AuthorizeDeps): Promise<void> {
  const ours = deps.book.all().some((o) => o.flowId !== r.flowId && o.pump === r.pump && o.transaction === r.transaction);
  if (!(await deps.ownUser.takenNumber(r.pump, r.transaction, takenBy, ours))) return;
  deps.logger.warn("pts_user_shared", { pump: r.pump, transaction: r.transaction, userId: takenBy });
  deps.fault({
    type: "fault",
    point: r.point,
    code: "PTS_USER_SHARED",
    transactionId: r.flowId,
    message: `pump ${r.pump} transaction ${r.transaction} was authorized as the agent's controller user ${takenBy}, and the agent never sent it: another system (POS, web UI) logs in as the agent's user; until the agent has a user of its own (a new controllerUserId, then systemctl restart glase-agent), an authorization whose answer is lost is parked, not decided`,
  });
}
