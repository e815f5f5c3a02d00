// The timers of each charging session, one of each kind: the session-time limit, the stop (a
// RemoteStop's answer window, or a cancel waiting for a queued StartTransaction), the wait for a
// StopTransaction that may be missing, the stop check (the readings asked for after a stop's
// answer). Setting a kind again replaces it; an end clears them all.
import type { Scheduler } from "../../base/clock.ts";

export type TimerKind = "session" | "stop" | "missing" | "check";

export class SessionTimers {
  private readonly timers = new Map<string, Map<TimerKind, () => void>>();

  constructor(private readonly scheduler: Scheduler) {}

  set(transactionId: string, kind: TimerKind, ms: number, fn: () => void): void {
    let kinds = this.timers.get(transactionId);
    if (!kinds) this.timers.set(transactionId, (kinds = new Map()));
    kinds.get(kind)?.();
    kinds.set(
      kind,
      this.scheduler.setTimer(ms, () => {
        this.timers.get(transactionId)?.delete(kind);
        fn();
      }),
    );
  }

  clear(transactionId: string, kind: TimerKind): void {
    const kinds = this.timers.get(transactionId);
    kinds?.get(kind)?.();
    kinds?.delete(kind);
  }

  clearAll(transactionId: string): void {
    for (const cancel of this.timers.get(transactionId)?.values() ?? []) cancel();
    this.timers.delete(transactionId);
  }

  close(): void {
    for (const kinds of this.timers.values()) for (const cancel of kinds.values()) cancel();
    this.timers.clear();
  }
}
