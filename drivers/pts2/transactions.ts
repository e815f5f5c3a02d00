// The PTS transaction numbers the driver chose, mapped to the flows that own them, in the shell's
// durable DriverStore. Every change is written — and the write awaited — before the driver acts on
// it: the record of a PumpAuthorize exists before the packet leaves, so an agent killed at any
// moment finds, on restart, which transaction number on which pump belongs to which flow.
//   tx/<flowId>  → TxRecord
//   seq/<pump>   → the last transaction number the driver allocated on that pump
// Updates of one record are chained, so two concurrent changes (the poll marking the end, the
// flow reporting it settled) never overwrite each other's fields.
import type { DriverStore } from "../../contracts/driver-store.ts";
import type { DeliveryEndReason } from "../../contracts/dispenser.ts";
import type { UserEvidence } from "./own-user.ts";

/**
 * authorizing — written before PumpAuthorize; outcome unknown until answered or read back
 * authorized  — the controller holds the authorization (confirmed or read back)
 * refused     — the controller refused it, or it provably never arrived, or (with `foreign`) what
 *               the controller holds under the number is someone else's sale (ownership.ts);
 *               refused after a lost answer, it is watched as a void one (authorize.ts finish)
 * void        — unknown outcome resolved as "not there"; if it ever shows up it is stopped
 * A void or watched refused record stays open — also once its flow has settled it — until the
 * tracker closes it: closeUnsettledAfterMs after it was given up (`givenUpAt`, else `at`) on an idle pump, or once a late landing under
 * its number is decided (pump-tracker.ts, verify-given-up.ts; review 14v W3/W4).
 */
export type TxPhase = "authorizing" | "authorized" | "refused" | "void";

/** What the controller reported at the end, when it is not what we authorized (sale-figures.ts). */
export interface SaleMismatch {
  readonly nozzle: number;
  readonly ptsFuelGradeId: number;
  /** The controller's own price (price units) and amount (minor units). */
  readonly priceMinor: number;
  readonly amountMinor: number;
  readonly why: string;
}

/**
 * The end of a transaction as the flows settle it: the controller's figures, or — when its price,
 * grade or nozzle are not the authorized ones — `amountMinor`/`priceMinor` are what may be charged
 * and `mismatch` keeps what the controller said.
 */
export interface EndedFigures {
  readonly nozzle: number;
  readonly ptsFuelGradeId: number;
  readonly milli: number;
  readonly amountMinor: number;
  /** In price units (units.ts). */
  readonly priceMinor: number;
  readonly reason: DeliveryEndReason;
  readonly at: number;
  readonly mismatch?: SaleMismatch;
}

export interface TxRecord {
  readonly flowId: string;
  readonly point: number;
  readonly pump: number;
  readonly transaction: number;
  readonly nozzle: number;
  readonly gradeId: string;
  readonly ptsFuelGradeId: number;
  /** The price sent in PumpAuthorize, in price units (units.ts; = minor units unless priceDigits is set). */
  readonly priceMinor: number;
  /** The decimals of every price in this record (absent in records of older drivers: the money digits then). */
  readonly priceDigits?: number;
  readonly limitMinor: number;
  readonly phase: TxPhase;
  readonly at: number;
  /**
   * When the record was given up (resolved void, or refused and watched): the watch for a late
   * landing runs closeUnsettledAfterMs from here — resolving can take longer than the window itself
   * (a flapping link, a restart), and a late landing follows the last send, not the record's birth
   * (review 14w X2). Absent in records of older drivers: `at`.
   */
  readonly givenUpAt?: number;
  /** When the controller said it did not know the number, checked before the first send (ownership.ts). */
  readonly probedAt?: number;
  /** The controller's clock at that check, if it answered GetDateTime. */
  readonly controllerTimeAtProbe?: string;
  /**
   * What the driver knew of its own controller user when it sent the authorization (own-user.ts),
   * journaled with `probedAt`, before PumpAuthorize: a read-back is judged by this, not by today's
   * config (review 4, R4-2).
   */
  readonly sentAs?: UserEvidence;
  /** A read-back could not prove the transaction ours or foreign (ownership.ts rule 3): alarmed once; from then on only a technician decides. */
  readonly ownershipUnknownAt?: number;
  /** A technician checked the sale on the controller and declared it ours (`ctl resolve FLOW claim`): settled at the controller's figures. */
  readonly claimedAt?: number;
  /** A technician declared it not ours (`ctl resolve FLOW disown`): refused, nothing charged, the pump not touched. */
  readonly disownedAt?: number;
  /** The controller answered our PumpAuthorize (not decided by a read-back): its UserId is evidence of the agent's own id. */
  readonly confirmed?: boolean;
  /**
   * The confirmation named the number (PumpAuthorizeConfirmation.Transaction; the vendor SDK requires
   * it): the controller said which number it used, so a later "not found" of it is a record the
   * controller lost (a reboot), never evidence that it renumbers (final review FINAL-3, user-check.ts).
   */
  readonly confirmedNumber?: boolean;
  /** The controller confirmed this authorization, but its UserId was not read yet (own-user.ts check kept pending, review 4 R4-1). */
  readonly userCheckPending?: boolean;
  /**
   * Confirmed, and its user check (at the answer, or pending since: review 13 R13-1) found the number
   * unknown with no gap a reboot fits in (review 9 R9-2): the sale
   * runs under a number of the controller's own it never named (user-check.ts noteConfirmedUser,
   * review 12 R12-1). Unlike a confirmed sale the controller forgot later (a power cut, FINAL-4), its
   * sale read may park on the pump's live sale, and its stop may revoke what waits on the idle pump.
   */
  readonly unknownAtAnswer?: boolean;
  /**
   * The UserId its user check read back (the check at the answer, or the pending one): the record's
   * own owner. A transaction under its number read later under another UserId is not this record any
   * more (a power cut lost it, and the POS took the number; review 13 R13-3, still-ours.ts).
   */
  readonly readBackUserId?: number;
  /** Last read that proved the record still ours after the controller could not be reached (still-ours.ts). */
  readonly provenAt?: number;
  /**
   * Last read whose UserId equalled `readBackUserId` after a request that may have reached a rebooting
   * controller (an indefinite failure, the agent's own restart: no gap recorded). Until then the fill
   * under its number is neither reported as its progress nor stopped (review 14t, T3; still-ours.ts).
   */
  readonly userConfirmedAt?: number;
  /**
   * The controller holds another sale under its number, or one not provably ours after a gap a
   * reboot fits in (review 13 R13-3): PTS_TRANSACTION_LOST once, closed in our book in the same
   * write — never settled, never stopped (but see `lostNotFound`); the flow's reads stay an error (it parks for a person).
   */
  readonly lostAt?: number;
  /**
   * Lost on a "not found" (the controller no longer knows the number), not on another sale under
   * it: our authorization may still be live on the pump, so the record stays stoppable while the
   * pump shows its number (stop-gate.ts lostButLive; review 14t, T4).
   */
  readonly lostNotFound?: boolean;
  /**
   * A void/refused number seen live on the pump, read back (ownership.ts): "ours" = our late
   * authorization (stopped, closed, PTS_UNOWNED_DELIVERY); else someone else's or unprovable —
   * never stopped or closed by us, the record closed in our book.
   */
  readonly liveVerdict?: "ours" | "foreign" | "unknown";
  /** Read back, the number held someone else's transaction: never settled, never stopped by us. */
  readonly foreign?: boolean;
  /** Set before PumpStop is sent; the driver keeps stopping until the controller shows the end. */
  readonly stopRequestedAt?: number;
  /**
   * The flow asked to stop this sale and the stop gate withheld it (a parked sale the pump is not
   * idle on): the flow has given it up. A parked record's 0-ml end is then closed (review 7, R7-1).
   */
  readonly stopWantedAt?: number;
  readonly ended?: EndedFigures;
  /** The flow reported the money settled (or cancelled): the transaction may be closed. */
  readonly settled?: boolean;
  readonly closedAt?: number;
}

/** PTS-2 transaction numbers are 1..65535 per pump. */
export const MAX_TRANSACTION = 65535;

const txKey = (flowId: string) => `tx/${flowId}`;
const seqKey = (pump: number) => `seq/${pump}`;

export class TransactionBook {
  private readonly byFlowId = new Map<string, TxRecord>();
  /** Records not closed yet, per pump: what every poll looks at, kept small. */
  private readonly openByPump = new Map<number, Map<string, TxRecord>>();
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: DriverStore,
    private readonly now: () => number,
  ) {}

  /**
   * Reads every record, its prices in `units` (a site that changed `priceDigits` with a sale in
   * flight must not compare 1899 hundredths with 18990 thousandths: review 2, N4); drops closed,
   * settled ones older than `retentionMs`.
   */
  async load(retentionMs: number, units?: { readonly moneyDigits: number; readonly priceDigits: number }): Promise<void> {
    for (const { value } of await this.store.list("tx/")) {
      const r = value as TxRecord;
      this.remember(units === undefined ? r : inPriceDigits(r, units.priceDigits, units.moneyDigits));
    }
    await this.prune(retentionMs);
  }

  /**
   * Forgets (memory and store) closed records older than `retentionMs` — only those nobody can still
   * ask about: settled by their flow, or that never delivered (refused, void, foreign, without end
   * figures). An ended sale whose flow never said "settled" (parked for days) keeps its figures:
   * pruned, its sale record would read "nothing", and the flow would cancel fuel that was delivered.
   */
  async prune(retentionMs: number): Promise<void> {
    for (const r of [...this.byFlowId.values()]) {
      if (r.closedAt === undefined || this.now() - r.closedAt <= retentionMs) continue;
      const delivered = r.ended !== undefined || r.phase === "authorized" || r.phase === "authorizing";
      if (delivered && r.settled !== true) continue;
      await this.store.delete(txKey(r.flowId));
      this.byFlowId.delete(r.flowId);
      this.chains.delete(r.flowId);
    }
  }

  private remember(r: TxRecord): void {
    const previous = this.byFlowId.get(r.flowId);
    if (previous) this.openByPump.get(previous.pump)?.delete(r.flowId);
    this.byFlowId.set(r.flowId, r);
    if (r.closedAt === undefined) {
      let open = this.openByPump.get(r.pump);
      if (!open) this.openByPump.set(r.pump, (open = new Map()));
      open.set(r.flowId, r);
    }
  }

  byFlow(flowId: string): TxRecord | undefined {
    return this.byFlowId.get(flowId);
  }

  /** The open record holding a transaction number on a pump. */
  byPumpTransaction(pump: number, transaction: number): TxRecord | undefined {
    return this.openOn(pump).findLast((r) => r.transaction === transaction);
  }

  /** Records on a pump that are not closed (oldest first). */
  openOn(pump: number): TxRecord[] {
    return [...(this.openByPump.get(pump)?.values() ?? [])].sort((a, b) => a.at - b.at);
  }

  all(): TxRecord[] {
    return [...this.byFlowId.values()];
  }

  /** Creates a record (durable when this resolves). */
  create(record: TxRecord): Promise<TxRecord> {
    return this.update(record.flowId, () => record);
  }

  /** Applies `change` to the current record and writes it; resolves once durable. */
  update(flowId: string, change: (current: TxRecord) => Partial<TxRecord> | TxRecord): Promise<TxRecord> {
    const run = async () => {
      const current = this.byFlowId.get(flowId);
      const next = { ...current, ...change(current!) } as TxRecord;
      await this.store.put(txKey(flowId), next);
      this.remember(next);
      return next;
    };
    const p = (this.chains.get(flowId) ?? Promise.resolve()).then(run, run);
    this.chains.set(flowId, p.catch(() => undefined));
    return p;
  }

  /**
   * The next transaction number for a pump (durable when this resolves): after `after` (the
   * controller's last transaction, or a number just found taken) when given, else after the last
   * one the driver allocated there; skipping numbers still held by open records. The controller's
   * sequence is the better guess — other systems number there too — but only a probe (ownership.ts)
   * proves a number free.
   */
  allocate(pump: number, after: number | undefined): Promise<number> {
    const key = seqKey(pump);
    const run = async () => {
      const stored = (await this.store.get(key)) as number | undefined;
      let n = after ?? stored ?? 0;
      const held = new Set(this.openOn(pump).map((r) => r.transaction));
      do n = (n % MAX_TRANSACTION) + 1;
      while (held.has(n));
      await this.store.put(key, n);
      return n;
    };
    const p = (this.chains.get(key) ?? Promise.resolve()).then(run, run);
    this.chains.set(key, p.catch(() => undefined));
    return p;
  }
}

/** The record with every price in `to` decimals; a record without `priceDigits` was written in `legacy` (money) digits. */
export function inPriceDigits(r: TxRecord, to: number, legacy: number): TxRecord {
  const from = r.priceDigits ?? legacy;
  if (from === to) return r.priceDigits === to ? r : { ...r, priceDigits: to };
  const f = (p: number) => (to > from ? p * 10 ** (to - from) : Math.round(p / 10 ** (from - to)));
  const ended = r.ended && { ...r.ended, priceMinor: f(r.ended.priceMinor), ...(r.ended.mismatch ? { mismatch: { ...r.ended.mismatch, priceMinor: f(r.ended.mismatch.priceMinor) } } : {}) };
  return { ...r, priceDigits: to, priceMinor: f(r.priceMinor), ...(ended ? { ended } : {}) };
}
