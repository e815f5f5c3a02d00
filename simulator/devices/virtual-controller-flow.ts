// The hydraulics and the customers of the virtual controller: while a point is delivering, fuel
// (or energy) flows at the configured rate on the scheduler's clock; a customer may stop at a
// target volume and hang up; a stalled point stops flowing and the board ends the delivery after
// its stall timeout; in "auto customer" mode every authorization is followed by a nozzle lift,
// a delivery and a hang-up without the test doing anything (crash tests, `npm start`).
import type { Scheduler } from "../../base/clock.ts";
import type { PointId } from "../../contracts/dispenser.ts";
import type { PointEvent, PointModel } from "../../drivers/dispenser/point-model.ts";

export type AutoCustomer =
  | { readonly volumeMilli: number; readonly liftAfterMs?: number; readonly gradeId?: string }
  | { readonly untilLimit: true; readonly liftAfterMs?: number; readonly gradeId?: string };

export interface FlowOptions {
  /** Thousandths of a unit per second (ml/s, Wh/s). Default 600 (36 L/min). */
  readonly flowRateMilliPerSec?: number;
  /** Progress tick (ms). Default 250. */
  readonly tickMs?: number;
  /** No flow for this long ends a delivery with reason "stall" (ms). Default 10000. */
  readonly stallTimeoutMs?: number;
}

interface PointFlow {
  /** Customer hangs up when this much was metered. */
  targetMilli?: number;
  stalled: boolean;
  lastFlowAt: number;
  /** Fractional thousandths carried between ticks so the rate is exact over time. */
  carry: number;
}

export class FlowEngine {
  private readonly rate: number;
  private readonly tickMs: number;
  private readonly stallTimeoutMs: number;
  private readonly flows = new Map<PointId, PointFlow>();
  private auto: AutoCustomer | undefined;
  private cancelTick: (() => void) | undefined;
  private lastTickAt: number;
  private readonly pendingTimers = new Set<() => void>();
  private readonly rates = new Map<PointId, number>();

  constructor(
    private readonly model: PointModel,
    private readonly scheduler: Scheduler,
    options: FlowOptions = {},
  ) {
    this.rate = options.flowRateMilliPerSec ?? 600;
    this.tickMs = options.tickMs ?? 250;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 10_000;
    this.lastTickAt = scheduler.now();
    model.onEvent((e) => this.onModelEvent(e));
  }

  setAutoCustomer(auto: AutoCustomer | undefined): void {
    this.auto = auto;
  }

  setFlowRate(point: PointId, milliPerSec: number): void {
    this.rates.set(point, milliPerSec);
  }

  /** The customer will hang up once `milli` has been metered (undefined: until the limit). */
  setTarget(point: PointId, milli: number | undefined): void {
    this.flow(point).targetMilli = milli;
  }

  stall(point: PointId, stalled: boolean): void {
    const f = this.flow(point);
    f.stalled = stalled;
    f.lastFlowAt = this.scheduler.now();
  }

  /** Called after anything that may have started a delivery (commands, script steps). */
  kick(): void {
    if (this.cancelTick || !this.anyDelivering()) return;
    this.lastTickAt = this.scheduler.now();
    this.cancelTick = this.scheduler.setTimer(this.tickMs, () => this.tick());
  }

  /** Cancels every timer (controller closing). */
  dispose(): void {
    this.cancelTick?.();
    this.cancelTick = undefined;
    for (const c of this.pendingTimers) c();
    this.pendingTimers.clear();
  }

  private tick(): void {
    this.cancelTick = undefined;
    const now = this.scheduler.now();
    const dt = now - this.lastTickAt;
    this.lastTickAt = now;
    for (const point of this.model.pointIds()) {
      if (this.model.deliveringOn(point) === undefined) continue;
      const f = this.flow(point);
      if (f.stalled) {
        if (now - f.lastFlowAt >= this.stallTimeoutMs) this.model.stall(point);
        continue;
      }
      const exact = ((this.rates.get(point) ?? this.rate) * dt) / 1000 + f.carry;
      let milli = Math.floor(exact);
      f.carry = exact - milli;
      const metered = this.meteredOn(point);
      if (f.targetMilli !== undefined) milli = Math.min(milli, Math.max(0, f.targetMilli - metered));
      if (milli > 0) {
        this.model.deliver(point, milli);
        f.lastFlowAt = now;
      }
      if (f.targetMilli !== undefined && this.meteredOn(point) >= f.targetMilli && this.model.deliveringOn(point) !== undefined) {
        this.model.hangUp(point);
      }
    }
    this.kick();
  }

  private meteredOn(point: PointId): number {
    return this.model.status().find((s) => s.point === point)?.milli ?? 0;
  }

  private anyDelivering(): boolean {
    return this.model.pointIds().some((p) => this.model.deliveringOn(p) !== undefined);
  }

  private flow(point: PointId): PointFlow {
    let f = this.flows.get(point);
    if (!f) {
      f = { stalled: false, lastFlowAt: this.scheduler.now(), carry: 0 };
      this.flows.set(point, f);
    }
    return f;
  }

  private later(ms: number, fn: () => void): void {
    const cancel = this.scheduler.setTimer(ms, () => {
      this.pendingTimers.delete(cancel);
      fn();
    });
    this.pendingTimers.add(cancel);
  }

  private onModelEvent(e: PointEvent): void {
    if (e.type === "end") {
      const f = this.flow(e.point);
      f.stalled = false;
      f.targetMilli = undefined;
      f.carry = 0;
      // An automatic customer (or one who reached the limit) puts the nozzle back.
      if (this.auto) this.later(0, () => this.model.hangUp(e.point));
    }
  }

  /** The board accepted an AUTH: an automatic customer walks up and lifts the nozzle. */
  onAuthorized(point: PointId): void {
    const auto = this.auto;
    if (auto) {
      this.later(auto.liftAfterMs ?? 0, () => {
        if ("volumeMilli" in auto) this.setTarget(point, auto.volumeMilli);
        this.model.liftNozzle(point, auto.gradeId);
        this.kick();
      });
    }
    this.kick();
  }
}
