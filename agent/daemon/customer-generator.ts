// Customers for the simulated station: at each idle point a customer arrives now and then
// (exponential inter-arrival times, mean from the config), calls at the pump — with a preset
// amount or not — and, once the agent authorizes the pump (the embedded simulator's auto customer
// has confirmed in the app by then), lifts the nozzle and fuels/charges a random amount up to
// what was reserved. A few walk away after reserving (nothing delivered → the invoice is cancelled).
import type { PointId } from "../../drivers/dispenser/contract.ts";
import type { VirtualController } from "./simulation.ts";
import type { Scheduler } from "../core/clock.ts";
import type { Logger } from "../log.ts";
import type { AgentConfig, SimulationConfig } from "../config/schema.ts";

export interface CustomerGeneratorOptions {
  readonly controller: VirtualController;
  readonly config: AgentConfig;
  readonly settings: SimulationConfig["customers"];
  /** Simulation clock (time scale applies). */
  readonly scheduler: Scheduler;
  /** True when the point can take a customer (engine shows it idle). */
  readonly pointIdle: (point: PointId) => boolean;
  readonly logger: Logger;
  readonly random?: () => number;
}

interface Visit {
  readonly presetMinor?: number;
  readonly targetMinor: number;
  readonly walkAway: boolean;
  readonly gradeId: string;
}

export class CustomerGenerator {
  private readonly visits = new Map<PointId, Visit>();
  private readonly cancels: Array<() => void> = [];
  private readonly random: () => number;
  private stopped = false;
  served = 0;

  constructor(private readonly o: CustomerGeneratorOptions) {
    this.random = o.random ?? Math.random;
  }

  start(): void {
    this.cancels.push(
      this.o.controller.onEvent((e) => {
        if (e.type === "request" && e.request.verb === "AUTH") this.onAuthorized(e.request.point, e.request.limitMinor);
        if (e.type === "end") {
          this.visits.delete(e.point);
          // A delivery that stopped at the limit (or was stopped) leaves the nozzle up: hang up.
          const point = e.point;
          if (e.reason !== "nozzle-down") this.cancels.push(this.o.scheduler.setTimer(1_000, () => this.o.controller.hangUp(point)));
        }
      }),
    );
    for (const p of this.o.config.points) if (p.kind !== "kiosk") this.scheduleArrival(p.id);
  }

  /**
   * No new customers from now on (SIGTERM); those already at a pump go on — they lift the nozzle
   * when authorized and finish fuelling — so the agent's drain ends with their sale settled.
   */
  stopArrivals(): void {
    this.stopped = true;
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.cancels.splice(0)) c();
  }

  private scheduleArrival(point: PointId): void {
    if (this.stopped) return;
    const meanMs = this.o.settings.meanIntervalS * 1000;
    const delay = -Math.log(1 - this.random()) * meanMs;
    this.cancels.push(this.o.scheduler.setTimer(delay, () => this.arrive(point)));
  }

  private arrive(point: PointId): void {
    if (this.stopped) return;
    const cfg = this.o.config.points.find((p) => p.id === point)!;
    // A customer who finds the pump busy (or the previous one still there) drives on.
    if (!this.visits.has(point) && this.o.pointIdle(point)) {
      const s = this.o.settings;
      const span = s.maxAmountMinor - s.minAmountMinor;
      const targetMinor = Math.min(cfg.maxPreliminaryMinor, s.minAmountMinor + Math.floor(this.random() * (span + 1)));
      const preset = this.random() < s.presetShare;
      const gradeId = cfg.grades[Math.floor(this.random() * cfg.grades.length)]!;
      const visit: Visit = { targetMinor, walkAway: this.random() < s.walkAwayShare, gradeId, ...(preset ? { presetMinor: targetMinor } : {}) };
      this.visits.set(point, visit);
      this.o.logger.info("customer-arrives", { point, grade: gradeId, preset: visit.presetMinor ?? "none", walkAway: visit.walkAway });
      this.o.controller.customerCall(point, { gradeId, ...(visit.presetMinor !== undefined ? { presetMinor: visit.presetMinor } : {}) });
      // If nothing happens (Glase offline, point stopped), the customer leaves after a while.
      this.cancels.push(
        this.o.scheduler.setTimer(10 * 60_000, () => {
          if (this.visits.get(point) === visit) this.visits.delete(point);
        }),
      );
    }
    this.scheduleArrival(point);
  }

  private onAuthorized(point: PointId, limitMinor: number): void {
    const visit = this.visits.get(point);
    if (!visit || visit.walkAway) {
      if (visit) this.cancels.push(this.o.scheduler.setTimer(5_000, () => this.visits.delete(point)));
      return;
    }
    const grade = this.gradePrice(visit.gradeId);
    const amount = Math.min(visit.targetMinor, limitMinor);
    // Litres/kWh in thousandths for that amount; a preset customer lets the pump stop at the limit.
    const volumeMilli = Math.max(1, Math.floor((amount * 1000) / grade));
    this.cancels.push(
      this.o.scheduler.setTimer(1_500, () => {
        this.served++;
        this.o.controller.liftNozzle(point, { gradeId: visit.gradeId, ...(visit.presetMinor === undefined ? { volumeMilli } : {}) });
      }),
    );
  }

  private gradePrice(gradeId: string): number {
    const d = this.o.config.devices.dispenser;
    const g = d.kind === "virtual" ? d.grades.find((x) => x.id === gradeId) : undefined;
    return g?.unitPriceMinor ?? 2000;
  }
}
