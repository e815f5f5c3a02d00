// The payment engine as the daemon (issue 5) sees it: types only. The implementation is
// agent/engine.ts (`createPaymentEngine`). Keep this file stable: the daemon, the technician
// sockets and the station benchmark code against it.
import type { Observable } from "rxjs";
import type { Scheduler } from "../base/clock.ts";
import type { FlowSettings } from "./core/effects.ts";
import type { GlaseApi, InvoiceRow, TerminalCredentials, ResellerCredentials } from "../contracts/glase/types.ts";
import type { DispenserController, Grade, PointId } from "../contracts/dispenser.ts";
import type { ReceiptContent, ReceiptPrinter } from "../contracts/printer.ts";
import type { Logger } from "../base/log.ts";
import type { GlaseOutcome } from "./core/inputs.ts";
import type { Journal } from "./journal/types.ts";

export type PointKind = "fuel" | "ev" | "kiosk";

/** One fuelling point / charge point / kiosk slot = one Glase terminal. */
export interface PointConfig {
  /** Point number as printed on the pump/charger (dispenser PointId); kiosks use their own numbers. */
  readonly id: PointId;
  readonly kind: PointKind;
  readonly terminal: TerminalCredentials;
  /** ISO 4217. */
  readonly currency: string;
  /** Reservation asked when the customer gives no preset (minor units). */
  readonly maxPreliminaryMinor: number;
  /** Station name printed on receipts and used as invoice title. */
  readonly stationName: string;
  /** Grades sold at this point (names/VAT for invoice rows and receipts); the dispenser's prices win for unit price. */
  readonly grades?: readonly Grade[];
}

/** Every timeout and retry bound of the flows (FlowSettings, documented there) and of the shell. */
export interface EngineSettings extends FlowSettings {
  /**
   * Per-call timeout of getPaymentStatus (default min(glaseCallTimeoutMs, 3000)): polls run once a
   * second and a PAID must be read within 20 s, so a hung read is given up quickly and re-sent.
   */
  readonly statusCallTimeoutMs?: number;
  /** Finished flows older than this are compacted out of the journal. */
  readonly retentionMs: number;
  /**
   * A drain (SIGTERM) waits this long more for flows securing a pump (money settled, the sale not
   * seen to end) to see it stop, then alarms each one left (default 5000; well under TimeoutStopSec).
   */
  readonly drainSecuringWaitMs?: number;
}

export type PointDisplayState =
  | "idle"
  | "offline" // Glase unreachable: new customers are refused
  | "waiting-customer" // invoice sent, waiting for the app confirmation
  | "authorized"
  | "delivering"
  | "settling"
  | "paid"
  | "stopped" // technician stopped the point
  | "parked"; // a flow needs a technician

export interface AlarmInfo {
  readonly id: string;
  readonly at: number;
  readonly point?: PointId;
  readonly flowId?: string;
  /** Stable machine code, e.g. "overrun", "settlement-parked", "reservation-lapsed". */
  readonly code: string;
  readonly message: string;
}

export interface PointSnapshot {
  readonly point: PointId;
  readonly kind: PointKind;
  readonly terminalId: string;
  readonly state: PointDisplayState;
  readonly flowId?: string;
  readonly amountMinor?: number;
  readonly milli?: number;
  readonly alarms: readonly AlarmInfo[];
}

export type FlowKind = "preliminary" | "pos" | "refund" | "reconciliation" | "send-watch";

export interface FlowSummary {
  readonly flowId: string;
  readonly kind: FlowKind;
  readonly point?: PointId;
  readonly terminalId?: string;
  /** The state machine's state name ("polling-reservation", "delivering", "paid", …). */
  readonly state: string;
  readonly finished: boolean;
  readonly parked: boolean;
  readonly invoiceReference?: string;
  readonly ersReference?: string;
  readonly amountMinor?: number;
  readonly startedAt: number;
  readonly updatedAt: number;
  /** Outcome for finished flows: "paid", "canceled", "refunded", "reported", "failed", … */
  readonly outcome?: string;
}

export interface EngineSnapshot {
  readonly accepting: boolean;
  readonly points: readonly PointSnapshot[];
  readonly flows: readonly FlowSummary[];
  readonly alarms: readonly AlarmInfo[];
}

export interface RecoveryReport {
  /** Unfinished flows found in the journal and resumed. */
  readonly resumed: number;
  /** Of those, flows that could not be resolved without a technician. */
  readonly parked: number;
  readonly flowIds: readonly string[];
  readonly durationMs: number;
}

export interface StoredReceipt {
  readonly flowId: string;
  readonly ersReference: string;
  readonly content: ReceiptContent;
  readonly printed: boolean;
  readonly at: number;
}

export interface JournalEntry {
  readonly seq: number;
  readonly at: number;
  readonly flowId: string;
  /** The input that drove the transition (outcome of the previous effect, device event, timer, command). */
  readonly input: string;
  /** State name after the transition. */
  readonly state: string;
  /** Effects whose intents this transition made durable. */
  readonly effects: readonly string[];
}

export type EngineEvent =
  | { readonly type: "point"; readonly point: PointSnapshot }
  | { readonly type: "flow"; readonly flow: FlowSummary }
  | { readonly type: "alarm"; readonly alarm: AlarmInfo }
  | { readonly type: "receipt"; readonly receipt: StoredReceipt };

/**
 * claim / disown: a technician's decision on a fuel sale the forecourt controller's driver could
 * not prove ours or someone else's (PTS-2 PTS_OWNERSHIP_UNKNOWN) — claim: ours, charged at the
 * controller's own figures; disown: not ours, nothing charged. Both are recorded in the driver,
 * then the flow reads the sale again (as `retry`).
 */
export type ParkedAction = "mark-settled" | "retry" | "cancel" | "claim" | "disown";

export interface ReconciliationResult {
  readonly flowId: string;
  readonly transactionPeriodId?: string;
  readonly reportId: string;
  /** Report text (contentString or decoded content) of the last report fetched. */
  readonly report?: string;
  readonly mimeType?: string;
  /** Every report fetched, period by period (the shift's earlier periods first), in the order asked for. */
  readonly reports?: readonly { readonly reportId: string; readonly report: string; readonly mimeType?: string; readonly transactionPeriodId?: string }[];
  /** Every period the report covers (a terminal shift the agent's refunds split), oldest first. */
  readonly periods?: readonly string[];
  /** Set when the shift may hold a period nobody can read (a mark whose answer was lost): what is missing. */
  readonly partial?: string;
}

export interface RefundResult {
  readonly flowId: string;
  readonly refundErsReference: string;
}

export interface PaymentEngineOptions {
  readonly journal: Journal;
  readonly glase: GlaseApi;
  readonly dispenser?: DispenserController;
  readonly printer?: ReceiptPrinter;
  readonly points: readonly PointConfig[];
  /** Needed for shop-wide reconciliation (RESELLERUSER principal). */
  readonly reseller?: ResellerCredentials;
  readonly settings: EngineSettings;
  readonly scheduler: Scheduler;
  /** The wall clock (Date.now): the engine alarms when it parts from the scheduler's (agent/flows/clock-watch.ts). */
  readonly wallClock?: () => number;
  readonly logger: Logger;
  /** Random source for jitter (tests pass a seeded one). */
  readonly random?: () => number;
  /** Kiosk: hand out the product/service once the payment is read; rejecting raises an alarm. Default: nothing to do. */
  readonly release?: (point: PointId, amountMinor: number, flowId: string) => Promise<void>;
}

export interface PaymentEngine {
  /** Recovers every unfinished flow from the journal, then accepts customers. */
  start(): Promise<RecoveryReport>;
  /** New customers are refused from now on (SIGTERM); running flows continue. */
  stopAccepting(): void;
  /**
   * Resolves when running flows finished/settled or parked, or after timeoutMs (whichever first).
   * `endSessions`: running deliveries are stopped (a charger's RemoteStop) and settle what was
   * metered, customers not yet delivering are cancelled — the drain ends in seconds, not when the
   * last car is full (config flows.drainEndsSessions; the simulated station).
   */
  drain(timeoutMs: number, opts?: { readonly endSessions?: boolean }): Promise<void>;
  /** Stops timers and listeners; does not touch the journal file (the caller closes it). */
  close(): Promise<void>;
  snapshot(): EngineSnapshot;
  readonly events$: Observable<EngineEvent>;
  /** Kiosk/car wash/vending: IMMEDIATE_DEBIT payment; resolves when the flow is started (flow id). */
  startPosPayment(point: PointId, amountMinor: number, rows?: readonly InvoiceRow[], opts?: PosPaymentOptions): Promise<string>;
  /** Asks a running POS payment to cancel its invoice (no-op for an unknown or ended flow). */
  cancelPosPayment(flowId: string): Promise<void>;
  /** Raises an alarm that no flow raised (shown by `ctl alarms`, sent to the alerting hook). */
  alarm(alarm: { readonly code: string; readonly message: string; readonly point?: PointId; readonly flowId?: string }): void;
  /**
   * One submitPaymentReceipt (§3.9) on the point's terminal, under the caller's clientReference (the
   * kiosk host journals it first: a delivered sale's receipt). Never throws for Glase's answer: the
   * outcome is classified as for the flows (glase-executor.ts).
   */
  submitPaymentReceipt(req: { readonly point: PointId; readonly ersReference: string; readonly receipt: ReceiptContent; readonly clientReference: string }): Promise<GlaseOutcome>;
  /** Resolves with the refund's own ersReference once Glase accepted it; rejects with a GlaseError/AgentError otherwise. */
  startRefund(req: {
    readonly point?: PointId;
    readonly terminal?: string;
    readonly ersReference: string;
    readonly amountMinor: number;
    /** Chosen by the caller so it can tell after a crash whether the refund was started (kiosk host). */
    readonly flowId?: string;
  }): Promise<RefundResult>;
  startReconciliation(req: {
    readonly scope: "shop" | "terminal";
    readonly terminal?: string;
    readonly reportId: string;
    /** Further reports of the same period (one mark, several documents). */
    readonly nextReportIds?: readonly string[];
  }): Promise<ReconciliationResult>;
  /** Technician stop: stops a running delivery (it settles what was metered) and refuses new customers on that point. */
  stopPoint(point: PointId): Promise<void>;
  /** Re-prints a kept receipt; rejects with NOT_FOUND / PRINTER_UNAVAILABLE. */
  reprint(flowIdOrErsReference: string): Promise<void>;
  /** Puts a point stopped by stopPoint back into service. */
  resumePoint(point: PointId): Promise<void>;
  resolveParked(flowId: string, action: ParkedAction): Promise<void>;
  receipts(): Promise<readonly StoredReceipt[]>;
  /** The receipt of a payment by its ersReference (an indexed lookup, not a scan). */
  receiptOf(ersReference: string): Promise<StoredReceipt | undefined>;
  journalTail(n: number): Promise<readonly JournalEntry[]>;
}

export interface PosPaymentOptions {
  /** The flow id, chosen (and journaled) by the caller before the flow starts; must be new. */
  readonly flowId?: string;
  /** The release goes through the kiosk host (see PosState.controllerRelease). */
  readonly controllerRelease?: boolean;
}

export type CreatePaymentEngine = (options: PaymentEngineOptions) => PaymentEngine;
