// In-memory twin of the controller for the flows' unit tests: the same point behaviour as the
// virtual controller (point-model.ts), no I/O, no timers. Tests script the forecourt
// (customerCall, liftNozzle, deliver, hangUp, fault) and events are delivered synchronously,
// so a test reads like the story it checks. Link loss and refusals can be injected. Like the line
// driver, events the board sends while the link is down are lost, and after the link comes back
// the sale records of open transactions are read again and reported as the missed events.
import { AgentError } from "../../base/errors.ts";
import { createLogger } from "../../base/log.ts";
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
import { PointModel, type ModelResult, type PointModelOptions } from "./point-model.ts";

const log = createLogger("dispenser.in-memory");

/** A command the agent sent, as recorded for assertions. */
export type IssuedCommand =
  | { readonly type: "authorize"; readonly cmd: AuthorizeCommand }
  | { readonly type: "stop"; readonly point: PointId }
  | { readonly type: "display"; readonly point: PointId; readonly text: string };

export const DEFAULT_GRADES: readonly Grade[] = [
  { id: "95", name: "Blyfri 95", unit: "L", unitPriceMinor: 1899, vatRatePercent: 25 },
  { id: "D", name: "Diesel", unit: "L", unitPriceMinor: 2049, vatRatePercent: 25 },
];

export class InMemoryDispenser implements DispenserController {
  readonly model: PointModel;
  /** Every command the agent issued, in order. */
  readonly commands: IssuedCommand[] = [];
  private readonly listeners = new Set<(e: DispenserEvent) => void>();
  private linkUp = true;
  private closed = false;
  private readonly rejectNext = new Map<string, AgentError>();
  /** Authorized transactions whose END the agent has not seen (re-read after a link loss). */
  private readonly openSales = new Set<string>();

  constructor(options: Partial<PointModelOptions> = {}) {
    this.model = new PointModel({ ...options, grades: options.grades ?? DEFAULT_GRADES, points: options.points ?? 2 });
    this.model.onEvent((e) => this.emit(e));
  }

  // ---- DispenserController ---------------------------------------------------------------------

  onEvent(listener: (event: DispenserEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async hello(): Promise<ControllerInfo> {
    this.check("hello");
    return { protocolVersion: "1.0", firmware: "in-memory", points: this.model.pointIds().length };
  }

  async status(): Promise<readonly PointStatus[]> {
    this.check("status");
    return this.model.status();
  }

  async prices(): Promise<readonly Grade[]> {
    this.check("prices");
    return this.model.gradeList();
  }

  async authorize(cmd: AuthorizeCommand): Promise<void> {
    this.check("authorize");
    this.commands.push({ type: "authorize", cmd });
    this.accept(this.model.authorize(cmd), { point: cmd.point, transactionId: cmd.transactionId });
    this.openSales.add(cmd.transactionId);
  }

  async stop(point: PointId): Promise<void> {
    this.check("stop");
    this.commands.push({ type: "stop", point });
    this.accept(this.model.stop(point), { point });
  }

  async display(point: PointId, text: string): Promise<void> {
    this.check("display");
    this.commands.push({ type: "display", point, text });
    if (!this.model.hasPoint(point)) this.accept({ ok: false, code: "NOPOINT", message: `no point ${point}` }, { point });
  }

  async saleRecord(transactionId: string): Promise<SaleRecord | undefined> {
    this.check("saleRecord");
    return this.model.saleRecord(transactionId);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }

  // ---- scripting -------------------------------------------------------------------------------

  customerCall(point: PointId, opts: { presetMinor?: number; gradeId?: string } = {}): void {
    this.script(this.model.customerCall(point, opts), "customerCall");
  }

  liftNozzle(point: PointId, gradeId?: string): void {
    this.script(this.model.liftNozzle(point, gradeId), "liftNozzle");
  }

  /** Meters `milli` more on a delivering point; returns what was actually metered (limit applies). */
  deliver(point: PointId, milli: number): number {
    return this.model.deliver(point, milli);
  }

  hangUp(point: PointId): void {
    this.script(this.model.hangUp(point), "hangUp");
  }

  stall(point: PointId): void {
    this.model.stall(point);
  }

  fault(point: PointId | null, code = "HW", message = "injected fault"): void {
    this.model.fault(point, code, message);
  }

  clearFault(point: PointId): void {
    this.model.clearFault(point);
  }

  /** Meter this much past the limit before cutting off (hardware overrun). */
  setOverrun(point: PointId, milli: number): void {
    this.model.setOverrun(point, milli);
  }

  /** Link loss: commands reject with DEVICE_DISCONNECTED until linkUp(); emits `link` events. */
  setLink(up: boolean): void {
    if (this.linkUp === up) return;
    this.linkUp = up;
    this.emit({ type: "link", up });
    if (!up) return;
    for (const transactionId of [...this.openSales]) {
      const r = this.model.saleRecord(transactionId);
      if (!r) this.openSales.delete(transactionId);
      else if (r.state === "finished") {
        this.openSales.delete(transactionId);
        this.emit({ type: "end", point: r.point, transactionId, gradeId: r.gradeId ?? "", milli: r.milli, amountMinor: r.amountMinor, unitPriceMinor: r.unitPriceMinor ?? 0, reason: r.reason ?? "stopped" });
      } else if (r.state === "delivering") this.emit({ type: "progress", point: r.point, transactionId, milli: r.milli, amountMinor: r.amountMinor });
    }
  }

  /** The next call of `method` rejects with this error (e.g. DEVICE_TIMEOUT), once. */
  failNext(method: "hello" | "status" | "prices" | "authorize" | "stop" | "display" | "saleRecord", error: AgentError): void {
    this.rejectNext.set(method, error);
  }

  saleRecords(): SaleRecord[] {
    return this.model.saleRecords();
  }

  // ---- internals -------------------------------------------------------------------------------

  private check(method: string): void {
    if (this.closed) throw new AgentError("DEVICE_DISCONNECTED", "dispenser controller closed", { method });
    const injected = this.rejectNext.get(method);
    if (injected) {
      this.rejectNext.delete(method);
      throw injected;
    }
    if (!this.linkUp) throw new AgentError("DEVICE_DISCONNECTED", "dispenser controller link is down", { method });
  }

  private accept(result: ModelResult, context: Record<string, unknown>): void {
    if (!result.ok) throw new AgentError("DEVICE_REJECTED", result.message, { ...context, reason: result.code });
  }

  private script(result: ModelResult, what: string): void {
    // A script step the board would ignore is a mistake in the test: say so loudly.
    if (!result.ok) throw new AgentError("INPUT_INVALID", `${what}: ${result.message}`, { reason: result.code });
  }

  private emit(e: DispenserEvent): void {
    // Notifications are not repeated (§7): sent while the link is down, they are lost.
    if (!this.linkUp && e.type !== "link") return;
    if (e.type === "end") this.openSales.delete(e.transactionId);
    notifyListeners(this.listeners, e, log);
  }
}
