// What the controller remembers of a flow's transaction (PumpGetTransactionInformation), as the
// flows' SaleRecord (and, at the end, a point's status as the last poll saw it) — the question a restarted agent, or a flow that lost the link, asks before it
// settles. A record is "finished" only when the controller says the transaction ended; while a
// transaction we asked to stop still runs, or its pump is offline, the figures are not final and
// the answer is an error (the flow asks again), never a premature settlement. An authorization
// whose answer never came is resolved by ownership.ts: a transaction under our number that is not
// the one we asked for is someone else's (PTS_FOREIGN_TRANSACTION) — never settled. A confirmed
// transaction the controller no longer knows (a reboot that lost or renumbered its records) raises
// PTS_TRANSACTION_LOST and stays an error: the flow parks for a person rather than cancel fuel
// that may have run.
import { AgentError } from "../../base/errors.ts";
import type { DispenserEvent, PointStatus, SaleRecord } from "../../contracts/dispenser.ts";
import { foreignFault, ownershipUnknown } from "./authorize.ts";
import type { Figures, PumpObservation } from "./decode-status.ts";
import type { PacketExchange } from "./exchange.ts";
import type { OwnUser } from "./own-user.ts";
import type { Logger } from "../../base/log.ts";
import { liveElsewhere } from "./live-elsewhere.ts";
import type { ControllerNumbering } from "./numbering.ts";
import { ownershipOf, readTransaction } from "./ownership.ts";
import { endedFigures } from "./sale-figures.ts";
import { lostError, loseRecord, provenSince, stillOurs } from "./still-ours.ts";
import { noteConfirmedUser } from "./user-check.ts";
import type { EndedFigures, TransactionBook, TxRecord } from "./transactions.ts";
import { type WireUnits, priceAsMinor } from "./units.ts";

export interface SaleRecordDeps {
  readonly book: TransactionBook;
  readonly exchange: PacketExchange;
  readonly units: WireUnits;
  readonly now: () => number;
  readonly ownUser: OwnUser;
  readonly logger: Logger;
  /** Flagged when an unresolved record's authorization is found live under the controller's own number (R8-2). */
  readonly numbering?: ControllerNumbering;
  /** Whether the controller could not be reached at all at or after `at` (user-check.ts, FINAL-3). */
  readonly unreachableSince?: (at: number) => boolean;
  /** Whether a request failed (maybe meeting a reboot) after `at` (still-ours.ts unconfirmedSince, T3). */
  readonly doubtSince?: (at: number) => boolean;
  /** Raises an alarm (a fault event). */
  fault(e: Extract<DispenserEvent, { type: "fault" }>): void;
  pumpOffline(pump: number): boolean;
  gradeOfFuelGrade(ptsFuelGradeId: number): string | undefined;
  resendStop(r: TxRecord): Promise<void>;
  /** The figures the last poll saw at this transaction's end, if the pump stands at it (review 14t, T2). */
  pollEnd?(pump: number, transaction: number): Pick<Figures, "milli" | "amountMinor"> | undefined;
  /** Writes the end figures (once) and tells the flows. */
  ended(r: TxRecord, figures: EndedFigures): Promise<TxRecord>;
}

function finished(r: TxRecord, f: EndedFigures, gradeOf: (id: number) => string | undefined, units: WireUnits): SaleRecord {
  return {
    transactionId: r.flowId,
    point: r.point,
    state: "finished",
    gradeId: gradeOf(f.ptsFuelGradeId) ?? r.gradeId,
    milli: f.milli,
    amountMinor: f.amountMinor,
    unitPriceMinor: priceAsMinor(f.priceMinor, units),
    limitMinor: r.limitMinor,
    reason: f.reason,
  };
}

export async function saleRecordOf(flowId: string, deps: SaleRecordDeps): Promise<SaleRecord | undefined> {
  let r = deps.book.byFlow(flowId);
  if (!r || r.phase === "refused" || r.phase === "void") return undefined;
  if (r.ended) return finished(r, r.ended, deps.gradeOfFuelGrade, deps.units);
  if (r.lostAt !== undefined) throw lostError(r); // another sale holds its number (still-ours.ts): alarmed once

  // The proof's time is when the read was asked, not after the awaits (review 14t, L1): a failure
  // landing between the answer and the write must count as after it, never be forgiven.
  const askedAt = deps.now();
  const info = await readTransaction(r, deps.exchange, deps.units);
  // Decided on the record as it is now (another read may have resolved it meanwhile), atomically.
  const resolve = (phase: "authorized" | "void") => deps.book.update(flowId, (c) => (c.phase === "authorizing" ? { phase, ...(phase === "void" ? { givenUpAt: deps.now() } : {}) } : {}));
  if (info === undefined && r.phase === "authorized" && r.userCheckPending === true) {
    // A confirmation whose user check never ran, now "not found": the check's own evidence (R9-2),
    // judged as at the answer — the controller is flagged (review 11, R11-1), the sale goes on.
    await noteConfirmedUser(r, undefined, deps);
    r = deps.book.byFlow(flowId) ?? r;
  }
  // Not under our number — but before giving it up: live on the pump under the controller's own
  // number? An answer lost, the agent killed meanwhile (review 8 R8-2); or confirmed without a
  // number on a controller flagged since (R9-2), the sale going on under its number (review 11,
  // R11-3: read only under ours, it was PTS_TRANSACTION_LOST, its fuel charged to nobody, and the
  // pump stood at an end no record held).
  if (info === undefined && (r.phase === "authorizing" || (r.phase === "authorized" && deps.numbering?.notHonoured() !== undefined))) {
    // A confirmed record only adopts a sale proven ours (FINAL-4: after a power cut the pump's next
    // sale may be the POS's) — unless the controller did not know its number right at the answer
    // (R9-2): then the live sale is most likely ours, and is parked on for a claim (review 12, R12-1).
    const live = await liveElsewhere(r, deps, { adoptOnly: r.phase === "authorized" && r.unknownAtAnswer !== true });
    if (live.verdict === "parked") throw await ownershipUnknown(live.record, live.why ?? "the live authorization cannot be proven ours", deps);
    if (live.verdict === "adopted") return saleRecordOf(flowId, deps); // read again under the adopted number
  }
  if (info === undefined && r.phase === "authorizing" && (r.ownershipUnknownAt !== undefined || r.claimedAt !== undefined)) {
    // Parked or claimed: the read-back SAW a sale under the number (unprovable) — "not found" now is
    // a loss, never an authorization that did not arrive (review 14 final 2, R3: resolved "void",
    // the flow cancelled our customer's 4 L as nothing delivered). Lost, for a person to settle.
    throw await loseRecord(r, "the controller no longer knows the sale it showed under this number", deps, `the controller no longer knows pump ${r.pump} transaction ${r.transaction}, the sale it showed under our number (parked${r.claimedAt !== undefined ? ", claimed by a technician" : ""}; a reboot that lost its records?); the sale cannot be read — read it off the pump and settle it by hand`, true);
  }
  if (info === undefined) {
    // An unanswered PumpAuthorize that never arrived: "void", and stopped should it ever show up.
    r = await resolve("void");
    if (r.phase === "void" || r.phase === "refused") return undefined;
    const message = `the controller no longer knows pump ${r.pump} transaction ${r.transaction}, which it confirmed (a reboot that lost or renumbered its records?); the sale cannot be read`;
    // Lost for good, closed in our book in the same write as the alarm (review 14 Q6): the number is
    // never this sale's again — the POS's next sale under it was billed to our customer. Not when the
    // controller did not know the number right at its answer (R9-2): the sale may still show up.
    if (r.unknownAtAnswer !== true) throw await loseRecord(r, "the controller no longer knows the transaction", deps, message, true);
    deps.fault({ type: "fault", point: r.point, code: "PTS_TRANSACTION_LOST", transactionId: r.flowId, message });
    throw new AgentError("DEVICE_PROTOCOL", `controller has no transaction ${r.transaction} on pump ${r.pump} although it confirmed it`, { flowId, pump: r.pump, transaction: r.transaction });
  }
  if (r.phase === "authorizing") {
    const own = ownershipOf(r, info, deps.ownUser);
    if (own.ours === true && own.anomaly) deps.logger.warn("pts_ownership_anomaly", { flowId, pump: r.pump, transaction: r.transaction, anomaly: own.anomaly });
    if (own.ours === true && r.claimedAt === undefined && info.userId !== undefined && r.readBackUserId === undefined) r = await deps.book.update(flowId, (c) => (c.readBackUserId === undefined ? { readBackUserId: info.userId } : {})); // R1 (authorize.ts readBack)
    // A claimed sale read for the first time after a gap the agent saw (review 14 final 3, S4): the
    // claim is no proof against a reboot before it (the POS may hold the number now, its sale even
    // ended): a UserId with nothing to compare is not provably ours — lost, as on the authorized path.
    if (own.ours === true && r.claimedAt !== undefined && r.readBackUserId === undefined && info.userId !== undefined && deps.unreachableSince?.(provenSince(r)) === true) {
      throw await loseRecord(r, `authorized by controller user ${info.userId}, read first after the controller could not be reached, with no id of ours to compare it with`, deps);
    }
    if (own.ours === "unknown") throw await ownershipUnknown(r, own.why, deps);
    if (own.ours === false) {
      // Someone else's transaction under our number: our authorization is not there. Not settled,
      // not stopped (it may be the attendant's customer); closed in our book, alarm for a person.
      const now = deps.now();
      const before = r;
      r = await deps.book.update(flowId, (c) => (c.phase === "authorizing" ? { phase: "refused", foreign: true, closedAt: now } : {}));
      if (r.foreign && before.phase === "authorizing") deps.fault(foreignFault(r, own.why));
      if (r.phase === "void" || r.phase === "refused") return undefined;
    }
  }
  // A confirmed authorization is compared with the agent's id on every read (review 4, R4-1): a
  // check that could not run at the answer runs here; one that ran is run again (cheap, no packet).
  // A contradiction found by a check that never ran parks it (review 9, R9-3): not settled.
  // Checked before, and read again: still the record's own sale? (Review 13, R13-3: after a power cut
  // the POS's prepay under our lost number was settled as ours.) Judged before the re-check, whose
  // contradiction would otherwise put the agent's id in doubt over the POS's UserId.
  if (r.phase === "authorized" && r.userCheckPending !== true) {
    const gap = deps.unreachableSince?.(provenSince(r)) === true;
    const still = stillOurs(r, info, deps.ownUser, gap);
    // Another UserId, or a UserId with nothing of ours to compare it with (a claimed sale never read
    // since its claim, an id in doubt): not provably ours, lost (final review 2 #1: a claimed sale's
    // number reused by the POS after a power cut was charged to our customer).
    if (still.verdict === "replaced" || (still.verdict === "unproven" && info.userId !== undefined)) throw await loseRecord(r, still.why, deps);
    // No UserId at all (firmware without it): no evidence against it, so it stays ours as before
    // review 13 — losing it would leave our customer's own fill unpaid after a mere refused
    // connection (review 14, R14-1); the POS reusing the number stays a residual of such firmware.
    if (still.verdict === "unproven") deps.logger.warn("pts_transaction_unprovable_after_gap", { flowId, pump: r.pump, transaction: r.transaction, why: still.why, next: "taken as ours: nothing contradicts it" });
    if (gap) r = await deps.book.update(flowId, () => ({ provenAt: askedAt }));
    // Its own UserId read again after a request that may have met a reboot: its fill is its progress
    // and its stop ours to send again (review 14t, T3; pump-tracker.ts, stop-point.ts).
    if (info.userId !== undefined && info.userId === r.readBackUserId && deps.doubtSince?.(r.userConfirmedAt ?? r.at) === true) {
      r = await deps.book.update(flowId, (c) => ({ userConfirmedAt: Math.max(c.userConfirmedAt ?? -Infinity, askedAt) }));
    }
  }
  if (r.phase === "authorized" && r.confirmed === true) {
    const parked = await noteConfirmedUser(r, info, deps).catch((err: unknown) => (deps.logger.warn("pts_user_check_failed", { flowId, err }), false));
    const now = deps.book.byFlow(flowId);
    if (parked && now !== undefined) throw await ownershipUnknown(now, now.sentAs?.why ?? "the confirmed authorization reads back under another controller user", deps);
  }
  r = await resolve("authorized");
  if (r.phase === "void" || r.phase === "refused") return undefined; // the tracker stops it
  // A claimed sale read with no gap since it was probed is the technician's sale: its UserId is
  // what it is proven by from now on (review 14, R14-2: a claimed sale was lost after any refused
  // connection, having nothing to compare).
  if (r.phase === "authorized" && r.claimedAt !== undefined && r.readBackUserId === undefined && info.userId !== undefined && deps.unreachableSince?.(provenSince(r)) !== true) {
    r = await deps.book.update(flowId, () => ({ readBackUserId: info.userId }));
  }
  if (r.ended) return finished(r, r.ended, deps.gradeOfFuelGrade, deps.units);
  const base = { transactionId: r.flowId, point: r.point, limitMinor: r.limitMinor };

  switch (info.state) {
    case "WaitingNozzleUpForAuthorization":
    case "Authorized":
      if (r.stopRequestedAt !== undefined) {
        await deps.resendStop(r);
        throw new AgentError("DEVICE_TIMEOUT", `transaction ${r.transaction} on pump ${r.pump} still authorized after the stop`, { flowId });
      }
      return { ...base, state: "authorized", gradeId: r.gradeId, milli: 0, amountMinor: 0, unitPriceMinor: priceAsMinor(r.priceMinor, deps.units) };
    case "Filling":
      if (r.stopRequestedAt !== undefined) {
        await deps.resendStop(r);
        throw new AgentError("DEVICE_TIMEOUT", `transaction ${r.transaction} on pump ${r.pump} still filling after the stop`, { flowId });
      }
      if (deps.pumpOffline(r.pump)) {
        throw new AgentError("DEVICE_DISCONNECTED", `pump ${r.pump} is offline mid-fill: its figures are not final`, { flowId });
      }
      {
        // The running figure is settled as it is when the commit deadline catches the fill: the end's
        // rule applies to it too — a pump at another price than authorized is never charged above
        // the volume at our price (review 14v V4; sale-figures.ts).
        const running = endedFigures(r, { transaction: r.transaction, nozzle: info.nozzle ?? r.nozzle, fuelGradeId: info.fuelGradeId ?? r.ptsFuelGradeId, milli: info.milli, amountMinor: info.amountMinor, priceMinor: info.priceMinor ?? r.priceMinor }, deps.now(), deps.units);
        return {
          ...base,
          state: "delivering",
          gradeId: (info.fuelGradeId !== undefined ? deps.gradeOfFuelGrade(info.fuelGradeId) : undefined) ?? r.gradeId,
          milli: info.milli,
          amountMinor: running.amountMinor,
          unitPriceMinor: priceAsMinor(running.priceMinor, deps.units),
        };
      }
    case "EndOfTransaction":
    case "Finished": {
      // The read is the end since Q5 — but a read below what the poll's own end status showed for the
      // same number is no settlement: either answer may be wrong, and the lower one bills fuel to
      // nobody (review 14t, T2). Alarmed, an error the flow asks again; a person reads the pump.
      const seen = deps.pollEnd?.(r.pump, r.transaction);
      if (seen !== undefined && (info.milli < seen.milli || info.amountMinor < seen.amountMinor)) {
        const message = `pump ${r.pump} transaction ${r.transaction}: the transaction read says ${info.milli} ml / ${info.amountMinor}, the pump's end status ${seen.milli} ml / ${seen.amountMinor}; not settled on the lower figures — read the pump`;
        deps.fault({ type: "fault", point: r.point, code: "PTS_SALE_MISMATCH", transactionId: r.flowId, message });
        throw new AgentError("DEVICE_PROTOCOL", message, { flowId, pump: r.pump, transaction: r.transaction, read: { milli: info.milli, amountMinor: info.amountMinor }, status: seen });
      }
      const figures = endedFigures(
        r,
        {
          transaction: r.transaction,
          nozzle: info.nozzle ?? r.nozzle,
          fuelGradeId: info.fuelGradeId ?? r.ptsFuelGradeId,
          milli: info.milli,
          amountMinor: info.amountMinor,
          priceMinor: info.priceMinor ?? r.priceMinor,
        },
        deps.now(),
        deps.units,
      );
      const rec = await deps.ended(r, figures);
      return finished(rec, rec.ended ?? figures, deps.gradeOfFuelGrade, deps.units);
    }
    case "NotFound":
      return undefined;
  }
}

/** A point's state from the last status the poll saw (offline while the link is down). */
export function pointStatusOf(point: number, obs: PumpObservation | undefined, linkUp: boolean, book: TransactionBook): PointStatus {
  if (!obs || !linkUp || obs.kind === "offline") return { point, state: "offline", nozzleUp: false };
  if (obs.kind === "filling" || obs.kind === "end") {
    const r = book.byPumpTransaction(obs.pump, obs.transaction);
    return { point, state: obs.kind === "filling" ? "delivering" : "finished", nozzleUp: true, ...(r ? { transactionId: r.flowId } : {}), milli: obs.milli, amountMinor: obs.amountMinor };
  }
  const nozzleUp = obs.kind === "idle" && obs.nozzleUp > 0;
  const live = book.openOn(obs.pump).find((r) => r.phase === "authorized" && r.ended === undefined);
  if (live) return { point, state: "authorized", nozzleUp, transactionId: live.flowId };
  return { point, state: nozzleUp ? "calling" : "idle", nozzleUp };
}
