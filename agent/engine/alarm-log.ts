// The engine's alarms: what flows raise (an `alarm` effect, a journal that failed), what a device
// reports (a fault), and the station's own (the clock watch, the kiosk host). Kept in memory (the
// daemon's alarm book, agent/alarms/book.ts, keeps their life cycle); each goes on the event stream
// and into its point's last alarms. A device repeating the same fault every poll is one alarm.
// Alarms that tell a technician to move money are also kept in the journal until acknowledged
// (agent/flows/kept-alarms.ts): `restore` raises them again at start (review 7 #1).
import type { Logger } from "../../base/log.ts";
import type { Journal } from "../journal/types.ts";
import type { FlowState } from "../core/transition.ts";
import type { AlarmInfo } from "../engine-api.ts";
import { raiseDeviceAlarm } from "../flows/device-money-alarms.ts";

/** The last alarms kept (ctl alarms shows them; the book keeps the rest). */
const KEPT = 500;
/** The same flowless alarm with the same text within this window is a repeat, not a new one. */
const REPEAT_WINDOW_MS = 60_000;

export type RaisedAlarm = { readonly point?: number; readonly flowId?: string; readonly code: string; readonly message: string };

export class EngineAlarms {
  private readonly kept: AlarmInfo[] = [];
  /** Device money alarms kept per flow by this process (device-money-alarms.ts bounds them). */
  private readonly keptPerFlow = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly now: () => number,
    private readonly logger: Logger,
    /** Tells the point the alarm names (its snapshot shows its last alarms). */
    private readonly onPoint: (point: number, alarm: AlarmInfo) => void,
    private readonly announce: (alarm: AlarmInfo) => void,
    /** Where a device's money alarms are kept (device-money-alarms.ts); none: memory only. */
    private readonly journal?: Journal,
  ) {}

  /** A device's alarm (a fault): one that moves money for a flow is kept in the journal too. */
  /** Resolves once a kept one is written (or its write failed, logged): the caller need not wait. */
  async raiseDevice(a: RaisedAlarm): Promise<void> {
    if (!this.journal) return this.raise(a);
    await raiseDeviceAlarm(a, { journal: this.journal, raise: (x) => this.raise(x), logger: this.logger, now: this.now, keptPerFlow: this.keptPerFlow });
  }

  /** A flow's alarm, or the station's own (no flow: the clock watch). */
  raiseAlarm(s: FlowState | undefined, code: string, message: string): void {
    this.raise({ ...(s && "point" in s && s.point !== undefined ? { point: s.point } : {}), ...(s ? { flowId: s.flowId } : {}), code, message });
  }

  raise(a: RaisedAlarm): void {
    const { point, code, message } = a;
    const last = this.kept.findLast((x) => x.code === code && x.point === point);
    if (a.flowId === undefined && last && last.message === message && this.now() - last.at < REPEAT_WINDOW_MS) return;
    const alarm: AlarmInfo = { id: `A${++this.seq}`, at: this.now(), ...a };
    this.kept.push(alarm);
    if (this.kept.length > KEPT) this.kept.shift();
    if (point !== undefined) this.onPoint(point, alarm);
    this.logger.warn("alarm", { code, flowId: a.flowId, point, message });
    this.announce(alarm);
  }

  /** At start: the kept alarms no technician has acknowledged yet are raised again (a finished flow's too). */
  async restore(journal: Journal): Promise<void> {
    for (const a of await journal.openAlarms()) this.raise({ ...(a.point !== undefined ? { point: a.point } : {}), flowId: a.flowId, code: a.code, message: a.message });
  }

  list(): AlarmInfo[] {
    return [...this.kept];
  }
}
