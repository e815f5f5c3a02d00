// The real SQLite journal as one engine generation sees it. Every operation goes to SQLite at
// once (real concurrency, real files), but its result is handed back in submission order — so
// which flow hears first never depends on thread timing and a run replays exactly. The world
// counts operations still inside SQLite to know when the process is idle (settle), and a killed
// generation never hears back (its writes that reached SQLite stay written: the crash came after).
import type { FlowRecord, Journal, KeptAlarm, ReceiptRecord, StepRecord, TransitionRecord } from "../../agent/journal/types.ts";
import type { Generation } from "./glase-wire.ts";

export interface IoTracker {
  inflight: number;
}

interface Pending {
  done: boolean;
  deliver?: () => void;
}

export class GatedJournal implements Journal {
  private readonly fifo: Pending[] = [];
  /** Mutating operations seen (appends, batches, receipts, compactions). */
  writes = 0;
  compactions = 0;

  constructor(
    readonly inner: Journal,
    private readonly gen: Generation,
    private readonly io: IoTracker,
    /** Hint compaction-fault: compactions run beside everything else, as in production (not awaited by settle). */
    private readonly backgroundCompaction = false,
  ) {}

  private gate<T>(p: Promise<T>): Promise<T> {
    this.io.inflight++;
    const slot: Pending = { done: false };
    this.fifo.push(slot);
    return new Promise<T>((resolve, reject) => {
      p.then(
        (v) => (slot.deliver = () => resolve(v)),
        (e: unknown) => (slot.deliver = () => reject(e)),
      ).finally(() => {
        slot.done = true;
        this.io.inflight--;
        this.flush();
      });
    });
  }

  private flush(): void {
    while (this.fifo.length > 0 && this.fifo[0]!.done) {
      const slot = this.fifo.shift()!;
      if (this.gen.alive) slot.deliver?.();
    }
  }

  append(record: TransitionRecord): Promise<number> {
    this.writes++;
    return this.gate(this.inner.append(record));
  }
  appendMany(records: readonly TransitionRecord[]): Promise<void> {
    this.writes++;
    return this.gate(this.inner.appendMany(records));
  }
  unfinishedFlows(): Promise<readonly FlowRecord[]> {
    return this.gate(this.inner.unfinishedFlows());
  }
  flow(flowId: string): Promise<FlowRecord | undefined> {
    return this.gate(this.inner.flow(flowId));
  }
  flows(opts?: Parameters<Journal["flows"]>[0]): Promise<readonly FlowRecord[]> {
    return this.gate(this.inner.flows(opts));
  }
  tail(n: number): Promise<readonly StepRecord[]> {
    return this.gate(this.inner.tail(n));
  }
  saveReceipt(receipt: ReceiptRecord): Promise<void> {
    this.writes++;
    return this.gate(this.inner.saveReceipt(receipt));
  }
  compactedRefundMinor(ersReference: string): Promise<number> {
    return this.gate(this.inner.compactedRefundMinor(ersReference));
  }

  receiptsMatching(key: string): Promise<readonly ReceiptRecord[]> {
    return this.gate(this.inner.receiptsMatching(key));
  }

  receipts(): Promise<readonly ReceiptRecord[]> {
    return this.gate(this.inner.receipts());
  }
  stoppedPoints(): Promise<readonly number[]> {
    return this.gate(this.inner.stoppedPoints());
  }
  openAlarms(): Promise<readonly KeptAlarm[]> {
    return this.gate(this.inner.openAlarms());
  }
  keepAlarms(alarms: readonly KeptAlarm[]): Promise<void> {
    this.writes++;
    return this.gate(this.inner.keepAlarms(alarms));
  }
  keptAlarmSeen(flowId: string, code: string, message: string): Promise<boolean> {
    return this.gate(this.inner.keptAlarmSeen(flowId, code, message));
  }
  ackAlarms(flowId: string, code: string, message: string, at: number): Promise<void> {
    this.writes++;
    return this.gate(this.inner.ackAlarms(flowId, code, message, at));
  }
  unclaimedPayment(ers: string): Promise<KeptAlarm["refundable"] | undefined> {
    return this.gate(this.inner.unclaimedPayment(ers));
  }
  setPointStopped(point: number, stopped: boolean, at: number): Promise<void> {
    this.writes++;
    return this.gate(this.inner.setPointStopped(point, stopped, at));
  }
  compact(before: number): Promise<number> {
    this.compactions++;
    if (!this.backgroundCompaction) return this.gate(this.inner.compact(before));
    const gen = this.gen;
    return new Promise((resolve, reject) => this.inner.compact(before).then((n) => gen.alive && resolve(n), (e: unknown) => gen.alive && reject(e)));
  }
  close(): Promise<void> {
    return this.gate(this.inner.close());
  }
}
