// A bound on the log lines one charger can cause: per key (a charger id and an event), the first
// PER_WINDOW lines of each minute are written, the rest counted and reported on the next line
// written (`suppressed`). Keys are the configured chargers' ids × a few events: bounded by the config.
import type { Scheduler } from "../../base/clock.ts";

const WINDOW_MS = 60_000;
const PER_WINDOW = 10;

export class LogThrottle {
  private readonly windows = new Map<string, { start: number; logged: number; suppressed: number }>();

  constructor(private readonly scheduler: Pick<Scheduler, "now">) {}

  /** undefined: do not log this one; else the fields to add to the line (how many were left out before it). */
  admit(key: string): { suppressed?: number } | undefined {
    const now = this.scheduler.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= WINDOW_MS) {
      const carried = w?.suppressed ?? 0;
      w = { start: now, logged: 0, suppressed: carried };
      this.windows.set(key, w);
    }
    if (w.logged >= PER_WINDOW) {
      w.suppressed++;
      return undefined;
    }
    w.logged++;
    const suppressed = w.suppressed;
    w.suppressed = 0;
    return suppressed > 0 ? { suppressed } : {};
  }
}
