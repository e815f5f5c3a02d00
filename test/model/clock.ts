// The campaign's one source of time: a discrete-event clock. Everything that happens later — Glase
// answers, customer actions, reservation lapses, the engine's own timers — is an event on this
// clock, fired one at a time in (time, insertion) order, so a run is a deterministic function of
// its command sequence. `mono` is true time (what Glase and the pump live by); the wall clock the
// engine reads can be stepped (NTP) without moving the timers, which run on monotonic time.
import type { Scheduler } from "../../agent/core/clock.ts";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly tag: string;
  fn: (() => void) | undefined;
}

/** 2025-03-15 08:00:00 UTC: a fixed epoch so ids and dates replay. */
export const EPOCH = Date.UTC(2025, 2, 15, 8, 0, 0);

export class WorldClock {
  mono = EPOCH;
  wallOffset = 0;
  private seq = 0;
  private heap: Timer[] = [];
  private live = new Map<string, number>();

  /** The wall clock (what Date.now() would say on the station). */
  wall(): number {
    return this.mono + this.wallOffset;
  }

  /** Runs fn `delayMs` from now (monotonic). tag groups events for quiescence checks. */
  schedule(delayMs: number, fn: () => void, tag: string): () => void {
    const t: Timer = { at: this.mono + Math.max(0, Math.floor(delayMs)), seq: this.seq++, tag, fn };
    this.push(t);
    this.live.set(tag, (this.live.get(tag) ?? 0) + 1);
    return () => this.cancel(t);
  }

  /** A strictly increasing stamp: orders things that happen at the same instant. */
  stamp(): number {
    return this.seq++;
  }

  /** Pending events whose tag does not start with one of these prefixes. */
  pendingExcept(prefixes: readonly string[]): number {
    let n = 0;
    for (const [tag, count] of this.live) if (count > 0 && !prefixes.some((p) => tag.startsWith(p))) n += count;
    return n;
  }

  pending(prefix: string): number {
    let n = 0;
    for (const [tag, count] of this.live) if (tag.startsWith(prefix)) n += count;
    return n;
  }

  /** Time of the next live event, if any. */
  nextAt(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Fires the next event if it is due at or before `limit`; returns whether one fired. */
  fireNext(limit: number): boolean {
    this.dropCancelled();
    const t = this.heap[0];
    if (!t || t.at > limit) return false;
    this.pop();
    this.mono = Math.max(this.mono, t.at);
    const fn = t.fn;
    this.cancel(t);
    fn?.();
    return true;
  }

  /**
   * A Scheduler for one engine generation: its timers die with it (a killed process has none). Its
   * now() is what production's systemScheduler gives: the wall clock read when the process started
   * plus monotonic time since — so a wall step moves it only across a restart.
   */
  schedulerFor(alive: () => boolean, tag: string): Scheduler {
    const wallAtStart = this.wall();
    const monoAtStart = this.mono;
    return {
      now: () => wallAtStart + (this.mono - monoAtStart),
      setTimer: (delayMs, fn) => this.schedule(delayMs, () => alive() && fn(), tag),
    };
  }

  private cancel(t: Timer): void {
    if (t.fn === undefined) return;
    t.fn = undefined;
    this.live.set(t.tag, (this.live.get(t.tag) ?? 1) - 1);
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.fn === undefined) this.pop();
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
