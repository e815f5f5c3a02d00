// What the technician sockets need from the running station. The composition root implements it
// with the payment engine, the devices and the terminal store; tests implement it with a small
// in-process station. Keeping the sockets on this interface (not on the engine) lets the
// protocol, permissions and CLI be built and tested on their own.
import type { Observable } from "rxjs";
import type { AlarmChangeKind, BookAlarm } from "../../alarms/book.ts";
import type { KeptPeriodReport, PeriodCloseRequest, PeriodCloseResult } from "../period-close.ts";
import type {
  AlarmInfo,
  EngineEvent,
  FlowSummary,
  JournalEntry,
  ParkedAction,
  PointSnapshot,
  ReconciliationResult,
  RefundResult,
  StoredReceipt,
} from "../../engine-api.ts";
import type { BackupManifest } from "../../backup/manifest.ts";
import type { ExportRow } from "../../export/sales-export.ts";
import type { AlertStats } from "../../alerts/dispatcher.ts";

export type DeviceName = "dispenser" | "printer" | "scanner" | "glase" | "journal";

/** Why a point takes no customers now, in words that say what to do (`ctl points`). */
export interface OutOfService {
  /** stopped | unregistered | credentials-unusable | registration-unconfirmed | device-fault | glase-offline | parked */
  readonly cause: string;
  readonly detail: string;
  readonly since?: number;
  /** stopped: who stopped it (the admin actor, as the audit trail writes it). */
  readonly by?: string;
}

/** A point as the technician sees it: the engine's snapshot and, when it serves nobody, why. */
export interface PointStatus extends PointSnapshot {
  readonly outOfService?: OutOfService;
}

/** `ctl backup`: the agent's staged snapshot, which the CLI packs into the operator's file. */
export interface BackupSnapshotInfo {
  readonly id: string;
  readonly dir: string;
  readonly manifest: BackupManifest;
  /** The agent's live files: `ctl backup` never writes over them, nor into the state directory. */
  readonly live?: { readonly stateDir: string; readonly journal: string; readonly invoiceJournal?: string };
}

/** One page of `ctl export`. */
export interface ExportPageResult {
  readonly rows: readonly ExportRow[];
  /** Cursor of the next page (absent on the last). */
  readonly next?: string;
}

export interface DeviceHealth {
  readonly device: DeviceName;
  /** Implementation in use: virtual, serial, tcp, hid, embedded-simulator, … */
  readonly kind: string;
  /** degraded: configured but not reachable right now (retried in the background). */
  readonly state: "ok" | "degraded" | "absent";
  readonly detail?: string;
  readonly since: number;
  /** A pump/charger controller: its id in devices.controllers and the points it drives. */
  readonly controller?: string;
  readonly points?: readonly number[];
}

export interface StationStatus {
  readonly station: string;
  readonly version: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly accepting: boolean;
  /** "starting" | "running" | "draining" | "stopping" */
  readonly phase: string;
  readonly points: number;
  readonly activeFlows: number;
  readonly parkedFlows: number;
  readonly alarms: number;
  /** The open alarms' codes (with ×count when raised more than once). */
  readonly alarmCodes?: readonly string[];
  readonly devices: readonly DeviceHealth[];
  /** The alerting hook, when configured: what is queued, delivered, dropped. */
  readonly alerts?: AlertStats;
}

/** Everything the `watch` stream carries: engine events plus device health changes. */
export type StationEvent =
  | EngineEvent
  | { readonly type: "device"; readonly device: DeviceHealth }
  /** A change in the alarm book: raised, raised again (count), acknowledged, cleared. */
  | { readonly type: "alarm"; readonly alarm: BookAlarm; readonly change: AlarmChangeKind };

export interface RegisterResult {
  readonly point: number;
  readonly terminalId: string;
  /** Where the credentials were stored (0600); the password itself is never returned. */
  readonly credentialsFile: string;
}

/**
 * A page of a listing that can grow without bound (journal, receipts, flows, invoices): at most
 * `n` items, the newest first selected, those at or after `since` (ms since the epoch) only, and
 * older than `cursor` — the `cursor` of an item of the previous page (journal: its seq;
 * receipts: `at:flowId`; flows: its flowId; invoices: its id), so a client pages back in time.
 */
export interface PageQuery {
  readonly n: number;
  readonly since?: number;
  readonly cursor?: string;
}

/** Who asked for an admin action: the kernel's peer credentials when known, else what the client says. */
export interface AdminActor {
  readonly socket: string;
  readonly peer?: { readonly pid: number; readonly uid: number; readonly gid: number };
  readonly claimed?: { readonly user?: string; readonly uid?: number; readonly pid?: number; readonly sudoUser?: string };
}

/** One line of the admin audit trail (journaled before the action runs, and again with its outcome). */
export interface AdminAction {
  /** Same for the lines of one action. */
  readonly actionId: string;
  readonly phase: "requested" | "done" | "failed";
  readonly cmd: string;
  /** The arguments, with secret-looking values redacted. */
  readonly args: unknown;
  readonly actor: AdminActor;
  /** Error code of a failed action. */
  readonly error?: string;
}

/** A technician's decision on a kiosk sale whose release result is missing or unknown. */
export interface KioskDecision {
  readonly outcome: "delivered" | "failed";
  /** failed: what was handed out anyway (minor units); the rest is refunded. */
  readonly deliveredMinor?: number;
}

export interface StationControl {
  // --- status.sock (read-only) ---
  status(): StationStatus;
  points(): readonly PointStatus[];
  /** Active flows, or all recent ones with `all`; newest first, paged. */
  flows(opts: { readonly all: boolean } & Partial<PageQuery>): readonly FlowSummary[];
  alarms(): readonly AlarmInfo[];
  /** `ctl ack ID` (admin): acknowledges an open alarm of the book. */
  ackAlarm?(id: string, by?: AdminActor): Promise<AlarmInfo>;
  /** The last `n` journal transitions (oldest first), optionally paged. */
  journalTail(n: number, page?: Omit<PageQuery, "n">): Promise<readonly JournalEntry[]>;
  /** Kept receipts (oldest first); paged with a query, all without. */
  receipts(page?: PageQuery): Promise<readonly StoredReceipt[]>;
  readonly events$: Observable<StationEvent>;

  // --- admin.sock ---
  registerTerminal(point: number, opts: { readonly name?: string; readonly externalTerminalId?: string }): Promise<RegisterResult>;
  unregisterTerminal(point: number): Promise<void>;
  assignGlaseId(point: number, glaseId: string): Promise<void>;
  /** `by`: who asked (journaled by the socket layer too); shown by `ctl points` while it is stopped. */
  stopPoint(point: number, by?: AdminActor): Promise<void>;
  /** Undoes stopPoint; says whether the point was stopped and what else still keeps it out of service. */
  resumePoint(point: number, by?: AdminActor): Promise<{ readonly point: number; readonly wasStopped: boolean; readonly outOfService?: OutOfService }>;
  reprint(flowIdOrErsReference: string): Promise<void>;
  /** `force`: send a refund of a payment this agent has no record of (journaled with the action). */
  refund(req: { readonly ersReference: string; readonly amountMinor: number; readonly point?: number; readonly force?: boolean }): Promise<RefundResult>;
  /** Shift close: marks the period and fetches its reports (the scope's defaults, or `reportId`). */
  closePeriod(req: PeriodCloseRequest): Promise<PeriodCloseResult>;
  /** Period closes kept in the journal, newest first (or the one of `flowId`). */
  periodReports?(q: { readonly n: number; readonly flowId?: string }): Promise<readonly KeptPeriodReport[]>;
  resolveParked(flowId: string, action: ParkedAction): Promise<void>;
  /** `ctl kiosk-resolve` (kiosk points): settles a sale in attention — receipt, or the one refund of what was not delivered. */
  kioskResolve?(req: { readonly saleId: string } & KioskDecision, by?: AdminActor): Promise<unknown>;
  /** Virtual scanner only: feeds text as if scanned; rejects with CONFLICT on real scanners. */
  injectScan(text: string): Promise<void>;
  /** The next scan from the station's scanner (real or virtual); rejects with ABORTED after timeoutMs. */
  nextScan(timeoutMs: number): Promise<string>;
  /** Invoice Service (when configured): issued invoices and open notifications (`ctl invoices`). */
  invoices?(page?: PageQuery): Promise<unknown>;
  /** Invoice Service: issue a pay-by-invoice QR (printed on the receipt printer when there is one). */
  issueInvoice?(req: { readonly amountMinor: number; readonly description: string; readonly reference: string; readonly payOnce: boolean }): Promise<unknown>;
  /** `ctl backup`: an online snapshot of the journal(s) and terminal credentials, staged for the CLI. */
  backup?(): Promise<BackupSnapshotInfo>;
  /** Removes a staged snapshot once the CLI has written the archive. */
  releaseBackup?(id: string): Promise<{ readonly released: boolean }>;
  /** `ctl export`: settled sales and refunds in [since, until), a page at a time. */
  exportSales?(q: { readonly since: number; readonly until: number; readonly cursor?: string; readonly n: number }): Promise<ExportPageResult>;
  /** `doctor --print-test` with the agent running: a test page on the station's printer. */
  printTest?(): Promise<{ readonly printed: true; readonly printer: string }>;
  /** Journals an admin action with who asked; a failure refuses the action (nothing unjournaled happens). */
  recordAdminAction?(action: AdminAction): Promise<void>;
  /** Test builds only (GLASE_AGENT_TEST_HOOKS=1): blocks the event loop for `ms`, to test the watchdog. */
  debugBlockLoop?(ms: number): void;
}
