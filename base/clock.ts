// Time is passed in, never read from globals, so state machines and tests can drive it.
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface Scheduler extends Clock {
  /** Runs fn once at (or after) `delayMs` from now; returns a cancel function. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** setTimeout's ceiling (2^31 − 1 ms ≈ 24.8 days); longer delays would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The host's scheduler. `now()` is epoch milliseconds on a MONOTONIC clock: the wall clock read
 * once at process start plus the monotonic time since (performance.timeOrigin + performance.now()),
 * so a wall-clock step (NTP, a technician setting the time) never shortens or stretches a duration
 * or a deadline counted in it. It re-anchors to the wall clock at each start.
 */
export const systemScheduler: Scheduler = {
  now: () => Math.round(performance.timeOrigin + performance.now()),
  setTimer: (delayMs, fn) => {
    let cancelled = false;
    let t: ReturnType<typeof setTimeout>;
    const due = performance.now() + Math.max(0, delayMs);
    const arm = () => {
      const left = due - performance.now();
      t = setTimeout(() => (cancelled ? undefined : left > MAX_TIMER_MS ? arm() : fn()), Math.min(Math.max(0, left), MAX_TIMER_MS));
    };
    arm();
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  },
};
