// Customers for the simulated station: at each idle point a customer arrives now and then
// (exponential inter-arrival times, mean from the config), calls at the pump or plugs in — with a
// preset amount or not — and, once the agent authorizes the point (the embedded simulator's auto
// customer has confirmed in the app by then), fuels/charges a random amount up to what was
// reserved. A few walk away after reserving (nothing delivered → the invoice is cancelled). Each
// virtual twin says how its kind of point is used (CustomerSite): the board's pumps, OCPP chargers.
import type { Grade, PointId } from "../../contracts/dispenser.ts";
import type { CustomerSite } from "../../drivers/driver-module.ts";
import type { Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import type { AgentConfig, SimulationConfig } from "../config/schema.ts";

export interface CustomerGeneratorOptions {
  readonly sites: readonly CustomerSite[];
  readonly config: AgentConfig;
  /** Prices of the grades, to turn an amount into a quantity. */
  readonly grades: readonly Grade[];
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
    for (const site of this.o.sites) {
      this.cancels.push(
        site.onAuthorized((point, limitMinor) => this.onAuthorized(site, point, limitMinor)),
        site.onEnd((point) => this.visits.delete(point)),
      );
      for (const point of site.points) if (this.o.config.points.some((p) => p.id === point && p.kind !== "kiosk")) this.scheduleArrival(site, point);
    }
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

  private scheduleArrival(site: CustomerSite, point: PointId): void {
    if (this.stopped) return;
    const meanMs = this.o.settings.meanIntervalS * 1000;
    const delay = -Math.log(1 - this.random()) * meanMs;
    this.cancels.push(this.o.scheduler.setTimer(delay, () => this.arrive(site, point)));
  }

  private arrive(site: CustomerSite, point: PointId): void {
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
      site.arrive(point, { gradeId, ...(visit.presetMinor !== undefined ? { presetMinor: visit.presetMinor } : {}) });
      // If nothing happens (Glase offline, point stopped), the customer leaves after a while.
      this.cancels.push(
        this.o.scheduler.setTimer(10 * 60_000, () => {
          if (this.visits.get(point) === visit) this.visits.delete(point);
        }),
      );
    }
    this.scheduleArrival(site, point);
  }

  private onAuthorized(site: CustomerSite, point: PointId, limitMinor: number | undefined): void {
    const visit = this.visits.get(point);
    if (!visit || visit.walkAway) {
      // A walk-away leaves the point (a charger's cable is unplugged before the session starts).
      if (visit) this.cancels.push(this.o.scheduler.setTimer(500, () => site.leave(point)), this.o.scheduler.setTimer(5_000, () => this.visits.delete(point)));
      return;
    }
    const grade = this.gradePrice(visit.gradeId);
    const amount = Math.min(visit.targetMinor, limitMinor ?? visit.targetMinor);
    // Litres/kWh in thousandths for that amount; a preset customer lets the pump stop at the limit.
    const volumeMilli = Math.max(1, Math.floor((amount * 1000) / grade));
    this.cancels.push(
      this.o.scheduler.setTimer(1_500, () => {
        this.served++;
        site.deliver(point, { gradeId: visit.gradeId, ...(visit.presetMinor === undefined ? { milli: volumeMilli } : {}) });
      }),
    );
  }

  private gradePrice(gradeId: string): number {
    return this.o.grades.find((g) => g.id === gradeId)?.unitPriceMinor ?? 2000;
  }
}
