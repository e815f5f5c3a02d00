// The OCPP 1.6J driver: the agent as the local central system of the station's chargers, seen by
// the payment flows as one DispenserController whose points are the chargers' connectors.
//
// - A charger connects (central-system.ts), gets its handlers, and is brought up to date: the
//   agent sets MeterValuesSampledData = Energy.Active.Import.Register and MeterValueSampleInterval,
//   then asks each mapped connector for its status (TriggerMessage). Once every connector has
//   reported (or syncTimeoutS passed) the charger is "known" and its open sessions are reconciled
//   (sessions.ts: re-sent stops, re-triggered meter values, sessions that ended while away).
// - StatusNotification: a cable plugged (Preparing) is the customer's call; plug/unplug are
//   `nozzle` events; Faulted is a `fault` event and stops the session on that connector.
// - BootNotification is accepted with the configured heartbeat interval; Heartbeat answers the
//   time; DataTransfer is answered UnknownVendorId; unknown actions get NotImplemented (ocpp-rpc).
// - A store failure while handling a call leaves the call unanswered, so the charger sends it
//   again: nothing is acknowledged that is not durable.
// What the driver knows of each charger is in charger-state.ts, what it sets on one in charger-setup.ts.
import type { Scheduler } from "../../base/clock.ts";
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import { notifyListeners } from "../../base/listeners.ts";
import type { AuthorizeCommand, ControllerInfo, DispenserController, DispenserEvent, Grade, PointId, PointStatus, SaleRecord, Unsubscribe } from "../../contracts/dispenser.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";
import { CentralSystem, type TlsMaterial } from "./central-system.ts";
import type { ChargerLink, InboundHandler } from "./charger-link.ts";
import type { Ocpp16Config } from "./config.ts";
import { OCPP16, type BootNotificationReq, type ChargePointStatus, type StatusNotificationReq } from "./messages.ts";
import { type ChargerRuntime, type ChargerSnapshot, chargerQueries, meterStampsOf, observeMeterClock, snapshotOf } from "./charger-state.ts";
import { ChargerSetups } from "./charger-setup.ts";
import { cablePlugged, pointStateOf } from "./readings.ts";
import { SaleBook } from "./sales.ts";
import { onCarriedFailure } from "./background.ts";
import { Sessions, type PointBinding, type SessionHost } from "./sessions.ts";
import { LogThrottle } from "./log-throttle.ts";
import { ASSUMED_POWER_W } from "./metering.ts";
import { MeterClockStore } from "./meter-clock-store.ts";
import { NOREPLY } from "./rpc.ts";
import { canonicalTimes } from "./timestamps.ts";
import { sanitizeTransactionMessage } from "./validation.ts";

export type { ChargerSnapshot } from "./charger-state.ts";

export interface Ocpp16Deps {
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  /** Durable storage, scoped to this controller by the shell. */
  readonly store: DriverStore;
}

export interface Ocpp16Secrets {
  readonly passwords: ReadonlyMap<string, Buffer>;
  readonly tls?: TlsMaterial;
}

export class Ocpp16Controller implements DispenserController {
  private readonly log: Logger;
  private readonly scheduler: Scheduler;
  private readonly listeners = new Set<(e: DispenserEvent) => void>();
  private readonly runtimes = new Map<string, ChargerRuntime>();
  private readonly bindings = new Map<PointId, PointBinding>();
  private readonly book: SaleBook;
  private readonly meterClocks: MeterClockStore;
  private readonly sessions: Sessions;
  private readonly central: CentralSystem;
  /** What the agent sets on each connection (charger-setup.ts). */
  private readonly setups = new ChargerSetups(() => ({ config: this.config, log: this.log, emit: (e) => this.emit(e) }));
  /** Bounds the per-call warnings a charger can cause (log-throttle.ts). */
  private readonly logThrottle: LogThrottle;
  private listeningPort: number | undefined;
  private closed = false;

  constructor(
    private readonly config: Ocpp16Config,
    deps: Ocpp16Deps,
    secrets: Ocpp16Secrets,
  ) {
    this.log = deps.logger;
    this.scheduler = deps.scheduler;
    this.logThrottle = new LogThrottle(deps.scheduler);
    const grades = new Map(config.grades.map((g) => [g.id, { ...g, unit: "kWh" as const }]));
    for (const c of config.chargers) {
      this.runtimes.set(c.id, { config: c, connectors: new Map(), reported: new Set(), synced: false, schemaProblems: new Set() });
      for (const k of c.connectors) {
        const grade = grades.get(k.gradeId ?? config.grades[0]!.id)!;
        const rated = k.maxPowerW ?? c.maxPowerW;
        this.bindings.set(k.point, { point: k.point, chargePointId: c.id, connectorId: k.connectorId, grade, maxPowerW: rated ?? ASSUMED_POWER_W, ...(rated !== undefined ? { ratedPowerW: rated } : {}) });
      }
    }
    this.book = new SaleBook(deps.store, config.saleRecordCapacity, onCarriedFailure({ log: this.log, emit: (e) => this.emit(e) }), (transactionId, err) => this.log.warn("ocpp_evict_failed", { transactionId, err }));
    this.meterClocks = new MeterClockStore(deps.store, deps.logger);
    this.sessions = new Sessions(this.sessionHost(), this.book);
    this.central = new CentralSystem({
      config,
      passwords: secrets.passwords,
      ...(secrets.tls ? { tls: secrets.tls } : {}),
      scheduler: this.scheduler,
      logger: this.log,
      store: deps.store,
      onConnect: (link) => this.onConnect(link),
      onDisconnect: (link, code) => this.onDisconnect(link, code),
      onFlood: (id, why, first) => {
        if (first) this.emit({ type: "fault", point: null, code: "OCPP_FLOOD", message: `charger ${id} was disconnected for flooding: ${why} (it is refused for a while; repeats are logged as charger_flood)` });
      },
      onFrameTooLarge: (id, bytes, closes) => this.frameTooLarge(id, bytes, closes),
    });
  }

  /** Loads the sale book (before any charger is served), then listens. */
  async start(): Promise<void> {
    await this.book.load(this.scheduler.now());
    await this.meterClocks.load(this.runtimes, this.scheduler.now());
    this.sessions.resume();
    this.listeningPort = await this.central.listen();
    this.emit({ type: "link", up: true });
  }

  /** The port the central system listens on (useful when configured as 0). */
  get port(): number {
    if (this.listeningPort === undefined) throw new AgentError("INTERNAL", "OCPP driver not started");
    return this.listeningPort;
  }

  /** ws(s)://host:port/path — a charger appends /<chargePointId>. */
  get url(): string {
    const l = this.config.listen;
    return `${l.tls ? "wss" : "ws"}://${l.host}:${this.port}${l.path}`;
  }

  chargers(): ChargerSnapshot[] {
    return [...this.runtimes.values()].map(snapshotOf);
  }

  // ---- DispenserController ---------------------------------------------------------------------

  onEvent(listener: (event: DispenserEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The flows' money alarms the sale book holds, raised again once the engine listens (review 13c C2). */
  replayAlarms(since?: number): void {
    for (const { sale, code, message } of this.book.heldAlarms(since)) this.emit({ type: "fault", point: sale.point, code, message, transactionId: sale.transactionId, flowSession: true });
  }

  async hello(): Promise<ControllerInfo> {
    this.check();
    const connected = [...this.runtimes.values()].filter((r) => r.link?.open).length;
    return { protocolVersion: OCPP16, firmware: `glase-agent central system (${connected}/${this.runtimes.size} chargers connected)`, points: this.bindings.size };
  }

  async status(): Promise<readonly PointStatus[]> {
    this.check();
    return [...this.bindings.values()].map((b) => {
      const rt = this.runtimes.get(b.chargePointId)!;
      const status = rt.connectors.get(b.connectorId)?.status;
      const sale = this.book.openOn(b.point);
      const base = { point: b.point, nozzleUp: cablePlugged(status) };
      if (!rt.link?.open) return { ...base, state: "offline" as const };
      // Connector 0 is the charger as a whole: Faulted or Unavailable there is every point's state.
      const whole = rt.connectors.get(0)?.status;
      if (!sale && (whole === "Faulted" || whole === "Unavailable")) return { ...base, state: pointStateOf(whole) };
      if (sale) return { ...base, state: sale.state === "authorized" ? ("authorized" as const) : ("delivering" as const), transactionId: sale.transactionId, milli: sale.milli, amountMinor: sale.amountMinor };
      return { ...base, state: pointStateOf(status) };
    });
  }

  async prices(): Promise<readonly Grade[]> {
    this.check();
    return this.config.grades.map((g) => ({ ...g, unit: "kWh" as const }));
  }

  async authorize(cmd: AuthorizeCommand): Promise<void> {
    this.check();
    await this.sessions.authorize(cmd);
  }

  async stop(point: PointId): Promise<void> {
    this.check();
    await this.sessions.stop(point);
  }

  /** OCPP 1.6 has no customer display message: accepted for a known point and not shown. */
  async display(point: PointId, text: string): Promise<void> {
    this.check();
    if (!this.bindings.has(point)) throw new AgentError("DEVICE_REJECTED", `no charge point is mapped to point ${point}`, { point, reason: "NOPOINT" });
    this.log.debug("display", { point, text });
  }

  async saleRecord(transactionId: string): Promise<SaleRecord | undefined> {
    this.check();
    return this.sessions.saleRecord(transactionId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const rt of this.runtimes.values()) rt.cancelSync?.();
    this.sessions.close();
    await this.central.close();
    await this.meterClocks.flushed();
    this.emit({ type: "link", up: false });
    this.listeners.clear();
  }

  // ---- connections ---------------------------------------------------------------------------------

  private onConnect(link: ChargerLink): void {
    const rt = this.runtimes.get(link.chargePointId);
    if (!rt || this.closed) {
      void link.close(1008, "not configured");
      return;
    }
    rt.cancelSync?.();
    rt.link = link;
    rt.connectedAt = this.scheduler.now();
    rt.synced = false;
    rt.reported.clear();
    const id = rt.config.id;
    const on = (action: string, handler: InboundHandler) =>
      link.handle(action, async (raw) => {
        const params = canonicalTimes(raw); // every timestamp as Date.parse reads it exactly (timestamps.ts)
        rt.lastSeen = this.scheduler.now();
        // Every sample's stamp bounds the meter clock's offset: when a sample was taken at the latest (charger-state.ts).
        // A lower bound is durable before the sample is handled (meter-clock-store.ts).
        if (action === "MeterValues" && meterStampsOf(params).filter((at) => observeMeterClock(rt, at, rt.lastSeen!)).length > 0) await this.meterClocks.save(rt);
        try {
          return await handler(params);
        } catch (err) {
          // Not durable, so not acknowledged: the charger sends it again.
          this.log.error("ocpp_call_failed", { chargePointId: id, action, err });
          return NOREPLY;
        }
      });
    on("BootNotification", (p) => this.onBoot(rt, p as BootNotificationReq));
    on("Heartbeat", () => ({ currentTime: this.isoNow() }));
    on("StatusNotification", (p) => this.onStatusNotification(rt, p as StatusNotificationReq));
    on("Authorize", (p) => ({ idTagInfo: this.sessions.onAuthorize(id, (p as { idTag: string }).idTag) }));
    on("StartTransaction", (p) => this.sessions.onStartTransaction(id, p as never));
    on("MeterValues", (p) => this.sessions.onMeterValues(id, this.sanitized(rt, "MeterValues", p) as never));
    on("StopTransaction", (p) => this.sessions.onStopTransaction(id, this.sanitized(rt, "StopTransaction", p) as never));
    on("DataTransfer", () => ({ status: "UnknownVendorId" }));
    on("DiagnosticsStatusNotification", () => ({}));
    on("FirmwareStatusNotification", () => ({}));
    rt.cancelSync = this.scheduler.setTimer(this.config.syncTimeoutS * 1000, () => this.markSynced(rt, link, "timeout"));
    this.setups.connected(rt, link);
  }

  /** Closed (1009) for a message above maxFrameBytes, `closes` times in a row: it comes again at every reconnect. */
  private frameTooLarge(id: string, bytes: number | undefined, closes: number): void {
    const limit = this.config.maxFrameBytes;
    const admitted = this.logThrottle.admit(`${id}\u0000frame_too_large`);
    if (admitted) this.log.error("charger_frame_too_large", { chargePointId: id, bytes, maxFrameBytes: limit, closes, note: "closed (1009) unread, sent again at every reconnect: raise maxFrameBytes", ...admitted });
    if (closes === 1) this.emit({ type: "fault", point: null, code: "OCPP_FRAME_TOO_LARGE", message: `charger ${id} sent ${bytes !== undefined ? `a message of ${bytes} bytes` : "a message"} above maxFrameBytes (${limit}): its connection was closed (1009) before the message was read; a charger sends it again at every reconnect (most likely a StopTransaction with its transactionData), and its transaction messages queued behind it stay stuck until maxFrameBytes is raised above ${bytes ?? "that size"} (repeats are logged as charger_frame_too_large)` });
  }

  private onDisconnect(link: ChargerLink, code: number): void {
    const rt = this.runtimes.get(link.chargePointId);
    if (!rt || rt.link !== link) return; // a newer connection replaced it
    rt.link = undefined;
    rt.synced = false;
    rt.cancelSync?.();
    rt.cancelSync = undefined;
    this.log.info("charger_offline", { chargePointId: rt.config.id, code });
    this.sessions.onDisconnected(rt.config.id);
  }

  private markSynced(rt: ChargerRuntime, link: ChargerLink, why: "reported" | "timeout"): void {
    if (rt.link !== link || rt.synced) return;
    rt.synced = true;
    rt.cancelSync?.();
    rt.cancelSync = undefined;
    this.log.info("charger_synced", { chargePointId: rt.config.id, how: why, missing: rt.config.connectors.filter((k) => !rt.reported.has(k.connectorId)).map((k) => k.connectorId) });
    this.sessions.onSynced(rt.config.id);
  }

  // ---- charger → agent -------------------------------------------------------------------------------

  private onBoot(rt: ChargerRuntime, p: BootNotificationReq): Record<string, unknown> {
    rt.boot = { ...p, at: this.scheduler.now() };
    this.log.info("charger_booted", { chargePointId: rt.config.id, vendor: p.chargePointVendor, model: p.chargePointModel, firmware: p.firmwareVersion });
    const link = rt.link;
    // A charger that booted may have lost its settings: set them again once it has its answer.
    if (link) this.scheduler.setTimer(0, () => this.setups.booted(rt, link));
    return { status: "Accepted", currentTime: this.isoNow(), interval: this.config.heartbeatIntervalS };
  }

  /**
   * A transaction message with the parts that break the schema dropped (validation.ts): it is
   * answered, never refused for a part the agent does not settle from. Each kind of violation is
   * logged once per charger, and the first raises an alarm: the charger's firmware needs fixing.
   */
  private sanitized(rt: ChargerRuntime, action: "MeterValues" | "StopTransaction", params: unknown): unknown {
    const { params: clean, problems } = sanitizeTransactionMessage(action, params);
    for (const problem of problems) {
      const kind = problem.replace(/\/\d+\//g, "/*/").replace(/\/\d+ /g, "/* ");
      if (rt.schemaProblems.has(kind) || rt.schemaProblems.size >= 32) continue;
      const first = rt.schemaProblems.size === 0;
      rt.schemaProblems.add(kind);
      this.log.warn("ocpp_schema_violation_accepted", { chargePointId: rt.config.id, action, problem: kind, note: "answered, the invalid part ignored (logged once per charger and kind)" });
      if (first) this.emit({ type: "fault", point: null, code: "OCPP_SCHEMA_VIOLATION", message: `charger ${rt.config.id} sends ${action} against the OCPP 1.6 schema: ${kind}; accepted without that part — its firmware should be fixed` });
    }
    return clean;
  }

  private onStatusNotification(rt: ChargerRuntime, p: StatusNotificationReq): Record<string, never> {
    const id = rt.config.id;
    if (p.connectorId !== 0 && !rt.config.connectors.some((k) => k.connectorId === p.connectorId)) {
      // Kept only for configured connectors (and 0): any connectorId a charger sends would otherwise stay in memory for good.
      if (!rt.unknownConnectorLogged) this.log.warn("unconfigured_connector", { chargePointId: id, connectorId: p.connectorId, status: p.status, note: "not in the config: answered, not kept (logged once)" });
      rt.unknownConnectorLogged = true;
      return {};
    }
    const prev = rt.connectors.get(p.connectorId)?.status;
    rt.connectors.set(p.connectorId, { status: p.status, errorCode: p.errorCode, ...(p.info !== undefined ? { info: p.info } : {}), at: this.scheduler.now() });
    const warn = p.errorCode !== "NoError" && p.status !== "Faulted" ? this.logThrottle.admit(`${id}\u0000charger_warning`) : undefined;
    if (warn) this.log.warn("charger_warning", { chargePointId: id, connectorId: p.connectorId, status: p.status, errorCode: p.errorCode, info: p.info, ...warn });
    if (p.connectorId === 0) {
      // The charger as a whole: a fault there is a fault of every connector.
      if (p.status === "Faulted" && prev !== "Faulted") for (const b of this.bindingsOf(id)) this.connectorFault(b, p, prev);
    } else {
      const b = this.bindingsOf(id).find((k) => k.connectorId === p.connectorId);
      if (!b) this.log.debug("unmapped_connector", { chargePointId: id, connectorId: p.connectorId, status: p.status });
      else this.connectorChanged(b, prev, p);
    }
    if (rt.link && !rt.synced) {
      rt.reported.add(p.connectorId);
      if (rt.config.connectors.every((k) => rt.reported.has(k.connectorId))) {
        const link = rt.link;
        // After this answer is out, so the reconciliation's calls follow it.
        this.scheduler.setTimer(0, () => this.markSynced(rt, link, "reported"));
      }
    }
    return {};
  }

  private connectorChanged(b: PointBinding, prev: ChargePointStatus | undefined, p: StatusNotificationReq): void {
    const plugged = cablePlugged(p.status);
    if (plugged !== cablePlugged(prev) && prev !== undefined) this.emit({ type: "nozzle", point: b.point, up: plugged, gradeId: b.grade.id });
    if (p.status === "Faulted") {
      if (prev !== "Faulted") this.connectorFault(b, p, prev);
      return;
    }
    if (p.status === "Preparing" && prev !== "Preparing" && !this.book.openOn(b.point)) {
      if (prev === undefined) this.emit({ type: "nozzle", point: b.point, up: true, gradeId: b.grade.id });
      // No customer is asked to pay at a charger that says it is out of order as a whole.
      const whole = this.runtimes.get(b.chargePointId)?.connectors.get(0)?.status;
      if (whole === "Faulted" || whole === "Unavailable") this.log.warn("call_on_charger_out_of_service", { chargePointId: b.chargePointId, point: b.point, connector0: whole });
      else this.emit({ type: "call", point: b.point, gradeId: b.grade.id });
    }
    this.sessions.onStatus(b, prev, p.status);
  }

  private connectorFault(b: PointBinding, p: StatusNotificationReq, prev: ChargePointStatus | undefined): void {
    const sale = this.book.openOn(b.point);
    this.emit({
      type: "fault",
      point: b.point,
      code: p.errorCode,
      message: [`charger ${b.chargePointId} connector ${p.connectorId} faulted`, p.info, p.vendorErrorCode].filter(Boolean).join(": "),
      ...(sale ? { transactionId: sale.transactionId } : {}),
    });
    this.sessions.onStatus(b, prev, "Faulted");
  }

  // ---- internals -------------------------------------------------------------------------------------

  private sessionHost(): SessionHost {
    const cfg = this.config;
    return {
      scheduler: this.scheduler,
      log: this.log,
      currency: cfg.currency,
      meterSampleIntervalS: cfg.meterSampleIntervalS,
      powerScale: 1000 / cfg.chargerSecondMs,
      maxSessionMs: cfg.maxSessionS * 1000,
      stopTimeoutMs: cfg.stopTimeoutS * 1000,
      lateStopWaitMs: cfg.lateStopWaitS * 1000,
      binding: (point) => this.bindings.get(point),
      ...chargerQueries(this.runtimes),
      emit: (e) => this.emit(e),
    };
  }

  private bindingsOf(chargePointId: string): PointBinding[] {
    return [...this.bindings.values()].filter((b) => b.chargePointId === chargePointId);
  }

  private isoNow(): string {
    return new Date(this.scheduler.now()).toISOString();
  }

  private check(): void {
    if (this.closed) throw new AgentError("DEVICE_DISCONNECTED", "OCPP driver closed");
  }

  private emit(e: DispenserEvent): void {
    notifyListeners(this.listeners, e, this.log);
  }
}
