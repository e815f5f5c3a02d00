// The people in the world: a driver at a pump or charger (presses call, confirms in the app, lifts
// the nozzle, fuels at a rate, pauses, hangs up) and a kiosk buyer (scans and pays in the app).
// They act on the world clock and react to what the board and Glase do, never to the agent's
// internals: a customer told "authorized" fuels; one whose invoice vanished does nothing.
import type { PointId } from "../../drivers/dispenser/contract.ts";
import type { WorldClock } from "./clock.ts";
import type { DispenserModel, Tx } from "./dispenser-model.ts";
import type { GlaseModel, ModelInvoice } from "./glase-model.ts";

export type AppAction = "confirm" | "slow" | "reject" | "decline" | "never";

export interface AppPlan {
  readonly action: AppAction;
  /** After the invoice appears. */
  readonly afterMs: number;
}

export interface FuelPlan {
  readonly point: PointId;
  readonly presetMinor?: number;
  readonly app: AppPlan;
  /** After the board authorized; undefined = never lifts the nozzle. */
  readonly liftAfterMs?: number;
  /** Total the customer wants, in thousandths (ml / Wh). */
  readonly targetMilli: number;
  /** Flow per tick (ml or Wh) and tick length. */
  readonly perTickMilli: number;
  readonly tickMs: number;
  readonly hangUpAfterMs: number;
}

interface Script {
  readonly plan: FuelPlan;
  lifted: boolean;
  pausedUntil: number;
  tx?: Tx;
  done: boolean;
}

export class Customers {
  private readonly scripts = new Map<PointId, Script>();
  private readonly waitingApp = new Map<string, AppPlan[]>();
  /** How many app actions found an invoice to act on, per action (coverage). */
  readonly acted = new Map<string, number>();

  constructor(
    private readonly clock: WorldClock,
    private readonly glase: GlaseModel,
    private readonly board: DispenserModel,
    private readonly terminalOf: (point: PointId) => string,
  ) {
    glase.onInvoice = (inv) => this.onInvoice(inv);
  }

  busy(point: PointId): boolean {
    const s = this.scripts.get(point);
    return s !== undefined && !s.done;
  }

  /** A customer on a kiosk or a pump waits for the terminal's next invoice and acts on it (the one before gave up). */
  expectInvoice(terminalId: string, app: AppPlan): void {
    this.waitingApp.set(terminalId, [app]);
  }

  private onInvoice(inv: ModelInvoice): void {
    const queue = this.waitingApp.get(inv.terminalId);
    const app = queue?.shift();
    if (!app || app.action === "never") return;
    const t = inv.terminalId;
    this.clock.schedule(app.afterMs, () => {
      // The customer scans the sticker: whatever invoice the terminal shows now.
      const act = app.action === "slow" ? "begin" : (app.action as "confirm" | "reject" | "decline");
      if (!this.glase.customer(t, act)) return;
      this.acted.set(app.action, (this.acted.get(app.action) ?? 0) + 1);
      if (app.action === "slow") this.clock.schedule(6_000, () => void this.glase.customer(t, "confirm"), "customer");
    }, "customer");
  }

  /** A driver arrives at a pump/charger. No-op if the point already has one. */
  arrive(plan: FuelPlan): boolean {
    if (this.busy(plan.point)) return false;
    const s: Script = { plan, lifted: false, pausedUntil: 0, done: false };
    this.scripts.set(plan.point, s);
    this.expectInvoice(this.terminalOf(plan.point), plan.app);
    this.board.call(plan.point, plan.presetMinor);
    // A driver who is never authorized leaves after a while.
    this.clock.schedule(10 * 60_000, () => !s.tx && this.leave(s), "customer");
    return true;
  }

  /** The board authorized a sale on the point (hook from the dispenser model). */
  authorized(tx: Tx): void {
    const s = this.scripts.get(tx.point);
    if (!s || s.done || s.tx) return;
    s.tx = tx;
    if (s.plan.liftAfterMs === undefined) return this.leave(s);
    this.clock.schedule(s.plan.liftAfterMs, () => {
      if (s.done) return;
      this.board.lift(tx.point);
      s.lifted = true;
      this.tick(s);
    }, "customer");
  }

  /** The flow stops for a while (stalled hose, charger pause). */
  pause(point: PointId, ms: number): void {
    const s = this.scripts.get(point);
    if (s && !s.done) s.pausedUntil = Math.max(s.pausedUntil, this.clock.mono + ms);
  }

  /** Everyone finishes what they are doing (the end of a run). */
  finishAll(): void {
    for (const s of this.scripts.values()) if (!s.done) this.hangUpSoon(s, 0);
    this.waitingApp.clear();
  }

  private tick(s: Script): void {
    if (s.done) return;
    const tx = s.tx!;
    if (tx.state === "finished") return this.hangUpSoon(s, s.plan.hangUpAfterMs);
    if (tx.milli >= s.plan.targetMilli) return this.hangUpSoon(s, s.plan.hangUpAfterMs);
    if (this.clock.mono >= s.pausedUntil) this.board.meter(tx.point, Math.min(s.plan.perTickMilli, s.plan.targetMilli - tx.milli));
    this.clock.schedule(s.plan.tickMs, () => this.tick(s), "customer");
  }

  private hangUpSoon(s: Script, ms: number): void {
    if (s.done) return;
    s.done = true;
    this.clock.schedule(ms, () => this.board.hangUp(s.plan.point), "customer");
  }

  private leave(s: Script): void {
    s.done = true;
  }
}
