// The behaviour of a controller board's points, without any I/O or time: what happens on a call,
// a nozzle lift, metered flow, a hang-up, a stop, a fault, and the table of recent sale records.
// One model, two hosts: the in-memory twin (drivers/dispenser/in-memory.ts) calls it directly,
// the virtual controller (simulator/devices/virtual-controller.ts) drives it from the wire and
// a flow timer — so the flows' unit tests and the driver tests see the same pump behaviour.
import { priceOf } from "../../base/money.ts";
import type {
  AuthorizeCommand,
  DeliveryEndReason,
  DispenserEvent,
  Grade,
  PointId,
  PointState,
  PointStatus,
  SaleRecord,
} from "../../contracts/dispenser.ts";

export interface PointConfig {
  readonly id: PointId;
  /** Grades this point can deliver (ids into the model's grade list); the first is the default. */
  readonly gradeIds: readonly string[];
}

export interface PointModelOptions {
  readonly grades: readonly Grade[];
  /** A number n means points 1..n, each offering every grade. */
  readonly points: number | readonly PointConfig[];
  /** The only currency the board accepts limits in. Default "SEK". */
  readonly currency?: string;
  /** How many sale records the board remembers (oldest finished ones are evicted). Default 200. */
  readonly saleRecordCapacity?: number;
}

/** Why the board refuses a command: these are the protocol's ERR codes (docs/dispenser-protocol.md §6). */
export type RefusalCode = "NOPOINT" | "BUSY" | "FAULT" | "GRADE" | "CURRENCY" | "LIMIT" | "DONE";

export type ModelResult = { readonly ok: true } | { readonly ok: false; readonly code: RefusalCode; readonly message: string };

/** Point-level events (the `link` event belongs to drivers, not to the board). */
export type PointEvent = Exclude<DispenserEvent, { type: "link" }>;

interface Delivery {
  readonly transactionId: string;
  readonly limitMinor: number;
  readonly requestedGradeId?: string;
  gradeId?: string;
  unitPriceMinor?: number;
  milli: number;
  amountMinor: number;
  started: boolean;
}

interface Point {
  readonly id: PointId;
  readonly gradeIds: readonly string[];
  state: Exclude<PointState, "offline">;
  nozzleUp: boolean;
  nozzleGradeId?: string;
  delivery?: Delivery;
  /** Metering past the limit before the board cuts off (hardware overrun fault); 0 = exact. */
  overrunMilli: number;
}

const OK: ModelResult = { ok: true };
const refuse = (code: RefusalCode, message: string): ModelResult => ({ ok: false, code, message });

/** Largest quantity whose price (rounded half up) stays within the limit. */
export function limitMilliFor(limitMinor: number, unitPriceMinor: number): number {
  if (unitPriceMinor <= 0) return Number.MAX_SAFE_INTEGER;
  return Math.floor((limitMinor * 1000 + 499) / unitPriceMinor);
}

export class PointModel {
  readonly currency: string;
  private readonly grades = new Map<string, Grade>();
  private readonly points = new Map<PointId, Point>();
  private readonly records = new Map<string, SaleRecord>();
  private readonly capacity: number;
  private readonly listeners = new Set<(e: PointEvent) => void>();

  constructor(options: PointModelOptions) {
    this.currency = options.currency ?? "SEK";
    this.capacity = options.saleRecordCapacity ?? 200;
    for (const g of options.grades) this.grades.set(g.id, g);
    const allGrades = options.grades.map((g) => g.id);
    const configs: readonly PointConfig[] =
      typeof options.points === "number"
        ? Array.from({ length: options.points }, (_, i) => ({ id: i + 1, gradeIds: allGrades }))
        : options.points;
    for (const c of configs) {
      this.points.set(c.id, { id: c.id, gradeIds: c.gradeIds, state: "idle", nozzleUp: false, overrunMilli: 0 });
    }
  }

  onEvent(listener: (e: PointEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  pointIds(): PointId[] {
    return [...this.points.keys()];
  }

  gradeList(): Grade[] {
    return [...this.grades.values()];
  }

  setUnitPrice(gradeId: string, unitPriceMinor: number): void {
    const g = this.grades.get(gradeId);
    if (g) this.grades.set(gradeId, { ...g, unitPriceMinor });
  }

  setOverrun(point: PointId, milli: number): void {
    const p = this.points.get(point);
    if (p) p.overrunMilli = Math.max(0, Math.floor(milli));
  }

  status(): PointStatus[] {
    return [...this.points.values()].map((p) => ({
      point: p.id,
      state: p.state,
      nozzleUp: p.nozzleUp,
      ...(p.delivery
        ? { transactionId: p.delivery.transactionId, milli: p.delivery.milli, amountMinor: p.delivery.amountMinor }
        : {}),
    }));
  }

  /** The transaction currently delivering (nozzle up and authorized) on a point, if any. */
  deliveringOn(point: PointId): string | undefined {
    const p = this.points.get(point);
    return p?.state === "delivering" ? p.delivery?.transactionId : undefined;
  }

  saleRecord(transactionId: string): SaleRecord | undefined {
    return this.records.get(transactionId);
  }

  saleRecords(): SaleRecord[] {
    return [...this.records.values()];
  }

  // ---- commands from the agent -------------------------------------------------------------

  authorize(cmd: AuthorizeCommand): ModelResult {
    const p = this.points.get(cmd.point);
    if (!p) return refuse("NOPOINT", `no point ${cmd.point}`);
    const existing = this.records.get(cmd.transactionId);
    if (existing) {
      // Idempotent: the same transaction id again (a retry after a lost answer) is not a new sale.
      if (existing.point !== cmd.point) return refuse("BUSY", `transaction ${cmd.transactionId} belongs to point ${existing.point}`);
      if (existing.state === "finished") return refuse("DONE", `transaction ${cmd.transactionId} already finished`);
      return OK;
    }
    if (p.state === "fault") return refuse("FAULT", `point ${p.id} is in fault`);
    if (p.state === "authorized" || p.state === "delivering") {
      return refuse("BUSY", `point ${p.id} busy with ${p.delivery?.transactionId ?? "another sale"}`);
    }
    if (cmd.currency !== this.currency) return refuse("CURRENCY", `currency ${cmd.currency} not accepted (board uses ${this.currency})`);
    if (!Number.isSafeInteger(cmd.limitMinor) || cmd.limitMinor <= 0) return refuse("LIMIT", `limit must be a positive integer, got ${cmd.limitMinor}`);
    if (cmd.gradeId !== undefined && !p.gradeIds.includes(cmd.gradeId)) return refuse("GRADE", `point ${p.id} has no grade ${cmd.gradeId}`);
    p.delivery = {
      transactionId: cmd.transactionId,
      limitMinor: cmd.limitMinor,
      ...(cmd.gradeId !== undefined ? { requestedGradeId: cmd.gradeId } : {}),
      milli: 0,
      amountMinor: 0,
      started: false,
    };
    // A customer already waiting with the nozzle in hand starts at once; a nozzle still up after
    // the previous sale ("finished") must be hung up and lifted again first.
    const waitingWithNozzle = p.nozzleUp && p.state === "calling";
    p.state = "authorized";
    this.putRecord(p, p.delivery, "authorized");
    if (waitingWithNozzle) this.startFlow(p);
    return OK;
  }

  /** Stops an authorization or a delivery. Stopping an idle point is a no-op (idempotent). */
  stop(point: PointId): ModelResult {
    const p = this.points.get(point);
    if (!p) return refuse("NOPOINT", `no point ${point}`);
    if (p.state === "authorized" || p.state === "delivering") this.end(p, "stopped");
    else if (p.state === "calling") p.state = p.nozzleUp ? "calling" : "idle";
    return OK;
  }

  hasPoint(point: PointId): boolean {
    return this.points.has(point);
  }

  // ---- the forecourt side (customer, hydraulics, faults) ---------------------------------------

  customerCall(point: PointId, opts: { presetMinor?: number; gradeId?: string } = {}): ModelResult {
    const p = this.points.get(point);
    if (!p) return refuse("NOPOINT", `no point ${point}`);
    if (p.state === "authorized" || p.state === "delivering") return refuse("BUSY", `point ${point} is busy`);
    if (p.state === "fault") return refuse("FAULT", `point ${point} is in fault`);
    p.state = "calling";
    p.delivery = undefined;
    this.emit({
      type: "call",
      point,
      ...(opts.gradeId !== undefined ? { gradeId: opts.gradeId } : {}),
      ...(opts.presetMinor !== undefined ? { presetMinor: opts.presetMinor } : {}),
    });
    return OK;
  }

  /** Nozzle lifted (cable plugged). On an idle point that is a customer call. */
  liftNozzle(point: PointId, gradeId?: string): ModelResult {
    const p = this.points.get(point);
    if (!p) return refuse("NOPOINT", `no point ${point}`);
    if (gradeId !== undefined && !p.gradeIds.includes(gradeId)) return refuse("GRADE", `point ${point} has no grade ${gradeId}`);
    if (p.nozzleUp) return OK;
    p.nozzleUp = true;
    p.nozzleGradeId = gradeId ?? p.gradeIds[0];
    this.emit({ type: "nozzle", point, up: true, ...(p.nozzleGradeId !== undefined ? { gradeId: p.nozzleGradeId } : {}) });
    if (p.state === "authorized") this.startFlow(p);
    else if (p.state === "idle" || p.state === "finished") {
      p.state = "idle";
      this.customerCall(point, p.nozzleGradeId !== undefined ? { gradeId: p.nozzleGradeId } : {});
    }
    return OK;
  }

  /** Nozzle hung up (cable unplugged): ends a delivery that had started. */
  hangUp(point: PointId): ModelResult {
    const p = this.points.get(point);
    if (!p) return refuse("NOPOINT", `no point ${point}`);
    if (!p.nozzleUp) return OK;
    p.nozzleUp = false;
    this.emit({ type: "nozzle", point, up: false, ...(p.nozzleGradeId !== undefined ? { gradeId: p.nozzleGradeId } : {}) });
    p.nozzleGradeId = undefined;
    if (p.state === "delivering") this.end(p, "nozzle-down");
    else if (p.state === "finished" || p.state === "calling") p.state = "idle";
    return OK;
  }

  /**
   * Meters `milli` more on a delivering point. Stops at the limit (plus the point's overrun, if a
   * fault was injected) and ends the delivery with reason "limit". Returns the quantity metered.
   */
  deliver(point: PointId, milli: number): number {
    const p = this.points.get(point);
    const d = p?.delivery;
    if (!p || !d || p.state !== "delivering" || d.unitPriceMinor === undefined) return 0;
    const cap = limitMilliFor(d.limitMinor, d.unitPriceMinor) + p.overrunMilli;
    const add = Math.max(0, Math.min(Math.floor(milli), cap - d.milli));
    d.milli += add;
    d.amountMinor = priceOf(d.milli, d.unitPriceMinor);
    this.putRecord(p, d, "delivering");
    if (add > 0) this.emit({ type: "progress", point, transactionId: d.transactionId, milli: d.milli, amountMinor: d.amountMinor });
    if (d.milli >= cap) this.end(p, "limit");
    return add;
  }

  /** No flow for the stall time: the board gives up on the delivery. */
  stall(point: PointId): void {
    const p = this.points.get(point);
    if (p?.state === "delivering") this.end(p, "stall");
  }

  fault(point: PointId | null, code: string, message: string): void {
    const p = point === null ? undefined : this.points.get(point);
    const tx = p?.delivery && (p.state === "authorized" || p.state === "delivering") ? p.delivery.transactionId : undefined;
    this.emit({ type: "fault", point, code, message, ...(tx !== undefined ? { transactionId: tx } : {}) });
    if (!p) return;
    if (p.state === "authorized" || p.state === "delivering") this.end(p, "fault");
    p.state = "fault";
  }

  clearFault(point: PointId): void {
    const p = this.points.get(point);
    if (p?.state === "fault") p.state = "idle";
  }

  // ---- internals ------------------------------------------------------------------------------

  private startFlow(p: Point): void {
    const d = p.delivery;
    if (!d) return;
    const gradeId = d.requestedGradeId ?? p.nozzleGradeId ?? p.gradeIds[0];
    const grade = gradeId === undefined ? undefined : this.grades.get(gradeId);
    if (!grade) {
      this.fault(p.id, "GRADE", `point ${p.id} has no usable grade`);
      return;
    }
    d.gradeId = grade.id;
    d.unitPriceMinor = grade.unitPriceMinor;
    d.started = true;
    p.state = "delivering";
    this.putRecord(p, d, "delivering");
  }

  private end(p: Point, reason: DeliveryEndReason): void {
    const d = p.delivery;
    if (!d) return;
    const gradeId = d.gradeId ?? d.requestedGradeId ?? p.gradeIds[0] ?? "";
    const unitPriceMinor = d.unitPriceMinor ?? this.grades.get(gradeId)?.unitPriceMinor ?? 0;
    p.state = p.nozzleUp ? "finished" : "idle";
    p.delivery = undefined;
    this.putRecord(p, { ...d, gradeId, unitPriceMinor }, "finished", reason);
    this.emit({
      type: "end",
      point: p.id,
      transactionId: d.transactionId,
      gradeId,
      milli: d.milli,
      amountMinor: d.amountMinor,
      unitPriceMinor,
      reason,
    });
  }

  private putRecord(p: Point, d: Delivery, state: SaleRecord["state"], reason?: DeliveryEndReason): void {
    this.records.delete(d.transactionId); // re-insert: Map order is then "least recently touched first"
    this.records.set(d.transactionId, {
      transactionId: d.transactionId,
      point: p.id,
      state,
      ...(d.gradeId !== undefined ? { gradeId: d.gradeId } : {}),
      milli: d.milli,
      amountMinor: d.amountMinor,
      ...(d.unitPriceMinor !== undefined ? { unitPriceMinor: d.unitPriceMinor } : {}),
      limitMinor: d.limitMinor,
      ...(reason !== undefined ? { reason } : {}),
    });
    while (this.records.size > this.capacity) {
      const oldest = [...this.records.values()].find((r) => r.state === "finished");
      if (!oldest) break;
      this.records.delete(oldest.transactionId);
    }
  }

  private emit(e: PointEvent): void {
    for (const l of [...this.listeners]) l(e);
  }
}
