// The watchdog keep-alive is a statement that the agent works, so it is sent only when
//   - the event loop is responsive: our own tick arrived within `maxLagMs` of when it was due
//     (a blocked loop sends nothing at all; a loop that was blocked skips the first tick after), and
//   - the journal answers a cheap read within `probeTimeoutMs` (a wedged SQLite or a full disk
//     that stops the journal must get the agent restarted, not kept alive).
// WATCHDOG_USEC/WATCHDOG_PID come from systemd; we ping at half the interval, as sd_watchdog_enabled(3) advises.
import type { Logger } from "../../base/log.ts";
import type { Notifier } from "./notify.ts";

export interface HealthOptions {
  readonly notifier: Notifier;
  /** Cheap journal read (e.g. tail(1)); rejects or hangs when the journal is unhealthy. */
  readonly probe: () => Promise<unknown>;
  readonly intervalMs: number;
  readonly maxLagMs?: number;
  readonly probeTimeoutMs?: number;
  readonly logger: Logger;
}

export interface HealthMonitor {
  /** Event-loop lag of the last tick, ms. */
  readonly lastLagMs: number;
  readonly healthy: boolean;
  readonly pings: number;
  stop(): void;
}

/** Ping interval from systemd's environment, or undefined when the watchdog is off for us. */
export function watchdogIntervalMs(env: Readonly<Record<string, string | undefined>> = process.env, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(50, Math.floor(usec / 1000 / 2));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

export function startHealthMonitor(opts: HealthOptions): HealthMonitor {
  const maxLagMs = opts.maxLagMs ?? Math.max(250, opts.intervalMs / 2);
  const probeTimeoutMs = opts.probeTimeoutMs ?? Math.max(500, opts.intervalMs / 2);
  const state = { lastLagMs: 0, healthy: true, pings: 0 };
  let due = Date.now() + opts.intervalMs;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = async () => {
    const now = Date.now();
    state.lastLagMs = Math.max(0, now - due);
    due = now + opts.intervalMs;
    timer = setTimeout(() => void tick(), opts.intervalMs);
    let reason: string | undefined;
    if (state.lastLagMs > maxLagMs) reason = `event loop lag ${state.lastLagMs} ms`;
    else {
      try {
        await withTimeout(opts.probe(), probeTimeoutMs);
      } catch (e) {
        reason = `journal probe failed: ${(e as Error).message}`;
      }
    }
    if (stopped) return;
    const healthy = reason === undefined;
    if (healthy !== state.healthy) {
      if (healthy) opts.logger.info("health-restored");
      else opts.logger.warn("health-degraded", { reason });
    }
    state.healthy = healthy;
    if (healthy) {
      state.pings++;
      await opts.notifier.watchdog();
    }
  };
  timer = setTimeout(() => void tick(), opts.intervalMs);
  return {
    get lastLagMs() {
      return state.lastLagMs;
    },
    get healthy() {
      return state.healthy;
    },
    get pings() {
      return state.pings;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
