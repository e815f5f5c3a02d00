// A logger for events an outsider can trigger at will (a dropped socket client, a refused
// notification): at most `burst` lines per event name in each `windowMs`, then one line saying
// how many were suppressed. Without it a hostile local user or an unauthenticated POST flood
// would turn into a journald flood, and the lines that matter would be rotated away.
import type { Logger } from "../base/log.ts";

type Level = "debug" | "info" | "warn" | "error";

export interface RateLimitedLogger {
  log(level: Level, event: string, fields?: Record<string, unknown>): void;
}

export function rateLimitedLogger(logger: Logger, opts: { readonly burst?: number; readonly windowMs?: number; readonly now?: () => number } = {}): RateLimitedLogger {
  const burst = opts.burst ?? 10;
  const windowMs = opts.windowMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const windows = new Map<string, { start: number; count: number; suppressed: number }>();
  return {
    log(level, event, fields = {}) {
      const t = now();
      let w = windows.get(event);
      if (!w || t - w.start >= windowMs) {
        if (w && w.suppressed > 0) logger.warn("log-suppressed", { event, suppressed: w.suppressed, windowMs });
        w = { start: t, count: 0, suppressed: 0 };
        windows.set(event, w);
      }
      if (w.count < burst) {
        w.count++;
        logger[level](event, fields);
      } else {
        w.suppressed++;
      }
    },
  };
}
