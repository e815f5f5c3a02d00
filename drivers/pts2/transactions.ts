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

/**
 * authorizing — written before PumpAuthorize; outcome unknown until answered or read back
 * authorized  — the controller holds the authorization (confirmed or read back)
 * refused     — the controller refused it, or it provably never arrived
 * void        — unknown outcome resolved as "not there"; if it ever shows up it is stopped
 */
export type TxPhase = "authorizing" | "authorized" | "refused" | "void";

export interface EndedFigures {
  readonly nozzle: number;
  readonly ptsFuelGradeId: number;
  readonly milli: number;
  readonly amountMinor: number;
  readonly priceMinor: number;
  readonly reason: DeliveryEndReason;
  readonly at: number;
}

export interface TxRecord {
  readonly flowId: string;
  readonly point: number;
  readonly pump: number;
  readonly transaction: number;
  readonly nozzle: number;
  readonly gradeId: string;
  readonly ptsFuelGradeId: number;
  readonly priceMinor: number;
  readonly limitMinor: number;
  readonly phase: TxPhase;
  readonly at: number;
  /** Set before PumpStop is sent; the driver keeps stopping until the controller shows the end. */
  readonly stopRequestedAt?: number;
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

  /** Reads every record; drops closed ones older than `retentionMs`. */
  async load(retentionMs: number): Promise<void> {
    for (const { value } of await this.store.list("tx/")) this.remember(value as TxRecord);
    await this.prune(retentionMs);
  }

  /** Forgets (memory and store) closed records older than `retentionMs`. */
  async prune(retentionMs: number): Promise<void> {
    for (const r of [...this.byFlowId.values()]) {
      if (r.closedAt === undefined || this.now() - r.closedAt <= retentionMs) continue;
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
   * The next transaction number for a pump (durable when this resolves): after the last one the
   * driver allocated there, or after `hint` (the controller's last transaction) the first time;
   * skipping numbers still held by open records.
   */
  allocate(pump: number, hint: number | undefined): Promise<number> {
    const key = seqKey(pump);
    const run = async () => {
      const stored = (await this.store.get(key)) as number | undefined;
      let n = stored ?? hint ?? 0;
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
