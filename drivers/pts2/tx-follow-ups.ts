// What the pump tracker (pump-tracker.ts) asks the driver to do about a transaction on the
// controller: note its end (once), read it back, verify a given-up number, close it, stop the
// pump — and what these remember (when a stop went out, when a record was last read back). Apart
// from the driver (driver.ts), which polls and hands the tracker's actions here.
import type { SaleRecord } from "../../contracts/dispenser.ts";
import { PTS_ERROR, isPtsPacketError } from "./errors.ts";
import type { OwnUser } from "./own-user.ts";
import { Pts2Part, type Pts2Parts } from "./parts.ts";
import { type TrackerAction, endEvent } from "./pump-tracker.ts";
import { saleMismatchFault } from "./sale-figures.ts";
import type { TxRecord } from "./transactions.ts";
import { verifyGivenUp } from "./verify-given-up.ts";
import { readTransaction } from "./ownership.ts";

const READ_BACK_EVERY_MS = 2000;

export class TxFollowUps extends Pts2Part {
  private readonly ownUser: OwnUser;
  private readonly authorizing: ReadonlySet<string>;
  private readonly pollSoon: () => void;
  private readonly saleRecord: (flowId: string) => Promise<SaleRecord | undefined>;
  private readonly endDoubted: (r: TxRecord) => boolean;
  /** When a stop went out for each `pump:transaction` (the tracker's overrun clock). */
  readonly stopConfirmed = new Map<string, number>();
  private readonly readBackAt = new Map<string, number>();

  constructor(d: Pts2Parts & { readonly authorizing: ReadonlySet<string>; readonly pollSoon: () => void; readonly saleRecord: (flowId: string) => Promise<SaleRecord | undefined>; readonly endDoubted: (r: TxRecord) => boolean }) {
    super(d);
    this.endDoubted = d.endDoubted;
    this.ownUser = d.ownUser;
    this.authorizing = d.authorizing;
    this.pollSoon = d.pollSoon;
    this.saleRecord = d.saleRecord;
  }

  async perform(a: TrackerAction): Promise<void> {
    const r = a.record;
    switch (a.type) {
      case "ended":
        await this.noteEnded(r, a.figures);
        return;
      case "close":
        return this.close1(r);
      case "closed":
        await this.book.update(r.flowId, () => ({ closedAt: this.scheduler.now() }));
        return;
      case "stop": {
        const now = a.recheck ? this.book.byFlow(r.flowId) : undefined;
        if (a.recheck && (now === undefined || now.lostAt !== undefined || now.closedAt !== undefined || now.ended !== undefined)) return;
        this.log.warn("pts_stopping", { pump: r.pump, transaction: r.transaction, emergency: a.emergency, why: a.why });
        return this.sendStop(r.pump, a.emergency, [r]);
      }
      case "verify":
        return this.verifyLive(r);
      case "empty-end":
        return this.closeEmptyEnd(r);
      case "read": {
        if (this.authorizing.has(r.flowId)) return; // authorize() is resolving it right now
        const key = r.flowId;
        const last = this.readBackAt.get(key) ?? -Infinity;
        if (this.scheduler.now() - last < READ_BACK_EVERY_MS) return;
        this.readBackAt.set(key, this.scheduler.now());
        await this.saleRecord(r.flowId).catch(() => undefined); // notes the end (and its event) when there is one
        return;
      }
    }
  }

  /** A given-up number is live on the pump: ours (then stopped by the next poll) or not ours to touch. */
  private async verifyLive(r: TxRecord): Promise<void> {
    const last = this.readBackAt.get(r.flowId) ?? -Infinity;
    if (this.scheduler.now() - last < READ_BACK_EVERY_MS) return;
    this.readBackAt.set(r.flowId, this.scheduler.now());
    const verdict = await verifyGivenUp(r, { exchange: this.exchange, units: this.units, book: this.book, ownUser: this.ownUser, now: () => this.scheduler.now(), logger: this.log, fault: (e) => this.emit(e) });
    if (verdict === "ours") this.pollSoon();
    else if (verdict !== undefined) this.readBackAt.delete(r.flowId);
  }

  /**
   * A parked sale (PTS_OWNERSHIP_UNKNOWN) the flow gave up, its pump at a 0-ml end of its number
   * (review 7, R7-1; pump-tracker.ts parkedEnd): nothing was delivered under either owner. The
   * controller's own record must say so too (ended, 0 volume, 0 amount) before the end is
   * recorded — durably, so the flow settles it as nothing delivered (cancelInvoice) — and only then
   * is the transaction closed, which gives the pump back. Anything else is left as it is.
   */
  private async closeEmptyEnd(r: TxRecord): Promise<void> {
    const last = this.readBackAt.get(r.flowId) ?? -Infinity;
    if (this.scheduler.now() - last < READ_BACK_EVERY_MS) return;
    this.readBackAt.set(r.flowId, this.scheduler.now());
    const info = await readTransaction(r, this.exchange, this.units);
    const ended = info !== undefined && (info.state === "EndOfTransaction" || info.state === "Finished");
    if (!ended || info.milli !== 0 || info.amountMinor !== 0) {
      this.log.warn("pts_parked_end_not_empty", { flowId: r.flowId, pump: r.pump, transaction: r.transaction, state: info?.state ?? "NotFound", milli: info?.milli, amountMinor: info?.amountMinor });
      return;
    }
    const current = this.book.byFlow(r.flowId);
    if (!current || current.closedAt !== undefined || current.ended !== undefined || current.phase !== "authorizing" || current.claimedAt !== undefined) return;
    const figures = { nozzle: info.nozzle ?? current.nozzle, ptsFuelGradeId: info.fuelGradeId ?? current.ptsFuelGradeId, milli: 0, amountMinor: 0, priceMinor: current.priceMinor, reason: "stopped" as const, at: this.scheduler.now() };
    this.log.warn("pts_parked_empty_end_closed", { flowId: r.flowId, pump: r.pump, transaction: r.transaction, next: "settled as nothing delivered" });
    const rec = await this.noteEnded(current, figures);
    await this.close1(rec);
  }

  /** Records the end figures (from a read-back) and tells the flows, once. */
  async noteEnded(r: TxRecord, figures: NonNullable<TxRecord["ended"]>): Promise<TxRecord> {
    let first = false;
    // Never for a record lost or closed meanwhile (review 14 Q7: a poll's end computed before a concurrent read lost it).
    const rec = await this.book.update(r.flowId, (current) => (current.ended || current.lostAt !== undefined || current.closedAt !== undefined ? {} : ((first = true), { ended: figures })));
    if (first) {
      this.emit(endEvent(rec.point, rec, rec.ended!, { gradeOfFuelGrade: (id) => this.catalog.ofFuelGrade(id)?.id, units: this.units }));
      // After the end: the flow settles what sale-figures.ts allows; the alarm tells a person.
      if (rec.ended!.mismatch) this.emit(saleMismatchFault(rec, rec.ended!));
    }
    return rec;
  }

  async close1(r: TxRecord): Promise<void> {
    // A reboot may have come since our end was recorded (a failed request, a gap, the agent's own
    // start): the end now standing under the number may be the POS's unpaid one (review 14v V1).
    // Read it first; closed only at end of transaction under our UserId, else forgotten unclosed.
    if (r.ended !== undefined && this.endDoubted(r) && !(await this.stillOurEnd(r))) {
      await this.book.update(r.flowId, () => ({ closedAt: this.scheduler.now() }));
      this.readBackAt.delete(r.flowId);
      this.stopConfirmed.delete(`${r.pump}:${r.transaction}`);
      return;
    }
    try {
      await this.exchange.request("PumpCloseTransaction", { Pump: r.pump, Transaction: r.transaction });
    } catch (err) {
      // Not (any more) at end of transaction on that number: closed already, or by someone else.
      if (!isPtsPacketError(err, PTS_ERROR.PUMP_STATUS_NOT_END_OF_TRANSACTION) && !isPtsPacketError(err, PTS_ERROR.TRANSACTION_NUMBER_NOT_MATCH)) throw err;
    }
    await this.book.update(r.flowId, () => ({ closedAt: this.scheduler.now() }));
    this.readBackAt.delete(r.flowId);
    this.stopConfirmed.delete(`${r.pump}:${r.transaction}`);
  }

  async sendStop(pump: number, emergency: boolean, records: readonly TxRecord[]): Promise<void> {
    try {
      await this.exchange.request(emergency ? "PumpEmergencyStop" : "PumpStop", { Pump: pump });
    } catch (err) {
      if (!isPtsPacketError(err, PTS_ERROR.PUMP_NOT_IN_FILLING_PROCESS)) throw err;
    }
    for (const r of records) if (!this.stopConfirmed.has(`${pump}:${r.transaction}`) || emergency) this.stopConfirmed.set(`${pump}:${r.transaction}`, this.scheduler.now());
  }

  /** Whether the end under r's number still reads as ours (its UserId), after a doubt (close1). Throws when it cannot be read. */
  private async stillOurEnd(r: TxRecord): Promise<boolean> {
    const info = await readTransaction(r, this.exchange, this.units);
    const ours = (id: number) => id === r.readBackUserId || (r.sentAs?.trusted === true && id === r.sentAs.userId);
    const verdict = info !== undefined && info.state === "EndOfTransaction" && (info.userId === undefined || ours(info.userId));
    if (!verdict) this.log.warn("pts_close_withheld", { flowId: r.flowId, pump: r.pump, transaction: r.transaction, state: info?.state ?? "NotFound", userId: info?.userId, ours: r.readBackUserId, next: "forgotten unclosed: not our end any more" });
    return verdict;
  }
}
