// A virtual OCPP 1.6J charge point: ocpp-rpc's client in strict mode (every frame it sends or
// receives validated against the official OCPP 1.6 JSON schemas) over a real WebSocket, with
// connectors, an energy meter per connector, plug/unplug, local stops, faults, offline periods
// during which transaction messages queue up (and are delivered late, in order), reboots, and a
// charger that ignores RemoteStopTransaction on demand. It reconnects by itself after the central
// system went away (an agent restart), as a real charger does.
//
// Time: a Scheduler (real-time SimClock by default); `secondMs` is how long one of the charger's
// seconds lasts, so MeterValueSampleInterval=1 can tick every 100 ms in a test.
import type { Scheduler } from "../../base/clock.ts";
import { createLogger, type Logger } from "../../base/log.ts";
import { notifyListeners } from "../../base/listeners.ts";
import { ENERGY_REGISTER, OCPP16, type ChargePointStatus, type StopReason } from "../../drivers/ocpp16/messages.ts";
import { createRpcClient, type RpcClient } from "../../drivers/ocpp16/rpc.ts";
import { SimClock } from "../clock.ts";
import { TransactionQueue } from "./virtual-charge-point-queue.ts";
import { registerHandlers, type ChargePointSide } from "./virtual-charge-point-handlers.ts";
import type { Connector, LocalTransaction, VirtualChargePointEvent, VirtualChargePointOptions } from "./virtual-charge-point-types.ts";

export type { VirtualChargePointEvent, VirtualChargePointOptions } from "./virtual-charge-point-types.ts";

export class VirtualChargePoint {
  readonly scheduler: Scheduler;
  /** Configuration keys as set by the central system. */
  readonly configuration = new Map<string, string>([
    ["MeterValueSampleInterval", "60"],
    ["MeterValuesSampledData", ENERGY_REGISTER],
    ["HeartbeatInterval", "300"],
    ["ConnectionTimeOut", "60"],
    ["AuthorizeRemoteTxRequests", "false"],
    ["StopTransactionOnInvalidId", "false"],
    ["AuthorizationCacheEnabled", "true"],
    ["LocalAuthorizeOffline", "true"],
    ["AllowOfflineTxForUnknownId", "false"],
  ]);
  /** Ignore RemoteStopTransaction (answer Accepted and keep charging). */
  ignoreRemoteStop = false;
  private readonly log: Logger;
  private readonly connectors = new Map<number, Connector>();
  private readonly queue: TransactionQueue;
  private readonly listeners = new Set<(e: VirtualChargePointEvent) => void>();
  private rpc: RpcClient | undefined;
  private online = false;
  private wantOnline = false;
  private needsBoot = true;
  private closed = false;
  private cancelTick: (() => void) | undefined;
  private cancelReconnect: (() => void) | undefined;
  private seconds = 0;

  constructor(private readonly options: VirtualChargePointOptions) {
    this.scheduler = options.scheduler ?? new SimClock();
    this.log = options.logger ?? createLogger(`sim.chargepoint.${options.identity}`);
    for (let id = 1; id <= (options.connectors ?? 1); id++) {
      this.connectors.set(id, { id, status: "Available", errorCode: "NoError", registerWh: options.registerWh ?? 1_000_000, powerW: options.powerW ?? 11_000, plugged: false, dirty: false });
    }
    this.queue = new TransactionQueue(
      3,
      (err) => ((err as { rpcErrorCode?: string }).rpcErrorCode !== undefined ? "refused" : "connection"),
      (m, err) => this.log.warn("transaction_message_dropped", { action: m.action, err }),
    );
  }

  // ---- connection ------------------------------------------------------------------------------

  /** Connects (BootNotification and every status the first time and after a reboot). */
  async connect(): Promise<void> {
    this.wantOnline = true;
    this.startTicking();
    await this.open();
  }

  /** The network goes away: the connection drops uncleanly and transaction messages queue up. */
  async goOffline(): Promise<void> {
    this.wantOnline = false;
    this.cancelReconnect?.();
    const rpc = this.rpc;
    this.rpc = undefined;
    this.online = false;
    await rpc?.close({ force: true });
  }

  /** The network is back: reconnect, report what changed, deliver the queue. */
  goOnline(): Promise<void> {
    return this.connect();
  }

  /** Power cycle: running transactions end (reason Reboot, queued), then boot again. */
  async reboot(): Promise<void> {
    for (const c of this.connectors.values()) if (c.tx) this.endTransaction(c, "Reboot");
    await this.goOffline();
    this.needsBoot = true;
    await this.connect();
  }

  get connected(): boolean {
    return this.online;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wantOnline = false;
    this.cancelTick?.();
    this.cancelReconnect?.();
    const rpc = this.rpc;
    this.rpc = undefined;
    this.online = false;
    await rpc?.close({ force: true });
    this.listeners.clear();
  }

  // ---- the customer and the hardware -----------------------------------------------------------

  plug(connectorId = 1): void {
    const c = this.connector(connectorId);
    c.plugged = true;
    if (c.status === "Available") this.setStatus(c, "Preparing");
  }

  /** Unplug: a running transaction ends (EVDisconnected). */
  unplug(connectorId = 1): void {
    const c = this.connector(connectorId);
    c.plugged = false;
    if (c.tx) this.endTransaction(c, "EVDisconnected");
    if (c.status !== "Faulted" && c.status !== "Unavailable") this.setStatus(c, "Available");
  }

  /** The stop button on the charger. */
  stopLocally(connectorId = 1): void {
    const c = this.connector(connectorId);
    if (c.tx) this.endTransaction(c, "Local");
  }

  /** 0 W: the car stops drawing (SuspendedEV); more: charging again. */
  setPower(connectorId: number, powerW: number): void {
    const c = this.connector(connectorId);
    c.powerW = powerW;
    if (c.tx && powerW === 0 && c.status === "Charging") this.setStatus(c, "SuspendedEV");
    if (c.tx && powerW > 0 && c.status === "SuspendedEV") this.setStatus(c, "Charging");
  }

  /** A hardware fault: the connector is Faulted and a running transaction ends (reason Other). */
  fault(connectorId = 1, errorCode = "GroundFailure", opts: { keepCharging?: boolean } = {}): void {
    const c = this.connector(connectorId);
    c.errorCode = errorCode;
    if (c.tx && !opts.keepCharging) this.endTransaction(c, "Other", false);
    this.setStatus(c, "Faulted");
  }

  clearFault(connectorId = 1): void {
    const c = this.connector(connectorId);
    c.errorCode = "NoError";
    this.setStatus(c, c.tx ? "Charging" : c.plugged ? "Preparing" : "Available");
  }

  // ---- introspection and raw access for tests ------------------------------------------------------

  status(connectorId = 1): ChargePointStatus {
    return this.connector(connectorId).status;
  }

  registerWh(connectorId = 1): number {
    return Math.floor(this.connector(connectorId).registerWh);
  }

  /** The running transaction's id (undefined while its StartTransaction is unanswered) and meterStart. */
  transaction(connectorId = 1): { readonly id?: number; readonly meterStart: number; readonly idTag: string } | undefined {
    const tx = this.connector(connectorId).tx;
    return tx ? { ...(tx.ref.id !== undefined ? { id: tx.ref.id } : {}), meterStart: tx.meterStart, idTag: tx.idTag } : undefined;
  }

  queuedMessages(): number {
    return this.queue.length;
  }

  /** A charger that loses its queued transaction messages (a broken one): they never arrive. */
  dropQueuedMessages(): number {
    return this.queue.clear();
  }

  onEvent(listener: (e: VirtualChargePointEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A call of the test's choosing (validated by strict mode like any other). */
  async call(action: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!this.rpc || !this.online) throw new Error(`${this.options.identity} is offline`);
    return (await this.rpc.call(action, params, { callTimeoutMs: this.options.callTimeoutMs ?? 10_000 })) as Record<string, unknown>;
  }

  /** Raw bytes on the socket (malformed frames, floods). */
  sendRaw(text: string): void {
    this.rpc?.sendRaw(text);
  }

  // ---- internals -----------------------------------------------------------------------------------

  private connector(id: number): Connector {
    const c = this.connectors.get(id);
    if (!c) throw new Error(`${this.options.identity} has no connector ${id}`);
    return c;
  }

  private now(): string {
    return new Date(this.scheduler.now()).toISOString();
  }

  private async open(): Promise<void> {
    if (this.closed || this.rpc) return;
    const rpc = createRpcClient({
      endpoint: this.options.endpoint,
      identity: this.options.identity,
      protocols: [OCPP16],
      strictMode: true,
      reconnect: false,
      callTimeoutMs: this.options.callTimeoutMs ?? 10_000,
      ...(this.options.password !== undefined ? { password: this.options.password } : {}),
      ...(this.options.wsOpts ? { wsOpts: this.options.wsOpts } : {}),
    });
    this.rpc = rpc;
    registerHandlers(rpc, this.side());
    rpc.on("message", ((e: { message: Buffer | string; outbound: boolean }) => this.emit({ type: "frame", outbound: e.outbound, text: e.message.toString() })) as never);
    rpc.on("close", ((e: { code: number }) => this.onClosed(rpc, e.code)) as never);
    try {
      await rpc.connect();
    } catch (err) {
      if (this.rpc === rpc) this.rpc = undefined;
      this.scheduleReconnect();
      throw err;
    }
    this.online = true;
    this.emit({ type: "connected" });
    void this.afterConnect();
  }

  private async afterConnect(): Promise<void> {
    try {
      if (this.needsBoot) {
        const conf = (await this.call("BootNotification", { chargePointVendor: "Glase", chargePointModel: "Virtual CP", firmwareVersion: "vcp-1.0" })) as { interval?: number };
        if (typeof conf.interval === "number") this.configuration.set("HeartbeatInterval", String(conf.interval));
        this.needsBoot = false;
        await this.sendStatus(0, "Available", "NoError");
        for (const c of this.connectors.values()) await this.sendStatus(c.id, c.status, c.errorCode);
      } else {
        for (const c of this.connectors.values()) if (c.dirty) await this.sendStatus(c.id, c.status, c.errorCode);
      }
      for (const c of this.connectors.values()) c.dirty = false;
      await this.flush();
    } catch (err) {
      this.log.debug("after_connect_failed", { err });
    }
  }

  private onClosed(rpc: RpcClient, code: number): void {
    if (this.rpc === rpc) {
      this.rpc = undefined;
      this.online = false;
    }
    this.emit({ type: "disconnected", code });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || !this.wantOnline || this.cancelReconnect) return;
    this.cancelReconnect = this.scheduler.setTimer(this.options.reconnectMs ?? 500, () => {
      this.cancelReconnect = undefined;
      this.open().catch(() => undefined);
    });
  }

  private flush(): Promise<void> {
    const rpc = this.rpc;
    if (!rpc || !this.online) return Promise.resolve();
    return this.queue.flush(async (action, params) => {
      const answer = (await rpc.call(action, params, { callTimeoutMs: this.options.callTimeoutMs ?? 10_000 })) as Record<string, unknown>;
      this.emit({ type: "answered", action, params, answer });
      return answer;
    });
  }

  private setStatus(c: Connector, status: ChargePointStatus): void {
    c.status = status;
    if (this.online) void this.sendStatus(c.id, status, c.errorCode).catch(() => (c.dirty = true));
    else c.dirty = true;
  }

  private async sendStatus(connectorId: number, status: ChargePointStatus, errorCode: string): Promise<void> {
    await this.call("StatusNotification", { connectorId, status, errorCode, timestamp: this.now() });
  }

  /** The charger as its request handlers (virtual-charge-point-handlers.ts) see it. */
  private side(): ChargePointSide {
    const self = this;
    return {
      scheduler: this.scheduler,
      configuration: this.configuration,
      connectors: this.connectors,
      get ignoreRemoteStop() {
        return self.ignoreRemoteStop;
      },
      get needsBoot() {
        return self.needsBoot;
      },
      set needsBoot(v: boolean) {
        self.needsBoot = v;
      },
      emit: (e) => this.emit(e),
      connector: (id) => this.connector(id),
      beginTransaction: (c, idTag) => this.beginTransaction(c, idTag),
      endTransaction: (c, reason) => this.endTransaction(c, reason),
      sendStatus: (id, status, errorCode) => this.sendStatus(id, status, errorCode),
      call: (action, params) => this.call(action, params),
      meterValues: (c, context) => this.meterValues(c, context),
      afterConnect: () => this.afterConnect(),
      reboot: () => this.reboot(),
    };
  }

  private async beginTransaction(c: Connector, idTag: string): Promise<void> {
    if (this.configuration.get("AuthorizeRemoteTxRequests") === "true" || this.options.authorizeRemoteStart) {
      const conf = (await this.call("Authorize", { idTag }).catch(() => undefined)) as { idTagInfo?: { status?: string } } | undefined;
      if (conf?.idTagInfo?.status !== "Accepted") return;
    }
    if (c.tx || !c.plugged || c.status === "Faulted") return;
    const tx: LocalTransaction = { ref: {}, idTag, meterStart: Math.floor(c.registerWh) };
    c.tx = tx;
    const timestamp = this.now();
    this.queue.push({
      action: "StartTransaction",
      tx: tx.ref,
      params: () => ({ connectorId: c.id, idTag, meterStart: tx.meterStart, timestamp }),
      onAnswer: (a) => {
        tx.ref.id = a.transactionId as number;
        const status = (a.idTagInfo as { status?: string } | undefined)?.status;
        if (status !== "Accepted" && c.tx === tx) this.endTransaction(c, "DeAuthorized");
      },
    });
    this.setStatus(c, c.powerW > 0 ? "Charging" : "SuspendedEV");
    void this.flush();
  }

  private endTransaction(c: Connector, reason: StopReason, updateStatus = true): void {
    const tx = c.tx;
    if (!tx) return;
    c.tx = undefined;
    const meterStop = Math.floor(c.registerWh);
    const timestamp = this.now();
    this.queue.push({
      action: "StopTransaction",
      tx: tx.ref,
      params: (ref) => (ref.id === undefined ? undefined : { transactionId: ref.id, idTag: tx.idTag, meterStop, timestamp, reason }),
    });
    if (updateStatus && c.status !== "Faulted" && c.status !== "Unavailable") this.setStatus(c, c.plugged && reason !== "EVDisconnected" ? "Finishing" : "Available");
    void this.flush();
  }

  private meterValues(c: Connector, context: "Sample.Periodic" | "Trigger"): Record<string, unknown> {
    return {
      connectorId: c.id,
      ...(c.tx?.ref.id !== undefined ? { transactionId: c.tx.ref.id } : {}),
      meterValue: [{ timestamp: this.now(), sampledValue: [{ value: String(Math.floor(c.registerWh)), context, measurand: ENERGY_REGISTER, unit: "Wh" }] }],
    };
  }

  private startTicking(): void {
    if (this.cancelTick || this.closed) return;
    const secondMs = this.options.secondMs ?? 1000;
    const tick = () => {
      this.seconds++;
      for (const c of this.connectors.values()) if (c.tx && c.status === "Charging") c.registerWh += c.powerW / 3600;
      const interval = Number(this.configuration.get("MeterValueSampleInterval") ?? 0);
      if (interval > 0 && this.seconds % interval === 0) {
        for (const c of this.connectors.values()) {
          const tx = c.tx;
          if (!tx) continue;
          const sample = this.meterValues(c, "Sample.Periodic");
          this.queue.push({ action: "MeterValues", tx: tx.ref, params: (ref) => ({ ...sample, ...(ref.id !== undefined ? { transactionId: ref.id } : {}) }) });
        }
        void this.flush();
      }
      const heartbeat = Number(this.configuration.get("HeartbeatInterval") ?? 0);
      if (this.online && heartbeat > 0 && this.seconds % heartbeat === 0) void this.call("Heartbeat", {}).catch(() => undefined);
      this.cancelTick = this.scheduler.setTimer(secondMs, tick);
    };
    this.cancelTick = this.scheduler.setTimer(secondMs, tick);
  }

  private emit(e: VirtualChargePointEvent): void {
    notifyListeners(this.listeners, e, this.log);
  }
}
