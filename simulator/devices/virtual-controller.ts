// The virtual dispenser/charger controller board: speaks docs/dispenser-protocol.md byte for byte
// (through the same codec as the driver), over TCP or a serial line (one end of a socat pty pair),
// so tests exercise the real driver through a real socket or tty. It keeps delivering and keeps
// its sale records while no agent is connected, and accepts a new connection whenever the agent
// comes back — exactly what the crash tests need.
//
// Time comes from a Scheduler: a manual SimClock in tests (advance() drives the flow), real time
// by default.
import { createServer, type Server } from "node:net";
import type { Scheduler } from "../../base/clock.ts";
import { createLogger } from "../../base/log.ts";
import { notifyListeners } from "../../base/listeners.ts";
import type { PointId, SaleRecord } from "../../contracts/dispenser.ts";
import { DEFAULT_GRADES } from "../../drivers/dispenser/in-memory.ts";
import { PointModel, type PointEvent, type PointModelOptions } from "../../drivers/dispenser/point-model.ts";
import { readVersion } from "../../drivers/dispenser/protocol-fields.ts";
import { replyFields, type Reply } from "../../drivers/dispenser/protocol-replies.ts";
import { PROTOCOL_VERSION, encodeErr, encodeNotification, encodeOk, parseLine, type Request } from "../../drivers/dispenser/protocol.ts";
import { serialConnector, type SerialOptions } from "../../drivers/dispenser/transport-serial.ts";
import { wrapSocket } from "../../drivers/dispenser/transport-tcp.ts";
import type { LineConnection, LineConnector } from "../../drivers/dispenser/transport.ts";
import { SimClock } from "../clock.ts";
import { FlowEngine, type AutoCustomer, type FlowOptions } from "./virtual-controller-flow.ts";

const log = createLogger("sim.controller");

export interface VirtualControllerOptions extends Partial<PointModelOptions>, FlowOptions {
  /** Default: a real-time SimClock. */
  readonly scheduler?: Scheduler;
  readonly firmware?: string;
  /** What HELLO answers; set "2.0" to test the driver's refusal of an incompatible major. */
  readonly protocolVersion?: string;
}

export type VirtualControllerFault =
  /** Flow stops on the point; the board ends the delivery with reason "stall" after its stall timeout. */
  | { readonly type: "stall"; readonly point: PointId }
  /** The meter runs this far past the authorized limit before the valve closes. */
  | { readonly type: "overrun"; readonly point: PointId; readonly milli: number }
  /** Drops every current connection (TCP sockets / our end of the serial line). */
  | { readonly type: "disconnect" }
  /** Sends this many lines of garbage now. */
  | { readonly type: "garbage"; readonly lines?: number }
  /** Corrupts the checksum of the next N lines sent. */
  | { readonly type: "bad-checksum"; readonly lines?: number }
  /** Every reply waits this long (0 clears). */
  | { readonly type: "slow"; readonly delayMs: number }
  /** Ignores the next N requests (no reply at all). */
  | { readonly type: "silent"; readonly requests?: number }
  /** A hardware fault on a point (or the whole board with point null). */
  | { readonly type: "point-fault"; readonly point: PointId | null; readonly code?: string; readonly message?: string };

export type VirtualControllerEvent =
  | PointEvent
  | { readonly type: "request"; readonly request: Request }
  | { readonly type: "client"; readonly connected: boolean; readonly description: string };

const GARBAGE = ["GARBAGE LINE", "\u0000\u0001\u0002\u00ff", "T1 OK*00", "*PROGRESS 1 x 1 1*ZZ", "*END*", "}{ not a line at all"];

export class VirtualController {
  readonly model: PointModel;
  readonly scheduler: Scheduler;
  private readonly flow: FlowEngine;
  private readonly connections = new Set<LineConnection>();
  private readonly listeners = new Set<(e: VirtualControllerEvent) => void>();
  private readonly displays = new Map<PointId, string>();
  private server: Server | undefined;
  private slowMs = 0;
  private corruptNext = 0;
  private silentNext = 0;
  private counters = { badLines: 0, requests: 0, connections: 0 };
  private closed = false;

  constructor(private readonly options: VirtualControllerOptions = {}) {
    this.scheduler = options.scheduler ?? new SimClock();
    this.model = new PointModel({ ...options, grades: options.grades ?? DEFAULT_GRADES, points: options.points ?? 2 });
    this.flow = new FlowEngine(this.model, this.scheduler, options);
    this.model.onEvent((e) => {
      this.broadcast(encodeNotification(e));
      this.emit(e);
    });
  }

  // ---- reachability ----------------------------------------------------------------------------

  /** Listens on loopback; resolves with the port (0 = ephemeral). */
  listenTcp(port = 0, host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => {
        const description = `${socket.remoteAddress}:${socket.remotePort}`;
        let conn: LineConnection | undefined = undefined;
        conn = wrapSocket(socket, description, {
          onLine: (line) => conn && this.onLine(conn, line),
          onClose: () => conn && this.dropped(conn),
        });
        this.adopt(conn);
      });
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        this.server = server;
        const addr = server.address();
        resolve(typeof addr === "object" && addr ? addr.port : port);
      });
    });
  }

  /** Opens one end of a serial line (e.g. a socat pty). Call again after the line was replugged. */
  attachSerial(options: SerialOptions): Promise<void> {
    return this.attach(serialConnector(options));
  }

  async attach(connector: LineConnector): Promise<void> {
    let conn: LineConnection | undefined = undefined;
    conn = await connector({
      onLine: (line) => conn && this.onLine(conn, line),
      onClose: () => conn && this.dropped(conn),
    });
    this.adopt(conn);
  }

  // ---- scripting the forecourt -------------------------------------------------------------------

  customerCall(point: PointId, opts: { presetMinor?: number; gradeId?: string } = {}): void {
    this.model.customerCall(point, opts);
  }

  /** Customer lifts the nozzle (plugs the cable); with volumeMilli they hang up after that much. */
  liftNozzle(point: PointId, opts: { gradeId?: string; volumeMilli?: number } = {}): void {
    if (opts.volumeMilli !== undefined) this.flow.setTarget(point, opts.volumeMilli);
    this.model.liftNozzle(point, opts.gradeId);
    this.flow.kick();
  }

  hangUp(point: PointId): void {
    this.model.hangUp(point);
  }

  setAutoCustomer(auto: AutoCustomer | undefined): void {
    this.flow.setAutoCustomer(auto);
  }

  setFlowRate(point: PointId, milliPerSec: number): void {
    this.flow.setFlowRate(point, milliPerSec);
  }

  injectFault(fault: VirtualControllerFault): void {
    log.info("fault_injected", { fault });
    switch (fault.type) {
      case "stall":
        return this.flow.stall(fault.point, true);
      case "overrun":
        return this.model.setOverrun(fault.point, fault.milli);
      case "disconnect":
        for (const c of [...this.connections]) {
          this.dropped(c);
          void c.close();
        }
        return;
      case "garbage":
        for (let i = 0; i < (fault.lines ?? 1); i++) this.broadcast(`${GARBAGE[i % GARBAGE.length]}\r\n`, false);
        return;
      case "bad-checksum":
        this.corruptNext += fault.lines ?? 1;
        return;
      case "slow":
        this.slowMs = fault.delayMs;
        return;
      case "silent":
        this.silentNext += fault.requests ?? 1;
        return;
      case "point-fault":
        return this.model.fault(fault.point, fault.code ?? "HW", fault.message ?? "injected fault");
    }
  }

  /** Clears the per-point faults (stall, overrun, hardware fault). */
  clearFault(point: PointId): void {
    this.flow.stall(point, false);
    this.model.setOverrun(point, 0);
    this.model.clearFault(point);
  }

  saleRecords(): SaleRecord[] {
    return this.model.saleRecords();
  }

  displayText(point: PointId): string | undefined {
    return this.displays.get(point);
  }

  stats(): { badLines: number; requests: number; connections: number; clients: number } {
    return { ...this.counters, clients: this.connections.size };
  }

  onEvent(listener: (e: VirtualControllerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flow.dispose();
    const conns = [...this.connections];
    this.connections.clear();
    await Promise.all(conns.map((c) => c.close()));
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- the wire ----------------------------------------------------------------------------------

  private adopt(conn: LineConnection): void {
    if (this.closed) {
      void conn.close();
      return;
    }
    this.connections.add(conn);
    this.counters.connections++;
    log.info("client_connected", { via: conn.description });
    this.emit({ type: "client", connected: true, description: conn.description });
  }

  private dropped(conn: LineConnection): void {
    if (!this.connections.delete(conn)) return;
    log.info("client_gone", { via: conn.description });
    this.emit({ type: "client", connected: false, description: conn.description });
  }

  private onLine(conn: LineConnection, line: string): void {
    const parsed = parseLine(line);
    if (!parsed.ok) {
      this.counters.badLines++;
      // A line whose tag we could read gets an answer so the driver does not wait for a timeout.
      if (parsed.error.kind === "syntax" && parsed.error.tag !== undefined) {
        this.reply(conn, encodeErr(parsed.error.tag, "SYNTAX", parsed.error.message));
      }
      return;
    }
    const frame = parsed.value;
    if (frame.kind !== "request") {
      this.counters.badLines++;
      return;
    }
    this.counters.requests++;
    this.emit({ type: "request", request: frame.request });
    if (this.silentNext > 0) {
      this.silentNext--;
      return;
    }
    this.reply(conn, this.execute(frame.tag, frame.request));
  }

  private execute(tag: number, r: Request): string {
    const okWith = (reply: Reply) => encodeOk(tag, replyFields(reply));
    switch (r.verb) {
      case "HELLO": {
        const ours = this.options.protocolVersion ?? PROTOCOL_VERSION;
        if (readVersion(r.version)?.major !== readVersion(ours)?.major) return encodeErr(tag, "VERSION", `board speaks ${ours}`);
        return okWith({ verb: "HELLO", info: { protocolVersion: ours, firmware: this.options.firmware ?? "VC-1.0", points: this.model.pointIds().length } });
      }
      case "STATUS":
        return okWith({ verb: "STATUS", points: this.model.status() });
      case "PRICES":
        return okWith({ verb: "PRICES", grades: this.model.gradeList() });
      case "AUTH": {
        const isNew = this.model.saleRecord(r.transactionId) === undefined;
        const { verb: _verb, ...cmd } = r;
        const result = this.model.authorize(cmd);
        if (!result.ok) return encodeErr(tag, result.code, result.message);
        if (isNew) this.flow.onAuthorized(r.point);
        return okWith({ verb: "AUTH" });
      }
      case "STOP": {
        const result = this.model.stop(r.point);
        return result.ok ? okWith({ verb: "STOP" }) : encodeErr(tag, result.code, result.message);
      }
      case "DISPLAY":
        if (!this.model.hasPoint(r.point)) return encodeErr(tag, "NOPOINT", `no point ${r.point}`);
        this.displays.set(r.point, r.text);
        return okWith({ verb: "DISPLAY" });
      case "SALE": {
        const record = this.model.saleRecord(r.transactionId);
        return record ? okWith({ verb: "SALE", record }) : encodeErr(tag, "NOSALE", `no record of ${r.transactionId}`);
      }
    }
  }

  private reply(conn: LineConnection, line: string): void {
    if (this.slowMs > 0) this.scheduler.setTimer(this.slowMs, () => this.write(conn, line));
    else this.write(conn, line);
  }

  private broadcast(line: string, framed = true): void {
    for (const c of this.connections) this.write(c, line, framed);
  }

  private write(conn: LineConnection, line: string, framed = true): void {
    if (!this.connections.has(conn)) return;
    let out = line;
    if (framed && this.corruptNext > 0) {
      this.corruptNext--;
      // Flip the checksum digits: "…*4F\r\n" → "…*B0\r\n".
      const sum = parseInt(line.slice(-4, -2), 16) ^ 0xff;
      out = `${line.slice(0, -4)}${sum.toString(16).toUpperCase().padStart(2, "0")}\r\n`;
    }
    conn.write(out).catch((err: unknown) => log.debug("write_failed", { via: conn.description, err }));
  }

  private emit(e: VirtualControllerEvent): void {
    notifyListeners(this.listeners, e, log);
  }
}
