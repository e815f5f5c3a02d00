// The terminal lifecycle as the technician drives it from the station: register (the new
// terminal sells once the engine is swapped), unregister (refused while anything still needs the
// terminal; the point stopped first, in the same turn as the check), assign a Glase ID (the kiosk
// shows the sticker). Apart from the station (station.ts), which owns the engine these swap.
import { AgentError } from "../../base/errors.ts";
import type { AgentConfig } from "../config/schema.ts";
import type { PaymentEngine } from "../engine-api.ts";
import { isLinkAlarm } from "./link-alarms.ts";
import { pointAlarm } from "./point-alarms.ts";
import type { StationAlarms } from "./station-alarms.ts";
import type { StationParts } from "./station-parts.ts";
import type { PointRegistration } from "./terminals.ts";
import { assertNothingNeedsTerminal } from "./unregister-guard.ts";

/** What the terminal lifecycle needs of the station. */
export interface TerminalLifecycleHost {
  readonly parts: StationParts;
  engineRef(): PaymentEngine | undefined;
  /** Points a technician stopped (kept across engine swaps). */
  readonly stopped: ReadonlyMap<number, unknown>;
  readonly own: StationAlarms;
  restartEngine(config: AgentConfig, drainMs: number): Promise<void>;
  raiseStartAlarm(alarm: { readonly point?: number; readonly code: string; readonly message: string }): void;
}

export class StationTerminals {
  constructor(private readonly station: TerminalLifecycleHost) {}

  private get parts(): StationParts {
    return this.station.parts;
  }

  private get engineRef(): PaymentEngine | undefined {
    return this.station.engineRef();
  }

  private get stopped(): ReadonlyMap<number, unknown> {
    return this.station.stopped;
  }

  private get own(): StationAlarms {
    return this.station.own;
  }

  private restartEngine(config: AgentConfig, drainMs: number): Promise<void> {
    return this.station.restartEngine(config, drainMs);
  }

  private raiseStartAlarm(alarm: { readonly point?: number; readonly code: string; readonly message: string }): void {
    this.station.raiseStartAlarm(alarm);
  }

  async registerTerminal(point: number, opts: { readonly name?: string; readonly externalTerminalId?: string }) {
    const result = await this.parts.terminals.register(point, opts).catch(async (err: unknown) => {
      await this.refreshPointAlarm(point); // a lost answer is an alarm now, not at the next reload
      throw err;
    });
    // The new terminal takes customers once the engine knows it.
    await this.restartEngine(this.parts.config, 5_000);
    return result;
  }

  async unregisterTerminal(point: number): Promise<void> {
    // A refund or reconciliation of the point's terminal, running or parked, needs it too (review
    // 3 #6). Asked first: the awaits below this line must not split the busy check from the stop.
    const snapTerminal = this.engineRef?.snapshot().points.find((p) => p.point === point)?.terminalId;
    const reg = snapTerminal ? undefined : await this.parts.terminals.registration(point).catch(() => undefined);
    await assertNothingNeedsTerminal(this.parts.engineBase.journal, point, snapTerminal || (reg?.kind === "registered" ? reg.credentials.terminalId : undefined));
    const engine = this.engineRef;
    const state = engine?.snapshot().points.find((p) => p.point === point)?.state;
    if (state !== undefined && state !== "idle" && state !== "stopped") {
      throw new AgentError("CONFLICT", `point ${point} is busy; stop it and wait until it is idle`, { point });
    }
    // Stopped first, in the same turn as the check: no customer can start on a terminal that is
    // being unregistered while Glase answers. A point a technician had stopped stays stopped.
    const wasStopped = state === "stopped" || this.stopped.has(point);
    if (engine && state !== undefined && !wasStopped) await engine.stopPoint(point);
    const resume = async () => {
      if (engine && state !== undefined && !wasStopped && this.engineRef === engine) await engine.resumePoint(point).catch(() => undefined);
    };
    await this.parts.terminals.unregister(point).catch(async (err: unknown) => {
      await resume();
      // An unregister in doubt takes the point out of service (with its alarm) at once.
      if ((await this.parts.terminals.registration(point).catch(() => undefined))?.kind === "unregistering") await this.restartEngine(this.parts.config, 5_000);
      throw err;
    });
    await resume();
    await this.restartEngine(this.parts.config, 5_000);
  }

  /** Re-reads a point's registration and replaces its start alarm (the engine keeps running). */
  private async refreshPointAlarm(point: number): Promise<void> {
    const reg = await this.parts.terminals.registration(point).catch((): PointRegistration | undefined => undefined);
    if (!reg) return;
    this.own.forgetPoint(point);
    if (reg.kind !== "registered" && reg.kind !== "unregistered") this.raiseStartAlarm(pointAlarm(point, reg));
    this.own.sync(isLinkAlarm);
  }

  async assignGlaseId(point: number, glaseId: string): Promise<void> {
    await this.parts.terminals.assignGlaseId(point, glaseId);
    // A kiosk shows the sticker to scan (a config terminal stores none: shown until the next engine
    // start). Glase moves a sticker to the terminal it is assigned to: no other point names it now.
    const kiosk = this.parts.kiosk;
    if (!kiosk) return;
    for (const p of this.parts.config.points) {
      if (p.id !== point && (await this.parts.terminals.storedGlaseId(p.id)) === glaseId) kiosk.setGlaseId(p.id, undefined);
    }
    kiosk.setGlaseId(point, glaseId);
  }
}
