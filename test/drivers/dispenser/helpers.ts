// Test helpers for the dispenser driver tests: wait on events or conditions (bounded), never sleep.
import { afterEach } from "vitest";
import type { DispenserEvent } from "../../../drivers/dispenser/contract.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { VirtualController } from "../../../simulator/devices/virtual-controller.ts";

/** Records a driver's events and lets a test wait for one that matches. */
export class EventLog {
  readonly events: DispenserEvent[] = [];
  private waiters: Array<{ match: (e: DispenserEvent) => boolean; resolve: (e: DispenserEvent) => void }> = [];

  readonly push = (e: DispenserEvent): void => {
    this.events.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(e)) return true;
      w.resolve(e);
      return false;
    });
  };

  /** Resolves with the first event (already seen or future) that matches. */
  waitFor<T extends DispenserEvent>(match: (e: DispenserEvent) => e is T, timeoutMs?: number, what?: string): Promise<T>;
  waitFor(match: (e: DispenserEvent) => boolean, timeoutMs?: number, what?: string): Promise<DispenserEvent>;
  waitFor(match: (e: DispenserEvent) => boolean, timeoutMs = 15_000, what = "event"): Promise<DispenserEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; saw ${JSON.stringify(this.events.slice(-5))}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  count(match: (e: DispenserEvent) => boolean): number {
    return this.events.filter(match).length;
  }
}

/** Polls a condition until true (bounded). For state that has no event to wait on. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Advances a manual SimClock in flow-tick steps, so every tick (and its PROGRESS line) happens. */
export function advanceInSteps(clock: SimClock, totalMs: number, stepMs = 250): void {
  for (let t = 0; t < totalMs; t += stepMs) clock.advance(Math.min(stepMs, totalMs - t));
}

/**
 * Registers an afterEach in the calling test file and returns how a test hands it what to close:
 * after each test everything handed over is closed, last first.
 */
export function closeAfterEach(): (...close: Array<() => Promise<void>>) => void {
  let pending: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of pending.reverse()) await c();
    pending = [];
  });
  return (...close) => {
    pending.push(...close);
  };
}

/** A two-point virtual controller on a manual clock, listening on an ephemeral loopback port. */
export async function virtualControllerOnTcp(options: ConstructorParameters<typeof VirtualController>[0] = {}) {
  const clock = new SimClock({ manual: true });
  const vc = new VirtualController({ scheduler: clock, points: 2, ...options });
  const port = await vc.listenTcp(0);
  return { clock, vc, port };
}
