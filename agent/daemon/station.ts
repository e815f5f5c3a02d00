// The running station as the technician interface sees it (StationControl): the payment engine,
// the devices and their health, the terminal lifecycle. It owns the engine's lifetime so a config
// reload or a newly registered terminal can swap in a new engine (same journal: unfinished flows
// are recovered by the new one exactly as after a restart).
import { Subject, type Subscription } from "rxjs";
import { AgentError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { AlarmInfo, FlowSummary, ParkedAction, PaymentEngine, PaymentEngineOptions, PointSnapshot } from "../engine-api.ts";
import { createPaymentEngine } from "../engine.ts";
import type { ResellerCredentials, TerminalCredentials } from "../glase/types.ts";
import type { Grade } from "../../drivers/dispenser/contract.ts";
import type { AgentConfig } from "../config/schema.ts";
import type { StationDevices } from "./devices.ts";
import type { DeviceHealthBoard } from "./device-health.ts";
import { enginePoints, engineSettings } from "./engine-config.ts";
import type { AdminActor, OutOfService, PointStatus, StationControl, StationEvent, StationStatus } from "./sockets/control.ts";
import type { OperatorTools } from "./operator-tools.ts";
import type { AlertStats } from "../alerts/dispatcher.ts";
import type { PointRegistration, TerminalManager } from "./terminals.ts";
import type { InvoiceIssuer } from "../invoice-service/issuer.ts";
import { invoiceListing } from "../invoice-service/listing.ts";
import type { AdminAction, PageQuery } from "./sockets/control.ts";
import { RefundGuard } from "./refund-guard.ts";
import { AlarmBook, type BookAlarm } from "../alarms/book.ts";
import { assertNothingNeedsTerminal } from "./unregister-guard.ts";
import { appendAdminAction, describeActor, flowsPage, journalPage, receiptPage } from "./station-history.ts";
import { outOfServiceOf } from "./point-service.ts";
import { LINK_DOWN, linkAlarms } from "./link-alarms.ts";
import { pointAlarm } from "./point-alarms.ts";
import { type PeriodCloseRequest, closePeriod, keptPeriodReports } from "./period-close.ts";

/** Link alarms are the device board's, not the start checks': a re-check of those keeps them. */
const isLinkAlarm = (code: string): boolean => code === LINK_DOWN;

export type StationPhase = "starting" | "running" | "draining" | "stopping";

export interface StationParts {
  config: AgentConfig;
  readonly version: string;
  readonly devices: StationDevices;
  readonly board: DeviceHealthBoard;
  readonly terminals: TerminalManager;
  readonly grades: readonly Grade[];
  /** Everything the engine needs besides points and settings. */
  readonly engineBase: Omit<PaymentEngineOptions, "points" | "settings">;
  readonly logger: Logger;
  readonly testHooks: boolean;
  readonly issuer?: InvoiceIssuer;
  /** Backup, export, test print (absent in tests that do not need them). */
  readonly operator?: OperatorTools;
  /** The alerting hook's state, when one is configured. */
  readonly alertStats?: () => AlertStats;
  /**
   * The shop (reseller) credentials, read at each engine start. Not needed to sell, so a shop
   * password that cannot be read is an alarm (shop-wide reconciliation and registration wait for
   * the fix), never a start failure. Absent: engineBase.reseller as given.
   */
  readonly shop?: (config: AgentConfig) => Promise<ResellerCredentials | undefined>;
  /** Shared with the kiosk host's automatic refunds (one at a time per payment). */
  readonly refundGuard?: RefundGuard;
}

export class Station implements StationControl {
  readonly events$ = new Subject<StationEvent>();
  /** Every open alarm of the station (engine, station, Invoice Service): `ctl alarms`, status, metrics, watch, the alerting hook. */
  readonly alarmBook = new AlarmBook();
  readonly startedAt = Date.now();
  phase: StationPhase = "starting";
  private engineRef: PaymentEngine | undefined;
  private engineSub: Subscription | undefined;
  private credentials = new Map<number, TerminalCredentials>();
  /** Alarms of the station itself (points/devices that could not start), rebuilt at each engine start. */
  private startAlarms: AlarmInfo[] = [];
  private startAlarmSeq = 0;
  private readonly scanWaiters = new Set<(text: string) => void>();
  private readonly refunds: RefundGuard;
  /** Points a technician stopped, with who and when: kept across engine swaps (reload, register). */
  private readonly stopped = new Map<number, { readonly at: number; readonly by?: string }>();
  readonly debugBlockLoop?: (ms: number) => void;
  readonly invoices?: (page?: PageQuery) => Promise<unknown>;
  readonly issueInvoice?: (req: { readonly amountMinor: number; readonly description: string; readonly reference: string; readonly payOnce: boolean }) => Promise<unknown>;

  constructor(private readonly parts: StationParts) {
    this.refunds = parts.refundGuard ?? new RefundGuard(parts.engineBase.journal);
    parts.board.changes$.subscribe((device) => {
      this.events$.next({ type: "device", device });
      // A controller's link lost or back: its points' device-link-down alarms follow — not while
      // the agent closes its devices itself at shutdown (no alert for our own goodbye).
      if (this.phase !== "stopping") this.alarmBook.syncCode(LINK_DOWN, linkAlarms(parts.board.list()));
    });
    this.alarmBook.subscribe((c) => this.events$.next({ type: "alarm", alarm: c.alarm, change: c.kind }));
    parts.devices.scanner?.onScan((scan) => {
      const text = scan.kind === "glase-id" ? scan.seqrId : scan.kind === "invoice-qr" ? scan.url : scan.text;
      for (const w of this.scanWaiters) w(text);
    });
    const issuer = parts.issuer;
    if (issuer) {
      this.invoices = async (page) => invoiceListing(await issuer.listInvoices(page ?? { n: 50 }), await issuer.openNotifications(), await issuer.notificationCounts());
      this.issueInvoice = async (req) => {
        const inv = await issuer.issue({ ...req, currency: parts.config.station.currency });
        return { reference: inv.reference, state: inv.state, qr: inv.qr, qrPrint: inv.qrPrint };
      };
    }
    if (parts.testHooks) {
      this.debugBlockLoop = (ms) => {
        parts.logger.warn("debug-block-loop", { ms });
        const end = Date.now() + ms;
        while (Date.now() < end); // deliberately blocks the event loop (watchdog tests only)
      };
    }
  }

  get engine(): PaymentEngine {
    if (!this.engineRef) throw new AgentError("CONFLICT", "the station is not started yet");
    return this.engineRef;
  }

  /** False between a failed engine swap and the process exit. */
  get hasEngine(): boolean {
    return this.engineRef !== undefined;
  }

  get config(): AgentConfig {
    return this.parts.config;
  }

  /**
   * Reads every point's credentials, builds the engine and recovers unfinished flows. A point
   * whose credentials cannot be used (missing, empty, unreadable, a registration whose answer was
   * lost) is left out of service with an alarm saying what to do; every other point starts.
   */
  async startEngine(): Promise<{ resumed: number; parked: number }> {
    this.credentials = new Map();
    // Alarms of parts opened once per process (devices, Invoice Service, metrics) outlive an
    // engine swap; the credential alarms are raised again below.
    this.startAlarms = this.startAlarms.filter((a) => a.code.startsWith("device-") || a.code === "invoice-service-unavailable" || a.code === "metrics-unavailable");
    await this.parts.terminals.tidy().catch((err: unknown) => this.parts.logger.warn("terminals-tidy-failed", { err }));
    for (const p of this.parts.config.points) {
      const reg = await this.parts.terminals.registration(p.id).catch((err: unknown): PointRegistration => ({ kind: "broken", problem: err instanceof Error ? err.message : String(err), source: "stored" }));
      if (reg.kind === "registered") this.credentials.set(p.id, reg.credentials);
      else if (reg.kind === "unregistered") this.parts.logger.warn("point-unregistered", { point: p.id, hint: `glase-agent register --point ${p.id}` });
      else this.raiseStartAlarm(pointAlarm(p.id, reg));
    }
    const reseller = await this.shopCredentials();
    // What the checks above no longer find has been fixed: its alarm clears.
    this.alarmBook.sync(this.startAlarms, isLinkAlarm);
    const engine = createPaymentEngine({
      ...this.parts.engineBase,
      ...(reseller ? { reseller } : {}),
      points: enginePoints(this.parts.config, this.credentials, this.parts.grades),
      settings: engineSettings(this.parts.config),
    });
    this.engineSub = engine.events$.subscribe((e) => {
      // Alarms reach the stream through the book (raised/repeated/cleared), not one by one.
      if (e.type === "alarm") return void this.alarmBook.raise({ origin: "engine", code: e.alarm.code, message: e.alarm.message, at: e.alarm.at, ...(e.alarm.point !== undefined ? { point: e.alarm.point } : {}), ...(e.alarm.flowId !== undefined ? { flowId: e.alarm.flowId } : {}) });
      if (e.type === "flow") this.alarmBook.flowChanged(e.flow.flowId, e.flow.parked, e.flow.finished);
      this.events$.next(e);
    });
    this.engineRef = engine;
    const report = await engine.start();
    // A point a technician stopped stays stopped when the engine is swapped (reload, register).
    for (const point of this.stopped.keys()) {
      if (this.parts.config.points.some((p) => p.id === point)) await engine.stopPoint(point).catch(() => undefined);
      else this.stopped.delete(point);
    }
    this.phase = "running";
    return report;
  }

  private async shopCredentials(): Promise<ResellerCredentials | undefined> {
    if (!this.parts.shop) return this.parts.engineBase.reseller;
    try {
      return await this.parts.shop(this.parts.config);
    } catch (err) {
      this.raiseStartAlarm({
        code: "shop-credentials-unusable",
        message:
          `${err instanceof Error ? err.message : String(err)}. The station sells, but registering terminals and shop-wide reconciliation need the shop password: ` +
          `fix the file (owner glase-agent, chmod 600), then \`systemctl reload glase-agent\`.`,
      });
      return undefined;
    }
  }

  /** A station-level alarm (not tied to a flow): shown in `ctl alarms`, on its point, in metrics and `watch`. */
  raiseStartAlarm(alarm: { readonly point?: number; readonly code: string; readonly message: string }): void {
    const info: AlarmInfo = { id: `S${++this.startAlarmSeq}`, at: Date.now(), ...alarm };
    this.startAlarms.push(info);
    this.parts.logger.error("alarm", { code: info.code, point: info.point, message: info.message });
    this.alarmBook.raise({ origin: "station", code: info.code, message: info.message, ...(info.point !== undefined ? { point: info.point } : {}), at: info.at });
  }

  /** An Invoice Service alarm (settlement of a pay-by-invoice payment): into the book, until acknowledged. */
  raiseInvoiceAlarm(alarm: { readonly kind: string; readonly detail: string }): void {
    this.alarmBook.raise({ origin: "invoice-service", code: `invoice-${alarm.kind}`, message: alarm.detail });
  }

  /** An Invoice Service condition is over (the notification port is ours again): its alarm clears. */
  clearInvoiceAlarm(kind: string): void {
    this.alarmBook.clearCode("invoice-service", `invoice-${kind}`);
  }

  /** `ctl ack ID`: an event alarm clears; a condition's alarm is marked seen until its cause is gone. */
  async ackAlarm(id: string, by?: AdminActor): Promise<BookAlarm> {
    return this.alarmBook.ack(id, by ? describeActor(by) : undefined);
  }

  /** Stops the engine gracefully: no new customers, running flows get `timeoutMs` to settle. */
  async stopEngine(timeoutMs: number): Promise<void> {
    const engine = this.engineRef;
    if (!engine) return;
    engine.stopAccepting();
    await engine.drain(timeoutMs);
    this.engineSub?.unsubscribe();
    await engine.close();
    this.engineRef = undefined;
  }

  /** Swaps in a new engine (new points/credentials/settings); the journal carries the flows over. */
  async restartEngine(config: AgentConfig, drainMs: number): Promise<void> {
    this.phase = "draining";
    await this.stopEngine(drainMs);
    this.parts.config = config;
    await this.startEngine();
  }

  // ---- status.sock ----------------------------------------------------------------------------

  status(): StationStatus {
    const snap = this.engineRef?.snapshot();
    const flows = snap?.flows ?? [];
    return {
      station: this.parts.config.station.name,
      version: this.parts.version,
      pid: process.pid,
      startedAt: this.startedAt,
      accepting: snap?.accepting ?? false,
      phase: this.phase,
      points: this.parts.config.points.length,
      activeFlows: flows.filter((f) => !f.finished).length,
      parkedFlows: flows.filter((f) => f.parked && !f.finished).length,
      alarms: this.alarmBook.list().length,
      alarmCodes: this.alarmBook.list().map((a) => (a.count > 1 ? `${a.code} ×${a.count}` : a.code)),
      devices: this.parts.board.list(),
      ...(this.parts.alertStats ? { alerts: this.parts.alertStats() } : {}),
    };
  }

  points(): readonly PointStatus[] {
    const engine = this.engineRef?.snapshot().points ?? [];
    const devices = this.parts.board.list();
    return this.parts.config.points.map((p) => {
      const own = this.startAlarms.filter((a) => a.point === p.id);
      const found = engine.find((s) => s.point === p.id);
      const snap: PointSnapshot = found ?? { point: p.id, kind: p.kind, terminalId: "", state: this.engineRef ? "stopped" : "offline", alarms: [] };
      const withAlarms = own.length === 0 ? snap : { ...snap, alarms: [...own, ...snap.alarms] };
      const why = outOfServiceOf({ snapshot: withAlarms, inEngine: found !== undefined, engineRunning: this.engineRef !== undefined, stopped: this.stopped.get(p.id), startAlarms: own, devices });
      return why ? { ...withAlarms, outOfService: why } : withAlarms;
    });
  }

  flows(opts: { readonly all: boolean } & Partial<PageQuery>): readonly FlowSummary[] {
    const flows = this.engineRef?.snapshot().flows ?? [];
    return flowsPage(opts.all ? flows : flows.filter((f) => !f.finished), opts);
  }

  alarms(): readonly BookAlarm[] {
    return this.alarmBook.list();
  }

  journalTail(n: number, page: Omit<PageQuery, "n"> = {}) {
    return journalPage(this.parts.engineBase.journal, n, page);
  }

  receipts(page?: PageQuery) {
    return page ? receiptPage(this.parts.engineBase.journal, page) : this.engine.receipts();
  }

  async recordAdminAction(action: AdminAction): Promise<void> {
    await appendAdminAction(this.parts.engineBase.journal, action, Date.now());
  }

  // ---- admin.sock -----------------------------------------------------------------------------

  async registerTerminal(point: number, opts: { readonly name?: string; readonly externalTerminalId?: string }) {
    const result = await this.parts.terminals.register(point, opts).catch(async (err: unknown) => {
      await this.refreshPointAlarm(point); // a lost answer is an alarm now, not at the next reload
      throw err;
    });
    // The new terminal takes customers once the engine knows it.
    await this.restartEngine(this.parts.config, 5_000);
    return result;
  }

  async unregisterTerminal(point: number): Promise<void> {
    // A refund or reconciliation of the point's terminal, running or parked, needs it too (review
    // 3 #6). Asked first: the awaits below this line must not split the busy check from the stop.
    const snapTerminal = this.engineRef?.snapshot().points.find((p) => p.point === point)?.terminalId;
    const reg = snapTerminal ? undefined : await this.parts.terminals.registration(point).catch(() => undefined);
    await assertNothingNeedsTerminal(this.parts.engineBase.journal, point, snapTerminal || (reg?.kind === "registered" ? reg.credentials.terminalId : undefined));
    const engine = this.engineRef;
    const state = engine?.snapshot().points.find((p) => p.point === point)?.state;
    if (state !== undefined && state !== "idle" && state !== "stopped") {
      throw new AgentError("CONFLICT", `point ${point} is busy; stop it and wait until it is idle`, { point });
    }
    // Stopped first, in the same turn as the check: no customer can start on a terminal that is
    // being unregistered while Glase answers. A point a technician had stopped stays stopped.
    const wasStopped = state === "stopped" || this.stopped.has(point);
    if (engine && state !== undefined && !wasStopped) await engine.stopPoint(point);
    const resume = async () => {
      if (engine && state !== undefined && !wasStopped && this.engineRef === engine) await engine.resumePoint(point).catch(() => undefined);
    };
    await this.parts.terminals.unregister(point).catch(async (err: unknown) => {
      await resume();
      // An unregister in doubt takes the point out of service (with its alarm) at once.
      if ((await this.parts.terminals.registration(point).catch(() => undefined))?.kind === "unregistering") await this.restartEngine(this.parts.config, 5_000);
      throw err;
    });
    await resume();
    await this.restartEngine(this.parts.config, 5_000);
  }

  /** Re-reads a point's registration and replaces its start alarm (the engine keeps running). */
  private async refreshPointAlarm(point: number): Promise<void> {
    const reg = await this.parts.terminals.registration(point).catch((): PointRegistration | undefined => undefined);
    if (!reg) return;
    this.startAlarms = this.startAlarms.filter((a) => a.point !== point || a.code.startsWith("device-"));
    if (reg.kind !== "registered" && reg.kind !== "unregistered") this.raiseStartAlarm(pointAlarm(point, reg));
    this.alarmBook.sync(this.startAlarms, isLinkAlarm);
  }

  assignGlaseId(point: number, glaseId: string): Promise<void> {
    return this.parts.terminals.assignGlaseId(point, glaseId);
  }

  async stopPoint(point: number, by?: AdminActor): Promise<void> {
    const engine = this.engine;
    const had = this.stopped.get(point);
    // Recorded first: while a running delivery stops and settles, `ctl points` already says who stopped it.
    this.stopped.set(point, { at: Date.now(), ...(by ? { by: describeActor(by) } : {}) });
    try {
      await engine.stopPoint(point);
    } catch (e) {
      if (had) this.stopped.set(point, had);
      else this.stopped.delete(point);
      throw e;
    }
  }

  async resumePoint(point: number, _by?: AdminActor): Promise<{ point: number; wasStopped: boolean; outOfService?: OutOfService }> {
    await this.engine.resumePoint(point);
    const wasStopped = this.stopped.delete(point);
    const still = this.points().find((p) => p.point === point)?.outOfService;
    return { point, wasStopped, ...(still ? { outOfService: still } : {}) };
  }

  backup() {
    return this.operatorTools().backup();
  }

  releaseBackup(id: string) {
    return this.operatorTools().releaseBackup(id);
  }

  exportSales(q: { readonly since: number; readonly until: number; readonly cursor?: string; readonly n: number }) {
    return this.operatorTools().exportSales(q);
  }

  printTest() {
    return this.operatorTools().printTest();
  }

  private operatorTools(): OperatorTools {
    if (!this.parts.operator) throw new AgentError("NOT_FOUND", "operator tools are not available in this station");
    return this.parts.operator;
  }

  reprint(ref: string): Promise<void> {
    return this.engine.reprint(ref);
  }

  /**
   * A refund is checked against the payment it refunds — a receipt in the journal (a pump, a
   * kiosk) or an Invoice Service payment — before anything is sent. A reference this agent has no
   * record of is refused: a mistyped one could be another customer's payment. `force` sends it
   * anyway (a payment older than the journal keeps, or taken elsewhere): the technician's choice,
   * journaled with the action and logged.
   */
  async refund(req: { readonly ersReference: string; readonly amountMinor: number; readonly point?: number; readonly force?: boolean }) {
    // Copied from a receipt or a terminal, a reference may carry blanks around it; never inside.
    const ersReference = req.ersReference.trim();
    if (!/^[\x21-\x7e]{1,64}$/.test(ersReference)) {
      throw new AgentError("INPUT_INVALID", `ersReference: ${JSON.stringify(req.ersReference.slice(0, 70))} is not a payment reference (printable characters, no spaces)`, { ersReference: req.ersReference.slice(0, 70) });
    }
    const payment = await this.paymentOf(ersReference);
    const point = req.point ?? payment?.point;
    if (!payment) {
      if (!req.force) {
        throw new AgentError(
          "NOT_FOUND",
          `no payment ${ersReference} is known to this agent (no receipt in the journal, no Invoice Service payment): check the reference; if it is right (older than the journal keeps, or taken elsewhere), run again with --force${point === undefined ? " --point N" : ""}`,
          { ersReference },
        );
      }
      if (point === undefined) throw new AgentError("INPUT_INVALID", `a forced refund of ${ersReference} needs --point (the terminal to refund through)`, { ersReference });
      this.parts.logger.warn("refund-forced", { ersReference, amountMinor: req.amountMinor, point, reason: "no record of the payment: sent as forced by the technician" });
      return this.refunds.unchecked({ ersReference, amountMinor: req.amountMinor }, () => this.engine.startRefund({ point, ersReference, amountMinor: req.amountMinor }));
    }
    if (point === undefined) throw new AgentError("INPUT_INVALID", `${ersReference} is an Invoice Service payment: give --point (the terminal to refund through)`, { ersReference });
    const start = () => this.engine.startRefund({ point, ersReference, amountMinor: req.amountMinor });
    return this.refunds.refund({ ersReference, amountMinor: req.amountMinor, paidMinor: payment.amountMinor, currency: payment.currency }, start);
  }

  /** The payment a refund refunds: its receipt in the journal, else the Invoice Service payment. */
  private async paymentOf(ersReference: string): Promise<{ amountMinor: number; currency: string; point?: number } | undefined> {
    const receipt = await this.engine.receiptOf(ersReference);
    if (receipt) return { amountMinor: receipt.content.amountMinor, currency: receipt.content.currency, point: receipt.content.point };
    const invoice = await this.parts.issuer?.paymentByErsReference(ersReference);
    return invoice ? { amountMinor: invoice.amountMinor, currency: invoice.currency } : undefined;
  }

  closePeriod(req: PeriodCloseRequest) {
    const printer = this.parts.config.devices.printer;
    return closePeriod(
      {
        engine: this.engine,
        terminalOf: (point) => this.credentials.get(point)?.terminalId,
        currency: this.parts.config.station.currency,
        stationName: this.parts.config.station.name,
        ...(this.parts.devices.printer ? { printer: this.parts.devices.printer } : {}),
        ...(printer?.width !== undefined ? { printWidth: printer.width } : {}),
        station: { locale: this.parts.config.station.locale, ...(this.parts.config.station.timeZone !== undefined ? { timeZone: this.parts.config.station.timeZone } : {}) },
      },
      req,
    );
  }

  periodReports(q: { readonly n: number; readonly flowId?: string }) {
    return keptPeriodReports(this.parts.engineBase.journal, this.parts.config.station.currency, q);
  }

  resolveParked(flowId: string, action: ParkedAction): Promise<void> {
    return this.engine.resolveParked(flowId, action);
  }

  async injectScan(text: string): Promise<void> {
    const v = this.parts.devices.virtualScanner;
    if (!v) throw new AgentError("CONFLICT", "scan injection needs the virtual scanner (devices.scanner.kind: virtual)");
    v.inject(text);
  }

  nextScan(timeoutMs: number): Promise<string> {
    if (!this.parts.devices.scanner) return Promise.reject(new AgentError("CONFLICT", "no scanner configured"));
    return new Promise((resolve, reject) => {
      const done = (text: string) => {
        clearTimeout(timer);
        this.scanWaiters.delete(done);
        resolve(text);
      };
      const timer = setTimeout(() => (this.scanWaiters.delete(done), reject(new AgentError("ABORTED", `no scan within ${timeoutMs} ms`))), timeoutMs);
      this.scanWaiters.add(done);
    });
  }
}
