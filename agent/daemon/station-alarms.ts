// The station's own alarms (not a flow's): points whose credentials cannot be used, devices and
// parts that could not start, the shop password, the Invoice Service's settlements. Each goes into
// the station's alarm book (agent/alarms/book.ts); the ones a start re-checks are rebuilt at each
// engine start, and what a check no longer finds clears.
import type { Logger } from "../../base/log.ts";
import type { AlarmBook } from "../alarms/book.ts";
import type { AlarmInfo } from "../engine-api.ts";

export class StationAlarms {
  private raised: AlarmInfo[] = [];
  private seq = 0;

  constructor(
    private readonly book: AlarmBook,
    private readonly logger: Logger,
  ) {}

  /** The station-level alarms now open (shown on their points with the engine's). */
  get list(): readonly AlarmInfo[] {
    return this.raised;
  }

  /** A station-level alarm (not tied to a flow): shown in `ctl alarms`, on its point, in metrics and `watch`. */
  raise(alarm: { readonly point?: number; readonly code: string; readonly message: string }): void {
    const info: AlarmInfo = { id: `S${++this.seq}`, at: Date.now(), ...alarm };
    this.raised.push(info);
    this.logger.error("alarm", { code: info.code, point: info.point, message: info.message });
    this.book.raise({ origin: "station", code: info.code, message: info.message, ...(info.point !== undefined ? { point: info.point } : {}), at: info.at });
  }

  /**
   * An engine starts: alarms of parts opened once per process (devices, their records, Invoice Service, metrics)
   * outlive the swap; the credential alarms are dropped, to be raised again by the start's checks.
   */
  beforeChecks(): void {
    this.raised = this.raised.filter((a) => a.code.startsWith("device-") || a.code === "driver-records-orphaned" || a.code === "invoice-service-unavailable" || a.code === "metrics-unavailable");
  }

  /** A point's registration is checked again: its alarm (not its devices') is dropped. */
  forgetPoint(point: number): void {
    this.raised = this.raised.filter((a) => a.point !== point || a.code.startsWith("device-"));
  }

  /**
   * What the checks no longer found has been fixed: its alarm clears in the book — except codes
   * `others` names, which something else raises and clears (a controller's link, for one).
   */
  sync(others?: (code: string) => boolean): void {
    this.book.sync(this.raised, others);
  }
}
