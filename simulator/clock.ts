// The simulators' clock: real time plus an offset that `advance()` moves forward, with timers
// that fire when their due time is reached — either by real time passing or by an advance.
// `timeScale` > 1 makes real time run faster (demos, `npm start`); `manual` freezes real time so
// tests drive everything with advance() (no sleeps).
import type { Scheduler } from "../base/clock.ts";

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

export interface SimClockOptions {
  /** Start time in ms since the epoch (default: Date.now()). */
  start?: number;
  /** Frozen unless advanced (tests). Default false. */
  manual?: boolean;
  /** Simulated seconds per real second when not manual. Default 1. */
  timeScale?: number;
}

export class SimClock implements Scheduler {
  private readonly manual: boolean;
  private readonly timeScale: number;
  private readonly realStart = Date.now();
  private readonly simStart: number;
  private offset = 0;
  private timers: Timer[] = [];
  private nextId = 1;
  private realTimer: NodeJS.Timeout | undefined;
  private firing = false;

  constructor(options: SimClockOptions = {}) {
    this.manual = options.manual ?? false;
    this.timeScale = options.timeScale ?? 1;
    this.simStart = options.start ?? this.realStart;
  }

  now(): number {
    const real = this.manual ? 0 : (Date.now() - this.realStart) * this.timeScale;
    return Math.floor(this.simStart + real + this.offset);
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const timer: Timer = { id: this.nextId++, due: this.now() + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    this.timers.sort((a, b) => a.due - b.due || a.id - b.id);
    this.armRealTimer();
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
      this.armRealTimer();
    };
  }

  /** Moves simulated time forward and fires, in order, every timer that became due. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance needs a non-negative number of ms, got ${ms}`);
    this.offset += ms;
    this.fireDue();
  }

  /** Number of pending timers (for state dumps and tests). */
  pending(): number {
    return this.timers.length;
  }

  dispose(): void {
    this.timers = [];
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
  }

  private fireDue(): void {
    if (this.firing) return; // a timer that advances the clock re-enters; the outer loop continues
    this.firing = true;
    try {
      for (;;) {
        const next = this.timers[0];
        if (!next || next.due > this.now()) break;
        this.timers.shift();
        next.fn();
      }
    } finally {
      this.firing = false;
    }
    this.armRealTimer();
  }

  private armRealTimer(): void {
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    const next = this.timers[0];
    if (this.manual || !next) return;
    const realDelay = Math.max(0, (next.due - this.now()) / this.timeScale);
    this.realTimer = setTimeout(() => this.fireDue(), Math.min(realDelay, 2 ** 31 - 1));
    this.realTimer.unref();
  }
}
