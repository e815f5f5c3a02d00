// What the technician sockets need from the running station. The composition root implements it
// with the payment engine, the devices and the terminal store; tests implement it with a small
// in-process station. Keeping the sockets on this interface (not on the engine) lets the
// protocol, permissions and CLI be built and tested on their own.
import type { Observable } from "rxjs";
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

export type DeviceName = "dispenser" | "printer" | "scanner" | "glase" | "journal";

export interface DeviceHealth {
  readonly device: DeviceName;
  /** Implementation in use: virtual, serial, tcp, hid, embedded-simulator, … */
  readonly kind: string;
  /** degraded: configured but not reachable right now (retried in the background). */
  readonly state: "ok" | "degraded" | "absent";
  readonly detail?: string;
  readonly since: number;
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
  readonly devices: readonly DeviceHealth[];
}

/** Everything the `watch` stream carries: engine events plus device health changes. */
export type StationEvent = EngineEvent | { readonly type: "device"; readonly device: DeviceHealth };

export interface RegisterResult {
  readonly point: number;
  readonly terminalId: string;
  /** Where the credentials were stored (0600); the password itself is never returned. */
  readonly credentialsFile: string;
}

export interface StationControl {
  // --- status.sock (read-only) ---
  status(): StationStatus;
  points(): readonly PointSnapshot[];
  /** Active flows, or all recent ones with `all`. */
  flows(opts: { readonly all: boolean }): readonly FlowSummary[];
  alarms(): readonly AlarmInfo[];
  journalTail(n: number): Promise<readonly JournalEntry[]>;
  receipts(): Promise<readonly StoredReceipt[]>;
  readonly events$: Observable<StationEvent>;

  // --- admin.sock ---
  registerTerminal(point: number, opts: { readonly name?: string; readonly externalTerminalId?: string }): Promise<RegisterResult>;
  unregisterTerminal(point: number): Promise<void>;
  assignGlaseId(point: number, glaseId: string): Promise<void>;
  stopPoint(point: number): Promise<void>;
  reprint(flowIdOrErsReference: string): Promise<void>;
  refund(req: { readonly ersReference: string; readonly amountMinor: number; readonly point?: number }): Promise<RefundResult>;
  closePeriod(req: { readonly scope: "shop" | "terminal"; readonly point?: number; readonly reportId: string }): Promise<ReconciliationResult>;
  resolveParked(flowId: string, action: ParkedAction): Promise<void>;
  /** Virtual scanner only: feeds text as if scanned; rejects with CONFLICT on real scanners. */
  injectScan(text: string): Promise<void>;
  /** The next scan from the station's scanner (real or virtual); rejects with ABORTED after timeoutMs. */
  nextScan(timeoutMs: number): Promise<string>;
  /** Invoice Service (when configured): issued invoices and open notifications (`ctl invoices`). */
  invoices?(): Promise<unknown>;
  /** Invoice Service: issue a pay-by-invoice QR (printed on the receipt printer when there is one). */
  issueInvoice?(req: { readonly amountMinor: number; readonly description: string; readonly reference: string; readonly payOnce: boolean }): Promise<unknown>;
  /** Test builds only (GLASE_AGENT_TEST_HOOKS=1): blocks the event loop for `ms`, to test the watchdog. */
  debugBlockLoop?(ms: number): void;
}
