// The driver's durable book of charging sessions: one record per payment flow (keyed by the flow's
// transactionId), written to the DriverStore BEFORE the driver answers the charger or reports an
// end, so a restarted agent knows every transaction id it handed out, what was metered and which
// sessions already ended. Writes go out in call order through one queue (a later state never
// lands before an earlier one); reads are from memory, loaded once at start. A change whose write
// fails is taken back out of memory (review 13b #1): memory never keeps a state nothing durable
// records, so a retried call is never answered as a repeat of a change that was lost.
import type { DeliveryEndReason, PointId } from "../../contracts/dispenser.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";
import type { StopCause } from "./readings.ts";
import type { MeterTrack } from "./metering.ts";

/** How a finished session ended, for the audit trail and the alarms. */
export type EndedBy =
  /** StopTransaction from the charger. */
  | "charger"
  /** Cancelled before the charger started a transaction (stop, unplug, refusal). */
  | "canceled"
  /** The charger ignored RemoteStop: settled as an overrun (the reserved amount). */
  | "overrun"
  /** The charger ended the session while the agent was away and never sent its StopTransaction. */
  | "stop-missing"
  /** Stopped, neither confirmed nor shown to charge on by the last safe moment: the plausible progress settled. */
  | "stop-unconfirmed";

/** A sale's plausible track: the metering fields of the readings whose steps the rated power allows. */
export type PlausibleTrack = Omit<MeterTrack, "meterStartWh" | "meterStartAt"> & {
  /** Readings ignored as implausible steps; alarmed at the first. */
  readonly implausible?: number;
};

export interface Sale {
  readonly transactionId: string;
  readonly idTag: string;
  readonly chargePointId: string;
  readonly connectorId: number;
  readonly point: PointId;
  readonly gradeId: string;
  readonly unitPriceMinor: number;
  readonly limitMinor: number;
  readonly currency: string;
  readonly state: "authorized" | "delivering" | "finished";
  readonly authorizedAt: number;
  /** Assigned by the agent on StartTransaction. */
  readonly ocppTransactionId?: number;
  readonly meterStartWh?: number;
  readonly startedAt?: number;
  /** Last register reading (MeterValues or meterStop). */
  readonly meterLastWh?: number;
  /** Timestamps (ms) of the last reading and of StartTransaction: only a later lower reading is a reset. */
  readonly meterLastAt?: number;
  readonly meterStartAt?: number;
  /** Register value the current segment began at (meterStart, or the first reading after a reset; metering.ts). */
  readonly meterBaseWh?: number;
  /** Energy metered before the last register reset (Wh). */
  readonly carriedWh?: number;
  /** Times the register went backwards during the session. */
  readonly meterResets?: number;
  /** The last reset, provisional until the register stays below this reading (metering.ts: a glitch is undone). */
  readonly meterPrevWh?: number;
  readonly meterPrevBaseWh?: number;
  readonly meterPrevCarriedWh?: number;
  /** The same readings with each step bounded by the rated power (metering.ts): what progress alone may settle. */
  readonly plausible?: PlausibleTrack;
  readonly milli: number;
  readonly amountMinor: number;
  /** The agent asked the charger to stop (persisted: re-sent after a reconnect or restart). */
  readonly stop?: { readonly cause: StopCause; readonly at: number };
  readonly reason?: DeliveryEndReason;
  readonly endedBy?: EndedBy;
  readonly endedAt?: number;
  /** The money alarms raised for the flow (an end's, a late stop's): raised again at every start, kept once by the engine (review 13c C2). */
  readonly alarms?: readonly { readonly code: string; readonly message: string; readonly at?: number }[];
  /** A StopTransaction that arrived after the agent had already ended the session (audit only). */
  readonly lateMeterStopWh?: number;
}

const SALE_PREFIX = "sale/";
const COUNTER_KEY = "next-transaction-id";
/** Transaction ids start from seconds since 2020: unique across a wiped store, inside int32 until 2088. */
const EPOCH_2020 = Date.UTC(2020, 0, 1);

export class SaleBook {
  private readonly sales = new Map<string, Sale>();
  private readonly byOcpp = new Map<number, string>();
  private readonly byTag = new Map<string, string>();
  /** Each session's last state known durable (loaded or written): what a failed write falls back to. */
  private readonly durable = new Map<string, Sale>();
  /** Each session's last change not yet durable: its outcome (its own write, or a later one carrying it). */
  private readonly pending = new Map<string, Promise<void>>();
  private nextId = 0;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: DriverStore,
    private readonly capacity: number,
    /** A write of the session failed and a later write made it good (nothing lost; the store is failing). */
    private readonly carried?: (transactionId: string, err: unknown) => void,
    /** Deleting an evicted finished session failed: housekeeping only (it is loaded and evicted again at the next start). */
    private readonly evictFailed?: (transactionId: string, err: unknown) => void,
  ) {}

  /** Reads every stored session and the transaction-id counter (once, before serving chargers). */
  async load(now: number): Promise<void> {
    for (const { value } of await this.store.list(SALE_PREFIX)) {
      if (isSale(value)) (this.index(value), this.durable.set(value.transactionId, value));
    }
    const stored = await this.store.get(COUNTER_KEY);
    const seeded = Math.floor((now - EPOCH_2020) / 1000);
    const highest = Math.max(0, ...[...this.byOcpp.keys()]);
    this.nextId = Math.max(typeof stored === "number" && Number.isSafeInteger(stored) ? stored : 0, seeded, highest + 1);
  }

  get(transactionId: string): Sale | undefined {
    return this.sales.get(transactionId);
  }

  byOcppTransaction(chargePointId: string, id: number): Sale | undefined {
    const sale = this.sales.get(this.byOcpp.get(id) ?? "");
    return sale?.chargePointId === chargePointId ? sale : undefined;
  }

  byIdTag(chargePointId: string, idTag: string): Sale | undefined {
    const sale = this.sales.get(this.byTag.get(tagKey(chargePointId, idTag)) ?? "");
    return sale?.chargePointId === chargePointId ? sale : undefined;
  }

  /** The transaction id this very start (a copy of it) was given, once what memory says is durable (a write on its way may fail and be taken back). */
  async startGiven(chargePointId: string, start: { readonly idTag: string; readonly connectorId: number; readonly meterStart: number }): Promise<number | undefined> {
    const given = (s = this.byIdTag(chargePointId, start.idTag)) => (s?.connectorId === start.connectorId && s.meterStartWh === start.meterStart ? s.ocppTransactionId : undefined);
    if (given() === undefined) return undefined;
    await this.settled();
    return given();
  }

  /** The money alarms of finished sessions as the store holds them (review 13c C2: raised again at every start). */
  heldAlarms(since = 0): Array<{ readonly sale: Sale; readonly code: string; readonly message: string }> {
    // (Raised before `since`: the journal may have compacted its acknowledged row — replayed, it would come back: review 13d D1.)
    return [...this.durable.values()].filter((s) => s.state === "finished").flatMap((sale) => (sale.alarms ?? []).filter((a) => (a.at ?? sale.endedAt ?? 0) >= since).map((a) => ({ sale, code: a.code, message: a.message })));
  }

  /** The session of a point that has not ended. */
  openOn(point: PointId): Sale | undefined {
    for (const s of this.sales.values()) if (s.point === point && s.state !== "finished") return s;
    return undefined;
  }

  open(): Sale[] {
    return [...this.sales.values()].filter((s) => s.state !== "finished");
  }

  /**
   * Records a session's new state in memory now (a concurrent step sees it); resolves once that
   * state is durable — by its own write, or by a later change of the same session queued before
   * its write failed, which was built on it and so carries it whole (review 13c C1: the limit stop
   * carried by the next sample's write was durable while its caller, told it failed, never sent
   * it). Rejects only when the change is not durable: then, if no later change carries it, it is
   * taken back out of memory, so the session is again what the store says and the failed step is
   * done again by whoever retries it (the charger re-sends its unanswered call; the next sample
   * asks for the limit stop again). A failure a later write made good is still reported
   * (`carried`): the store is failing writes.
   */
  put(sale: Sale): Promise<void> {
    this.index(sale);
    const evicted = this.evict();
    const key = sale.transactionId;
    let later: Promise<void> | undefined;
    const own = this.enqueue(async () => {
      try {
        await this.store.put(SALE_PREFIX + key, sale);
      } catch (err) {
        later = this.pending.get(key);
        if (later === outcome) later = undefined;
        if (!later) this.rollback(sale);
        throw err;
      }
      if (this.sales.has(key)) this.durable.set(key, sale); // not if evicted meanwhile
      // Housekeeping, not part of this write's outcome: a failed delete reported as a failed save
      // kept the session's end from being told though it was stored (review 13e E2).
      for (const k of evicted) await this.store.delete(SALE_PREFIX + k).catch((err: unknown) => this.evictFailed?.(k, err));
    });
    const outcome: Promise<void> = own.catch(async (err: unknown) => {
      if (!later) throw err;
      await later.catch(() => Promise.reject(err));
      this.carried?.(key, err);
    });
    this.pending.set(key, outcome);
    const forget = () => void (this.pending.get(key) === outcome && this.pending.delete(key));
    outcome.then(forget, forget);
    return outcome;
  }

  /** The session as the store has it, once the writes of it queued so far have landed or failed (review 13c C3: never a state still on its way). */
  async durableOf(transactionId: string): Promise<Sale | undefined> {
    for (let p = this.pending.get(transactionId); p; p = this.pending.get(transactionId)) await p.catch(() => undefined);
    return this.durable.get(transactionId);
  }

  /**
   * Resolves once every write queued so far has landed or failed (and a failed one was taken back):
   * what memory then says of a session is durable. Answering a repeat from memory waits for this
   * first — a copy of a call that arrives while its first write is still on its way must not be
   * acknowledged by a change that may yet fail.
   */
  settled(): Promise<void> {
    return this.writes;
  }

  /** A fresh OCPP transaction id, durable before it is returned (never handed out twice). */
  async allocateTransactionId(): Promise<number> {
    const id = this.nextId++;
    await this.enqueue(() => this.store.put(COUNTER_KEY, this.nextId));
    return id;
  }

  private index(sale: Sale): void {
    this.sales.delete(sale.transactionId); // re-insert: Map order is "least recently touched first"
    this.sales.set(sale.transactionId, sale);
    this.byTag.set(tagKey(sale.chargePointId, sale.idTag), sale.transactionId);
    if (sale.ocppTransactionId !== undefined) this.byOcpp.set(sale.ocppTransactionId, sale.transactionId);
  }

  private rollback(failed: Sale): void {
    const key = failed.transactionId;
    if (this.sales.get(key) !== failed) return;
    const prev = this.durable.get(key);
    if (failed.ocppTransactionId !== undefined && prev?.ocppTransactionId !== failed.ocppTransactionId && this.byOcpp.get(failed.ocppTransactionId) === key) this.byOcpp.delete(failed.ocppTransactionId);
    if (prev) {
      this.index(prev);
      return;
    }
    this.sales.delete(key);
    if (this.byTag.get(tagKey(failed.chargePointId, failed.idTag)) === key) this.byTag.delete(tagKey(failed.chargePointId, failed.idTag));
  }

  private evict(): string[] {
    const finished = [...this.sales.values()].filter((s) => s.state === "finished");
    const evicted: string[] = [];
    for (const s of finished.slice(0, Math.max(0, finished.length - this.capacity))) {
      this.sales.delete(s.transactionId);
      this.durable.delete(s.transactionId);
      if (this.byTag.get(tagKey(s.chargePointId, s.idTag)) === s.transactionId) this.byTag.delete(tagKey(s.chargePointId, s.idTag));
      if (s.ocppTransactionId !== undefined && this.byOcpp.get(s.ocppTransactionId) === s.transactionId) this.byOcpp.delete(s.ocppTransactionId);
      evicted.push(s.transactionId);
    }
    return evicted;
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.writes.then(write);
    // The queue goes on after a failed write; the caller of that write sees the failure.
    this.writes = next.catch(() => undefined);
    return next;
  }
}

/** idTags are CiString20: case-insensitive (OCPP 1.6 §7), so a charger that upper-cases them still matches. */
function tagKey(chargePointId: string, idTag: string): string {
  return `${chargePointId}\u0000${idTag.toUpperCase()}`;
}

function isSale(v: unknown): v is Sale {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.transactionId === "string" && typeof s.idTag === "string" && typeof s.chargePointId === "string" && typeof s.point === "number" && typeof s.state === "string";
}
