// The engine's clock is monotonic (agent/core/clock.ts): the wall clock read once at process start
// plus the monotonic time since, so durations survive a wall-clock step. The price: when the wall
// clock is corrected while the process runs (an RTC-less board that booted with a stale clock, then
// NTP), every deadline journaled since counts in the stale frame, and a restart re-anchors to the
// corrected wall clock — recovered deadlines are then off by the correction, and issueDate is wrong
// meanwhile. The unit orders the start after time-sync.target; this watch tells a technician when
// the two clocks part anyway — at start (the wall clock moved between process start and engine
// start, or lies behind the journal's last step: a stale boot) and while running.
import type { Clock } from "../../base/clock.ts";

/** A difference smaller than this is jitter, not a step. */
export const CLOCK_STEP_TOLERANCE_MS = 2_000;

export interface ClockAlarm {
  readonly code: "clock-stepped";
  readonly message: string;
}

/** What the anchored (process) clock and the wall clock say, and the journal's newest step time. */
export function clockAlarm(anchoredMs: number, wallMs: number, lastJournalAt?: number): ClockAlarm | undefined {
  const skew = wallMs - anchoredMs;
  if (Math.abs(skew) > CLOCK_STEP_TOLERANCE_MS) {
    return {
      code: "clock-stepped",
      message:
        `the wall clock is ${Math.round(skew / 1000)} s ${skew > 0 ? "ahead of" : "behind"} the agent's clock (set at its start): deadlines and issueDate count on the agent's clock; ` +
        "settle or resolve the open flows, then restart the agent so it re-anchors (and order its start after time-sync.target)",
    };
  }
  if (lastJournalAt !== undefined && lastJournalAt - wallMs > CLOCK_STEP_TOLERANCE_MS) {
    return {
      code: "clock-stepped",
      message:
        `the wall clock is ${Math.round((lastJournalAt - wallMs) / 1000)} s behind the journal's last step: the board probably booted with a stale clock; ` +
        "deadlines of recovered flows are wrong by that much — wait for time synchronisation (time-sync.target) and restart the agent",
    };
  }
  return undefined;
}

/** Checks every `everyMs` while running; raises one alarm per new divergence. */
export class ClockWatch {
  private cancel?: () => void;
  private alarmed = false;

  constructor(
    private readonly anchored: Clock & { setTimer(delayMs: number, fn: () => void): () => void },
    private readonly wall: () => number,
    private readonly raise: (a: ClockAlarm) => void,
    private readonly everyMs = 60_000,
  ) {}

  start(lastJournalAt?: number): void {
    this.check(lastJournalAt);
    const tick = () => {
      this.check();
      this.cancel = this.anchored.setTimer(this.everyMs, tick);
    };
    this.cancel = this.anchored.setTimer(this.everyMs, tick);
  }

  check(lastJournalAt?: number): void {
    const a = clockAlarm(this.anchored.now(), this.wall(), lastJournalAt);
    if (a && !this.alarmed) this.raise(a);
    this.alarmed = a !== undefined;
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }
}
