// The hydraulics and customers of the virtual PTS-2: while a pump fills, fuel flows at its rate on
// the scheduler's clock; a customer may hang up at a target volume; in "auto customer" mode every
// authorization is followed by a nozzle lift, a fill and a hang-up with nobody scripting it
// (`npm start`-style stations, end-to-end tests). A manual SimClock makes every millilitre
// deterministic; tests may also meter directly with VirtualPumps.deliver().
import type { Scheduler } from "../../base/clock.ts";
import type { VirtualPumps } from "./virtual-pts2-pumps.ts";

export type AutoCustomer = {
  readonly liftAfterMs?: number;
  /** Hang up after this much; undefined = fill until the dose stops the pump. */
  readonly volumeMilli?: number;
  /** Nozzle to lift (default: the authorized one, else 1). */
  readonly nozzle?: number;
};

export interface FlowOptions {
  /** ml per second. Default 600 (36 L/min). */
  readonly flowRateMilliPerSec?: number;
  /** Metering tick (ms). Default 100. */
  readonly tickMs?: number;
}

export class VirtualFlow {
  private readonly rate: number;
  private readonly tickMs: number;
  private readonly rates = new Map<number, number>();
  private readonly targets = new Map<number, number>();
  private readonly carry = new Map<number, number>();
  private readonly stalled = new Set<number>();
  private readonly timers = new Set<() => void>();
  private auto: AutoCustomer | undefined;
  private cancelTick: (() => void) | undefined;
  private lastTick: number;

  constructor(
    private readonly pumps: VirtualPumps,
    private readonly scheduler: Scheduler,
    options: FlowOptions = {},
  ) {
    this.rate = options.flowRateMilliPerSec ?? 600;
    this.tickMs = options.tickMs ?? 100;
    this.lastTick = scheduler.now();
    pumps.onChange(() => this.kick());
  }

  setFlowRate(pump: number, milliPerSec: number): void {
    this.rates.set(pump, milliPerSec);
  }

  /** The customer hangs up once this much was metered on the pump's current fill. */
  setTarget(pump: number, milli: number | undefined): void {
    if (milli === undefined) this.targets.delete(pump);
    else this.targets.set(pump, milli);
  }

  /** No flow (the customer pauses, or a pump fault): the fill stays open without progress. */
  setStalled(pump: number, stalled: boolean): void {
    if (stalled) this.stalled.add(pump);
    else this.stalled.delete(pump);
  }

  setAutoCustomer(auto: AutoCustomer | undefined): void {
    this.auto = auto;
  }

  /** The twin accepted an authorization: an automatic customer walks up. */
  onAuthorized(pump: number, nozzle: number): void {
    const auto = this.auto;
    if (!auto) return;
    this.later(auto.liftAfterMs ?? 0, () => {
      this.setTarget(pump, auto.volumeMilli);
      this.pumps.liftNozzle(pump, auto.nozzle ?? (nozzle || 1));
    });
  }

  dispose(): void {
    this.cancelTick?.();
    this.cancelTick = undefined;
    for (const c of this.timers) c();
    this.timers.clear();
  }

  private kick(): void {
    if (this.cancelTick || !this.anyFilling()) return;
    this.lastTick = this.scheduler.now();
    this.cancelTick = this.scheduler.setTimer(this.tickMs, () => this.tick());
  }

  private anyFilling(): boolean {
    for (const p of this.pumps.pumps.values()) if (p.current?.state === "Filling") return true;
    return false;
  }

  private tick(): void {
    this.cancelTick = undefined;
    const now = this.scheduler.now();
    const dt = now - this.lastTick;
    this.lastTick = now;
    for (const p of this.pumps.pumps.values()) {
      const t = p.current;
      if (t?.state !== "Filling" || this.stalled.has(p.id)) continue;
      const exact = ((this.rates.get(p.id) ?? this.rate) * dt) / 1000 + (this.carry.get(p.id) ?? 0);
      let milli = Math.floor(exact);
      this.carry.set(p.id, exact - milli);
      const target = this.targets.get(p.id);
      if (target !== undefined) milli = Math.min(milli, Math.max(0, target - t.milli));
      if (milli > 0) this.pumps.deliver(p.id, milli);
      const after = p.current;
      if (target !== undefined && after === t && t.milli >= target) {
        this.targets.delete(p.id);
        this.pumps.hangUp(p.id);
      }
      // An automatic customer puts the nozzle back once the pump stopped at the dose.
      if (this.auto && p.current?.state === "EndOfTransaction" && p.nozzleUp !== 0) this.later(0, () => this.pumps.hangUp(p.id));
    }
    this.kick();
  }

  private later(ms: number, fn: () => void): void {
    const cancel = this.scheduler.setTimer(ms, () => {
      this.timers.delete(cancel);
      fn();
    });
    this.timers.add(cancel);
  }
}
