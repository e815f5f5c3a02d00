// The timers of each charging session, one of each kind: the session-time limit, the stop (a
// RemoteStop's answer window, or a cancel waiting for a queued StartTransaction), the wait for a
// StopTransaction that may be missing, the stop check (the readings asked for after a stop's
// answer). Setting a kind again replaces it; an end suspends them all, and a failed end's write
// restores them (review 13c C1: a cleared timer was the only retry of a settlement that failed).
import type { Scheduler } from "../../base/clock.ts";

export type TimerKind = "session" | "stop" | "missing" | "check";

export class SessionTimers {
  private readonly timers = new Map<string, Map<TimerKind, { cancel: () => void; fn: () => void; due: number }>>();

  constructor(private readonly scheduler: Scheduler) {}

  set(transactionId: string, kind: TimerKind, ms: number, fn: () => void): void {
    let kinds = this.timers.get(transactionId);
    if (!kinds) this.timers.set(transactionId, (kinds = new Map()));
    kinds.get(kind)?.cancel();
    const cancel = this.scheduler.setTimer(ms, () => {
      this.timers.get(transactionId)?.delete(kind);
      fn();
    });
    kinds.set(kind, { cancel, fn, due: this.scheduler.now() + ms });
  }

  has(transactionId: string, kind: TimerKind): boolean {
    return this.timers.get(transactionId)?.has(kind) ?? false;
  }

  clear(transactionId: string, kind: TimerKind): void {
    const kinds = this.timers.get(transactionId);
    kinds?.get(kind)?.cancel();
    kinds?.delete(kind);
  }

  /** Cancels the session's timers; the function returned sets again those not set anew meanwhile (one already due fires at once). */
  suspend(transactionId: string): () => void {
    const kinds = this.timers.get(transactionId);
    this.timers.delete(transactionId);
    for (const t of kinds?.values() ?? []) t.cancel();
    return () => {
      for (const [kind, t] of kinds ?? []) if (!this.has(transactionId, kind)) this.set(transactionId, kind, Math.max(0, t.due - this.scheduler.now()), t.fn);
    };
  }

  close(): void {
    for (const kinds of this.timers.values()) for (const t of kinds.values()) t.cancel();
    this.timers.clear();
  }
}
