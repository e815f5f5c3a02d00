// The station's points as the engine sees them: their configuration (checked: one terminal per
// point), whether a new customer may start on one now (admission), the flow that occupies it, a
// technician's durable stop, and the offline hold — after a flow ended "offline" (Glase could not
// be reached), the point refuses new customers for a while ("pay inside") instead of taking their
// call into a backend that is down.
import { AgentError } from "../../base/errors.ts";
import type { DispenserController } from "../../contracts/dispenser.ts";
import type { TerminalCredentials } from "../../contracts/glase/types.ts";
import type { FlowState } from "../core/transition.ts";
import type { AlarmInfo, PointConfig, PointSnapshot } from "../engine-api.ts";
import type { Journal } from "../journal/types.ts";
import { flowKind } from "../flows/kinds/registry.ts";
import type { FlowRunner } from "../flows/runner.ts";
import { type PointRuntime, pointSnapshot } from "../flows/snapshot.ts";

/** How long the offline hold lasts, in retry periods (settings.retryMaxMs). */
const OFFLINE_HOLD_FACTOR = 2;
/** The last alarms a point snapshot shows. */
const POINT_ALARMS = 20;

export class StationPoints {
  private readonly byId = new Map<number, PointRuntime>();
  private readonly byTerminal = new Map<string, PointRuntime>();
  /** False until the engine started and after it stopped accepting: every customer is refused. */
  accepting = false;

  constructor(
    configs: readonly PointConfig[],
    private readonly now: () => number,
    private readonly retryMaxMs: number,
    private readonly dispenser: DispenserController | undefined,
    private readonly announce: (point: PointSnapshot) => void,
  ) {
    for (const p of configs) {
      if (this.byId.has(p.id)) throw new AgentError("CONFIG_INVALID", `point ${p.id} is configured twice`, { point: p.id });
      // A cash-register terminal holds one open invoice (§6.4): two points on one terminal would
      // supersede (cancel) each other's invoices.
      const other = this.byTerminal.get(p.terminal.terminalId);
      if (other !== undefined) {
        throw new AgentError("CONFIG_INVALID", `point ${other.config.id} and point ${p.id} use the same terminal ${p.terminal.terminalId}; every point needs its own terminal`, { points: [other.config.id, p.id] });
      }
      const runtime: PointRuntime = { config: p, stopped: false, offlineUntil: 0, alarms: [] };
      this.byTerminal.set(p.terminal.terminalId, runtime);
      this.byId.set(p.id, runtime);
    }
  }

  get(point: number): PointRuntime | undefined {
    return this.byId.get(point);
  }

  /** The point, or NOT_FOUND naming it. */
  require(point: number): PointRuntime {
    const p = this.byId.get(point);
    if (!p) throw new AgentError("NOT_FOUND", `no point ${point}`, { point });
    return p;
  }

  all(): IterableIterator<PointRuntime> {
    return this.byId.values();
  }

  /** The point a refund or reconciliation names, by point number or terminal id. */
  terminalFor(req: { readonly point?: number; readonly terminal?: string }): PointConfig {
    const found = [...this.byId.values()].find((p) => p.config.id === req.point || p.config.terminal.terminalId === req.terminal);
    if (!found) throw new AgentError("NOT_FOUND", `no point/terminal ${req.point ?? req.terminal}`, { ...req });
    return found.config;
  }

  terminal(terminalId: string): TerminalCredentials | undefined {
    return this.byTerminal.get(terminalId)?.config.terminal;
  }

  /** Why a new customer cannot start on this point now, or undefined if they can. */
  refusal(p: PointRuntime): string | undefined {
    if (!this.accepting) return "Closed";
    if (p.stopped) return "Out of service";
    if (p.active) return "Busy";
    if (this.now() < p.offlineUntil) return "Glase offline - pay inside";
    return undefined;
  }

  /** A flow of a kind that holds its point now occupies it. */
  occupy(runner: FlowRunner): void {
    const p = this.pointOf(runner.state);
    if (p && flowKind(runner.state).holdsPoint) p.active = runner;
  }

  /** The flow ended (or never started): its point is free again. */
  release(runner: FlowRunner): void {
    const p = this.pointOf(runner.state);
    if (p?.active === runner) p.active = undefined;
  }

  /** A flow that ended offline holds its point's new customers off for a while. */
  holdIfOffline(s: FlowState): void {
    if (s.outcome !== "offline") return;
    const p = this.pointOf(s);
    if (p) p.offlineUntil = this.now() + this.retryMaxMs * OFFLINE_HOLD_FACTOR;
  }

  /** Technician stops journaled before this start keep their points out of service. */
  restoreStopped(points: Iterable<number>): void {
    for (const id of points) {
      const p = this.byId.get(id);
      if (p) p.stopped = true;
    }
  }

  /** Takes a point out of service, durably; the flow on it is told by the engine. */
  async stop(point: number, journal: Journal): Promise<PointRuntime> {
    const p = this.require(point);
    p.stopped = true; // at once: no customer starts while the stop is written
    await journal.setPointStopped(point, true, this.now());
    return p;
  }

  /** Puts a stopped point back into service (durably: a restart does not stop it again). */
  async resume(point: number, journal: Journal): Promise<void> {
    const p = this.require(point);
    await journal.setPointStopped(point, false, this.now());
    p.stopped = false;
    this.changed(p);
  }

  noteAlarm(point: number, alarm: AlarmInfo): void {
    const p = this.byId.get(point);
    if (p) p.alarms = [...p.alarms.slice(-(POINT_ALARMS - 1)), alarm];
  }

  display(point: number, text: string): void {
    // A kiosk's screen is its controller's: it shows the sale's display (agent/kiosk/), not this.
    if (this.byId.get(point)?.config.kind === "kiosk") return;
    this.dispenser?.display(point, text).catch(() => undefined);
  }

  pointOf(s: FlowState): PointRuntime | undefined {
    return "point" in s && s.point !== undefined ? this.byId.get(s.point) : undefined;
  }

  changed(p: PointRuntime): void {
    this.announce(pointSnapshot(p, this.now()));
  }

  snapshots(): PointSnapshot[] {
    return [...this.byId.values()].map((p) => pointSnapshot(p, this.now()));
  }
}
