// What the flows and the engine need from the journal (agent/journal/journal.ts implements it
// on sqlite3). One row per durable transition: the input that drove it (the outcome of the previous
// effect, a device event, a timer, a command), the new state snapshot and the intents of the effects
// the transition asks for. Written BEFORE any of those effects runs.

export interface TransitionRecord {
  readonly flowId: string;
  readonly kind: string;
  readonly point?: number;
  readonly terminalId?: string;
  readonly at: number;
  /** JSON-serialisable input (outcome of the previous effect, event, timer, command). */
  readonly input: unknown;
  /** JSON-serialisable state snapshot after the transition. */
  readonly state: unknown;
  readonly stateName: string;
  readonly finished: boolean;
  readonly parked: boolean;
  /** Intents of the effects about to run (JSON-serialisable, each with its clientReference if any). */
  readonly effects: readonly unknown[];
  /** Alarms that tell a technician to move money: kept with this step until acknowledged (kept-alarms.ts). */
  readonly alarms?: readonly KeptAlarm[];
}

/** An alarm kept in the journal until a technician acknowledges it (re-raised at every start). */
export interface KeptAlarm {
  readonly flowId: string;
  readonly code: string;
  readonly message: string;
  readonly point?: number;
  readonly at: number;
  /** The payment it says nothing was released for (the refund desk accepts a refund of it). */
  readonly refundable?: { readonly ersReference: string; readonly amountMinor: number; readonly currency: string; readonly point: number; readonly origin?: string };
}

export interface FlowRecord {
  readonly flowId: string;
  readonly kind: string;
  readonly point?: number;
  readonly terminalId?: string;
  readonly state: unknown;
  readonly stateName: string;
  readonly finished: boolean;
  readonly parked: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Intents of the last transition (their outcomes are unknown if the process died). */
  readonly pendingEffects: readonly unknown[];
}

export interface StepRecord {
  readonly seq: number;
  readonly flowId: string;
  readonly at: number;
  readonly input: unknown;
  readonly stateName: string;
  readonly effects: readonly unknown[];
}

export interface ReceiptRecord {
  readonly flowId: string;
  readonly ersReference: string;
  readonly content: unknown;
  readonly printed: boolean;
  readonly at: number;
  /** When the sale was PAID (ms), where the flow knows it; the export files the sale by it. */
  readonly paidAt?: number;
}

export interface ReceiptPage {
  readonly limit: number;
  readonly sinceAt?: number;
  /** Receipts strictly older than this one (by time, then flow id). */
  readonly before?: { readonly at: number; readonly flowId: string };
}

/** Called before and after every durable write (crash tests kill the process there). */
export type WriteBoundaryHook = (label: string) => void;

export interface Journal {
  /** Durable (fsynced) when the promise resolves. Returns the step sequence number. */
  append(record: TransitionRecord): Promise<number>;
  /** Several transitions in one transaction (one fsync): recovery of many flows at start. */
  appendMany(records: readonly TransitionRecord[]): Promise<void>;
  unfinishedFlows(): Promise<readonly FlowRecord[]>;
  flow(flowId: string): Promise<FlowRecord | undefined>;
  /**
   * Newest first; `kind`/`kinds` and `finished` narrow them (the journal holds admin audit rows too).
   * `updatedSince` keeps only flows whose last step is at or after it, and then there is no default
   * limit: the time bounds the count (100 otherwise).
   */
  flows(opts?: { readonly limit?: number; readonly kind?: string; readonly kinds?: readonly string[]; readonly finished?: boolean; readonly updatedSince?: number }): Promise<readonly FlowRecord[]>;
  /** The last `n` steps (oldest first); `since`/`beforeSeq` narrow them (technician paging). */
  tail(n: number, opts?: { readonly sinceAt?: number; readonly beforeSeq?: number }): Promise<readonly StepRecord[]>;
  saveReceipt(receipt: ReceiptRecord): Promise<void>;
  /** All receipts (oldest first); with a page, the newest `limit` of those matching, oldest first. */
  receipts(page?: ReceiptPage): Promise<readonly ReceiptRecord[]>;
  /** The receipts whose flow id or ersReference is `key` (both indexed), oldest first. */
  receiptsMatching(key: string): Promise<readonly ReceiptRecord[]>;
  /** Kept alarms not yet acknowledged, oldest first. */
  openAlarms(): Promise<readonly KeptAlarm[]>;
  /** Money alarms a device reported for a flow (outside its steps): kept like a step's (durable when it resolves). */
  keepAlarms(alarms: readonly KeptAlarm[]): Promise<void>;
  /** Whether this alarm of `flowId` (same code and text) was ever kept, acknowledged or not: a device raising it again is not kept twice. */
  keptAlarmSeen(flowId: string, code: string, message: string): Promise<boolean>;
  /** A technician acknowledged the alarm `code` of `flowId` with this text (its rows only): no longer raised at start. */
  ackAlarms(flowId: string, code: string, message: string, at: number): Promise<void>;
  /** A payment a kept alarm said nothing was released for (newest), acknowledged or not. */
  unclaimedPayment(ersReference: string): Promise<KeptAlarm["refundable"] | undefined>;
  /** Points stopped by a technician (stop-point), until resumed. */
  stoppedPoints(): Promise<readonly number[]>;
  /** Durable when it resolves: a stopped point stays out of service across restarts. */
  setPointStopped(point: number, stopped: boolean, at: number): Promise<void>;
  /** Removes finished flows (and their steps) last updated before `before`; returns how many. */
  compact(before: number): Promise<number>;
  /** Minor units refunded of a payment by refund flows compaction has removed (refund-totals.ts). */
  compactedRefundMinor(ersReference: string): Promise<number>;
  close(): Promise<void>;
}
