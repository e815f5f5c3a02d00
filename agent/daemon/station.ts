// The running station as the technician interface sees it (StationControl): the payment engine,
// the devices and their health, the terminal lifecycle. It owns the engine's lifetime so a config
// reload or a newly registered terminal can swap in a new engine (same journal: unfinished flows
// are recovered by the new one exactly as after a restart).
import { Subject, type Subscription } from "rxjs";
import { AgentError } from "../../base/errors.ts";
import type { AlarmInfo, FlowSummary, ParkedAction, PaymentEngine, PointSnapshot } from "../engine-api.ts";
import { createPaymentEngine } from "../engine.ts";
import type { ResellerCredentials, TerminalCredentials } from "../../contracts/glase/types.ts";
import type { AgentConfig } from "../config/schema.ts";
import { enginePoints, engineSettings } from "./engine-config.ts";
import type { AdminActor, OutOfService, PointStatus, StationControl, StationEvent, StationStatus, AdminAction, PageQuery, KioskDecision } from "./sockets/control.ts";
import type { OperatorTools } from "./operator-tools.ts";
import type { PointRegistration } from "./terminals.ts";
import type { StationParts, StationPhase } from "./station-parts.ts";
import { StationTerminals } from "./station-terminals.ts";
import { invoiceListing } from "../invoice-service/listing.ts";
import { RefundGuard } from "./refund-guard.ts";
import { KEPT_ALARM_CODES } from "../flows/kept-alarms.ts";
import { type RefundRequest, checkedRefund } from "./refund-request.ts";
import { ScanWaiters } from "./scan-waiters.ts";
import { StationAlarms } from "./station-alarms.ts";
import type { KioskSale } from "../../contracts/kiosk.ts";
import { DECIDED_ALARM_CODES } from "../kiosk/sale-alarms.ts";
import { AlarmBook, type BookAlarm } from "../alarms/book.ts";
import { appendAdminAction, describeActor, flowsPage, journalPage, receiptPage } from "./station-history.ts";
import { outOfServiceOf } from "./point-service.ts";
import { LINK_DOWN, isLinkAlarm, linkAlarms } from "./link-alarms.ts";
import { pointAlarm } from "./point-alarms.ts";
import { type PeriodCloseRequest, closePeriod, keptPeriodReports } from "./period-close.ts";

export type { StationParts, StationPhase } from "./station-parts.ts";

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
  private readonly own: StationAlarms;
  private readonly scans: ScanWaiters;
  private readonly refunds: RefundGuard;
  private readonly terminals: StationTerminals;
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
    this.own = new StationAlarms(this.alarmBook, parts.logger);
    this.scans = new ScanWaiters(parts.devices.scanner);
    this.terminals = new StationTerminals({
      parts,
      engineRef: () => this.engineRef,
      stopped: this.stopped,
      own: this.own,
      restartEngine: (config, drainMs) => this.restartEngine(config, drainMs),
      raiseStartAlarm: (alarm) => this.raiseStartAlarm(alarm),
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
    this.own.beforeChecks(); // the credential alarms are raised again below
    await this.parts.terminals.tidy().catch((err: unknown) => this.parts.logger.warn("terminals-tidy-failed", { err }));
    for (const p of this.parts.config.points) {
      const reg = await this.parts.terminals.registration(p.id).catch((err: unknown): PointRegistration => ({ kind: "broken", problem: err instanceof Error ? err.message : String(err), source: "stored" }));
      // A kiosk names the sticker of the terminal as it is NOW (after register/unregister/assign-id):
      // one Glase binds to another point's terminal sends its customers to the wrong invoice.
      if (this.parts.kiosk) this.parts.kiosk.setGlaseId(p.id, reg.kind === "registered" ? await this.parts.terminals.storedGlaseId(p.id) : undefined);
      if (reg.kind === "registered") this.credentials.set(p.id, reg.credentials);
      else if (reg.kind === "unregistered") this.parts.logger.warn("point-unregistered", { point: p.id, hint: `glase-agent register --point ${p.id}` });
      else this.raiseStartAlarm(pointAlarm(p.id, reg));
    }
    const reseller = await this.shopCredentials();
    // What the checks above no longer find has been fixed: its alarm clears (link alarms follow the links).
    this.own.sync(isLinkAlarm);
    // The links as they are now: a device that was already down when it was opened (the MDB adapter
    // absent after a power cut) changed before this station listened to the board, and would never
    // raise its alarm (review 2 of issue 11 #3b). Here the webhook and the metrics already listen.
    this.alarmBook.syncCode(LINK_DOWN, linkAlarms(this.parts.board.list()));
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
    this.own.raise(alarm);
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
    const seen = this.alarmBook.ack(id, by ? describeActor(by) : undefined);
    // A money alarm the journal keeps (agent/flows/kept-alarms.ts) is no longer raised at start.
    if (seen.origin === "engine" && seen.flowId !== undefined && KEPT_ALARM_CODES.has(seen.code)) await this.parts.engineBase.journal.ackAlarms(seen.flowId, seen.code, seen.message, Date.now());
    return seen;
  }

  /** Stops the engine gracefully: no new customers, running flows get `timeoutMs` to settle. */
  async stopEngine(timeoutMs: number, opts: { readonly endSessions?: boolean } = {}): Promise<void> {
    const engine = this.engineRef;
    if (!engine) return;
    engine.stopAccepting();
    await engine.drain(timeoutMs, opts);
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
      const own = this.own.list.filter((a) => a.point === p.id);
      // Its controller's link down is an alarm on the point too, so the ALARMS column is not "-"
      // while `ctl alarms` lists one for it (review 2 of issue 11 #5).
      const links: AlarmInfo[] = this.alarmBook.list().filter((a) => a.code === LINK_DOWN && a.point === p.id).map((a) => ({ id: a.id, at: a.at, point: p.id, code: a.code, message: a.message }));
      const found = engine.find((s) => s.point === p.id);
      const snap: PointSnapshot = found ?? { point: p.id, kind: p.kind, terminalId: "", state: this.engineRef ? "stopped" : "offline", alarms: [] };
      const extra = [...own, ...links];
      const withAlarms = extra.length === 0 ? snap : { ...snap, alarms: [...extra, ...snap.alarms] };
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

  registerTerminal(point: number, opts: { readonly name?: string; readonly externalTerminalId?: string }) {
    return this.terminals.registerTerminal(point, opts);
  }

  unregisterTerminal(point: number): Promise<void> {
    return this.terminals.unregisterTerminal(point);
  }

  assignGlaseId(point: number, glaseId: string): Promise<void> {
    return this.terminals.assignGlaseId(point, glaseId);
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

  /** A technician's refund, checked against the payment it refunds first (agent/daemon/refund-request.ts). */
  refund(req: RefundRequest) {
    return checkedRefund({ engine: () => this.engine, ...(this.parts.issuer ? { issuer: this.parts.issuer } : {}), guard: this.refunds, logger: this.parts.logger }, req);
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

  /** `ctl kiosk-resolve`: a technician's decision on a kiosk sale in attention; its alarms clear (not a kept money alarm: its own ack). */
  async kioskResolve(req: { readonly saleId: string } & KioskDecision, by?: AdminActor): Promise<KioskSale> {
    const host = this.parts.kiosk;
    if (!host) throw new AgentError("NOT_FOUND", "this station has no kiosk points", { saleId: req.saleId });
    const sale = await host.resolveSale(req.saleId, { outcome: req.outcome, ...(req.deliveredMinor !== undefined ? { deliveredMinor: req.deliveredMinor } : {}) }, by ? describeActor(by) : "technician");
    this.alarmBook.clearFlow(req.saleId, DECIDED_ALARM_CODES);
    return sale;
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
    return this.scans.next(timeoutMs);
  }
}
