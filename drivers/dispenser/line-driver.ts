// The real dispenser/charger controller driver: our ASCII line protocol
// (docs/dispenser-protocol.md) over an injected line transport (serial or TCP).
//
// - Every request carries a tag; the reply with that tag settles it (§4).
// - Per-command timeout; on timeout the command is re-sent with a new tag, because every command
//   of the protocol is idempotent at the board (§6) — AUTH included: it is re-sent with the SAME
//   transaction id, which the board answers OK if it already authorized that id. A late answer
//   to an earlier attempt's tag settles the command too (tags and retry table: pending-commands.ts).
// - The link is "up" only after a successful HELLO with a compatible major version. When the
//   connection dies, pending commands reject with DEVICE_DISCONNECTED, a `link down` event is
//   emitted, and the driver reconnects with capped exponential backoff, re-HELLOs and emits
//   `link up`. Commands issued while the link is down reject at once (the flows decide).
// - A garbage or bad-checksum line is counted in stats().badLines and logged (throttled); it
//   never throws out of the driver.
import { type Scheduler, systemScheduler as hostScheduler } from "../../base/clock.ts";
import { AgentError } from "../../base/errors.ts";
import { createLogger, type Logger } from "../../base/log.ts";
import { notifyListeners } from "../../base/listeners.ts";
import type {
  AuthorizeCommand,
  ControllerInfo,
  DispenserController,
  DispenserEvent,
  Grade,
  PointId,
  PointStatus,
  SaleRecord,
  Unsubscribe,
} from "../../contracts/dispenser.ts";
import { readVersion } from "./protocol-fields.ts";
import { decodeReply, type Reply } from "./protocol-replies.ts";
import { PROTOCOL_MAJOR, PROTOCOL_VERSION, encodeRequest, parseLine, type ParseError, type RawReply, type Request, type Verb } from "./protocol.ts";
import type { LineConnection, LineConnector } from "./transport.ts";
import { type Pending, PendingCommands, RETRYABLE } from "./pending-commands.ts";

export interface LineDriverOptions {
  /** Time to wait for a reply before re-sending (ms). Default 1500. */
  readonly commandTimeoutMs?: number;
  /** Per-verb override of commandTimeoutMs. */
  readonly timeouts?: Partial<Record<Verb, number>>;
  /** Extra attempts after a timeout. Default 2 (so 3 sends at most). */
  readonly retries?: number;
  /** Reconnect backoff: first delay and cap (ms). Defaults 100 and 5000. */
  readonly reconnectInitialMs?: number;
  readonly reconnectMaxMs?: number;
  /** Time source for timeouts and backoff. Default: the system clock. */
  readonly scheduler?: Scheduler;
  /** Component name in logs. */
  readonly name?: string;
}

export interface LineDriverStats {
  readonly badLines: number;
  readonly strayReplies: number;
  readonly timeouts: number;
  readonly retries: number;
  readonly reconnects: number;
  readonly linkUp: boolean;
}

/** The host scheduler (monotonic `now`), re-exported where the drivers have always found it. */
export const systemScheduler: Scheduler = hostScheduler;

export class LineDispenserDriver implements DispenserController {
  private readonly log: Logger;
  private readonly scheduler: Scheduler;
  private readonly listeners = new Set<(e: DispenserEvent) => void>();
  private readonly pending = new PendingCommands();
  private conn: LineConnection | undefined;
  private generation = 0;
  private linkUp = false;
  private closed = false;
  private started = false;
  private backoffMs: number;
  private cancelReconnect: (() => void) | undefined;
  private readonly linkWaiters = new Set<() => void>();
  /**
   * Transactions authorized (or asked to be) whose END we have not seen, by transaction id. Their
   * notifications are not repeated (§7): after a reconnect their sale records are read again and
   * what the board did meanwhile is reported as the events that were missed (§9).
   */
  private readonly openSales = new Map<string, PointId>();
  private counters = { badLines: 0, strayReplies: 0, timeouts: 0, retries: 0, reconnects: 0 };
  private badLinesLogged = { at: -Infinity, suppressed: 0 };

  constructor(
    private readonly connector: LineConnector,
    private readonly options: LineDriverOptions = {},
  ) {
    this.log = createLogger(options.name ?? "dispenser");
    this.scheduler = options.scheduler ?? systemScheduler;
    this.backoffMs = options.reconnectInitialMs ?? 100;
  }

  /** Starts connecting; resolves after the first attempt (link up or not — it keeps trying). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.connectOnce();
  }

  /** Resolves when the link is up; rejects with DEVICE_DISCONNECTED after timeoutMs. */
  waitForLink(timeoutMs: number): Promise<void> {
    if (this.linkUp) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        cancel();
        this.linkWaiters.delete(done);
        resolve();
      };
      const cancel = this.scheduler.setTimer(timeoutMs, () => {
        this.linkWaiters.delete(done);
        reject(new AgentError("DEVICE_DISCONNECTED", `dispenser controller link not up within ${timeoutMs} ms`, { timeoutMs }));
      });
      this.linkWaiters.add(done);
    });
  }

  stats(): LineDriverStats {
    return { ...this.counters, linkUp: this.linkUp };
  }

  // ---- DispenserController ---------------------------------------------------------------------

  onEvent(listener: (event: DispenserEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async hello(): Promise<ControllerInfo> {
    const reply = await this.command({ verb: "HELLO", version: PROTOCOL_VERSION });
    return this.checkVersion(reply);
  }

  async status(): Promise<readonly PointStatus[]> {
    const reply = await this.command({ verb: "STATUS" });
    return reply?.verb === "STATUS" ? reply.points : [];
  }

  async prices(): Promise<readonly Grade[]> {
    const reply = await this.command({ verb: "PRICES" });
    return reply?.verb === "PRICES" ? reply.grades : [];
  }

  async authorize(cmd: AuthorizeCommand): Promise<void> {
    this.openSales.set(cmd.transactionId, cmd.point);
    try {
      await this.command({ verb: "AUTH", ...cmd });
    } catch (err) {
      // A refusal is definite: the board holds no sale for it. Anything else may have reached it.
      if (err instanceof AgentError && err.code === "DEVICE_REJECTED" && err.context.reason !== "DONE") this.openSales.delete(cmd.transactionId);
      throw err;
    }
  }

  async stop(point: PointId): Promise<void> {
    await this.command({ verb: "STOP", point });
  }

  async display(point: PointId, text: string): Promise<void> {
    await this.command({ verb: "DISPLAY", point, text });
  }

  async saleRecord(transactionId: string): Promise<SaleRecord | undefined> {
    const reply = await this.command({ verb: "SALE", transactionId });
    return reply?.verb === "SALE" ? reply.record : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelReconnect?.();
    const conn = this.conn;
    this.conn = undefined;
    this.generation++;
    this.pending.rejectAll(new AgentError("DEVICE_DISCONNECTED", "dispenser driver closed"));
    this.setLink(false);
    await conn?.close();
    this.listeners.clear();
  }

  // ---- commands --------------------------------------------------------------------------------

  private command(request: Request, duringHandshake = false): Promise<Reply | undefined> {
    const conn = this.conn;
    if (this.closed) return Promise.reject(new AgentError("DEVICE_DISCONNECTED", "dispenser driver closed", { verb: request.verb }));
    if (!conn || (!this.linkUp && !duringHandshake)) {
      return Promise.reject(new AgentError("DEVICE_DISCONNECTED", "dispenser controller link is down", { verb: request.verb }));
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { request, tags: [], attempts: 0, cancelTimer: () => {}, resolve, reject };
      this.send(p, conn);
    });
  }

  private send(p: Pending, conn: LineConnection): void {
    const tag = this.pending.addAttempt(p);
    const timeout = this.options.timeouts?.[p.request.verb] ?? this.options.commandTimeoutMs ?? 1500;
    p.cancelTimer = this.scheduler.setTimer(timeout, () => this.onTimeout(p, conn, timeout));
    conn.write(encodeRequest(tag, p.request)).catch((err: unknown) => {
      // The connection's onClose rejects everything pending; a failed write alone is logged.
      this.log.warn("write_failed", { verb: p.request.verb, err });
    });
  }

  private onTimeout(p: Pending, conn: LineConnection, timeoutMs: number): void {
    this.counters.timeouts++;
    const retries = this.options.retries ?? 2;
    if (RETRYABLE[p.request.verb] && p.attempts <= retries && this.conn === conn) {
      this.counters.retries++;
      this.log.info("command_retry", { verb: p.request.verb, attempt: p.attempts + 1 });
      this.send(p, conn);
      return;
    }
    this.pending.settle(p);
    p.reject(new AgentError("DEVICE_TIMEOUT", `no answer to ${p.request.verb} within ${timeoutMs} ms (${p.attempts} attempts)`, { verb: p.request.verb, attempts: p.attempts }));
  }

  private onReply(tag: number, raw: RawReply): void {
    const p = this.pending.get(tag);
    if (!p) {
      this.counters.strayReplies++; // e.g. a late answer after a timeout gave up
      this.log.debug("stray_reply", { tag });
      return;
    }
    this.pending.settle(p);
    const verb = p.request.verb;
    if (!raw.ok) {
      if (verb === "SALE" && raw.code === "NOSALE") return p.resolve(undefined);
      const code = raw.code === "SYNTAX" || raw.code === "UNKNOWN" || raw.code === "VERSION" ? "DEVICE_PROTOCOL" : "DEVICE_REJECTED";
      return p.reject(new AgentError(code, `controller refused ${verb}: ${raw.code} ${raw.text}`, { verb, reason: raw.code, text: raw.text }));
    }
    const decoded = decodeReply(verb, raw.fields);
    if (!decoded.ok) {
      this.countBadLine(decoded.error, `reply to ${verb}`);
      return p.reject(new AgentError("DEVICE_PROTOCOL", `unreadable reply to ${verb}: ${decoded.error.message}`, { verb }));
    }
    p.resolve(decoded.value);
  }

  // ---- link --------------------------------------------------------------------------------------

  private async connectOnce(): Promise<void> {
    if (this.closed) return;
    const generation = ++this.generation;
    let conn: LineConnection;
    try {
      conn = await this.connector({
        onLine: (line) => {
          if (generation === this.generation) this.onLine(line);
        },
        onClose: (error) => {
          if (generation === this.generation) this.onConnectionLost(error);
        },
      });
    } catch (err) {
      this.log.debug("connect_failed", { err });
      this.scheduleReconnect();
      return;
    }
    if (this.closed || generation !== this.generation) {
      await conn.close();
      return;
    }
    this.conn = conn;
    try {
      const info = this.checkVersion(await this.command({ verb: "HELLO", version: PROTOCOL_VERSION }, true));
      if (generation !== this.generation) return;
      this.backoffMs = this.options.reconnectInitialMs ?? 100;
      this.log.info("link_up", { via: conn.description, firmware: info.firmware, protocol: info.protocolVersion, points: info.points });
      this.setLink(true);
    } catch (err) {
      if (generation !== this.generation) return;
      this.log.warn("handshake_failed", { via: conn.description, err });
      this.conn = undefined;
      this.generation++;
      this.pending.rejectAll(new AgentError("DEVICE_DISCONNECTED", "dispenser controller handshake failed"));
      await conn.close();
      this.scheduleReconnect();
    }
  }

  private onConnectionLost(error: Error | undefined): void {
    this.log.warn("link_lost", { via: this.conn?.description, err: error });
    this.conn = undefined;
    this.generation++;
    this.pending.rejectAll(new AgentError("DEVICE_DISCONNECTED", "dispenser controller link lost", { cause: error?.message }));
    this.setLink(false);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.cancelReconnect?.();
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.reconnectMaxMs ?? 5000);
    this.cancelReconnect = this.scheduler.setTimer(delay, () => {
      this.cancelReconnect = undefined;
      this.counters.reconnects++;
      void this.connectOnce();
    });
  }

  private setLink(up: boolean): void {
    if (this.linkUp === up) return;
    this.linkUp = up;
    this.emit({ type: "link", up });
    if (up) for (const w of [...this.linkWaiters]) w();
    if (up && this.openSales.size > 0) void this.rereadOpenSales();
  }

  /** After a reconnect: what became of every open transaction while the link was down (§9). */
  private async rereadOpenSales(): Promise<void> {
    for (const [transactionId, point] of [...this.openSales]) {
      let record: SaleRecord | undefined;
      try {
        record = await this.saleRecord(transactionId);
      } catch (err) {
        this.log.warn("sale_reread_failed", { transactionId, err });
        return; // link lost again: the next reconnect reads them all again
      }
      if (!this.openSales.has(transactionId)) continue; // its END arrived meanwhile
      if (record === undefined) {
        this.openSales.delete(transactionId);
      } else if (record.state === "finished") {
        this.openSales.delete(transactionId);
        this.emit({
          type: "end",
          point: record.point ?? point,
          transactionId,
          gradeId: record.gradeId ?? "",
          milli: record.milli,
          amountMinor: record.amountMinor,
          unitPriceMinor: record.unitPriceMinor ?? 0,
          reason: record.reason ?? "stopped",
        });
      } else if (record.state === "delivering") {
        this.emit({ type: "progress", point: record.point ?? point, transactionId, milli: record.milli, amountMinor: record.amountMinor });
      }
    }
  }

  private checkVersion(reply: Reply | undefined): ControllerInfo {
    if (reply?.verb !== "HELLO") throw new AgentError("DEVICE_PROTOCOL", "HELLO got no controller info");
    const v = readVersion(reply.info.protocolVersion);
    if (!v || v.major !== PROTOCOL_MAJOR) {
      throw new AgentError("DEVICE_PROTOCOL", `controller speaks protocol ${reply.info.protocolVersion}, we speak ${PROTOCOL_VERSION}`, {
        theirs: reply.info.protocolVersion,
        ours: PROTOCOL_VERSION,
      });
    }
    return reply.info;
  }

  // ---- incoming lines ----------------------------------------------------------------------------

  private onLine(line: string): void {
    const parsed = parseLine(line);
    if (!parsed.ok) return this.countBadLine(parsed.error, line);
    const frame = parsed.value;
    switch (frame.kind) {
      case "reply":
        return this.onReply(frame.tag, frame.reply);
      case "notification":
        if (frame.event.type === "end") this.openSales.delete(frame.event.transactionId);
        return this.emit(frame.event);
      case "request":
        return this.countBadLine({ kind: "syntax", message: "the controller sent a request" }, line);
    }
  }

  private countBadLine(error: ParseError, line: string): void {
    this.counters.badLines++;
    // Throttled: a babbling line must not flood the journal.
    const now = this.scheduler.now();
    if (now - this.badLinesLogged.at < 1000) {
      this.badLinesLogged.suppressed++;
      return;
    }
    this.log.warn("bad_line", {
      kind: error.kind,
      problem: error.message,
      line: line.slice(0, 80),
      total: this.counters.badLines,
      suppressed: this.badLinesLogged.suppressed,
    });
    this.badLinesLogged = { at: now, suppressed: 0 };
  }

  private emit(e: DispenserEvent): void {
    notifyListeners(this.listeners, e, this.log);
  }
}
