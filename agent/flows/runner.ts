// Runs one flow: inputs are applied one at a time (transition → journal → effects), each effect's
// outcome comes back as the next input. Flows never wait on each other: every flow has its own
// input queue, timers and in-flight calls, so one terminal's slow call or retry never delays
// another terminal's poll (the 20-second rule). The only shared resource is the journal writer.
import type { Effect, FlowSettings, TimerName } from "../core/effects.ts";
import { isReadOnly } from "../core/effects.ts";
import type { FlowInput } from "../core/inputs.ts";
import { type FlowState, transition } from "../core/transition.ts";
import type { Scheduler } from "../../base/clock.ts";
import type { Journal, TransitionRecord } from "../journal/types.ts";
import type { Logger } from "../../base/log.ts";
import { flowKind } from "./kinds/registry.ts";
import { keptAlarmsOf } from "./kept-alarms.ts";

/** What the runner needs from its host (the engine) to perform effects. */
export interface RunnerHost {
  readonly journal: Journal;
  readonly scheduler: Scheduler;
  readonly settings: FlowSettings;
  readonly logger: Logger;
  random(): number;
  /** Performs a non-timer effect; resolves with the input to feed back (undefined: none). */
  perform(runner: FlowRunner, effect: Exclude<Effect, { type: "startTimer" | "cancelTimer" }>): Promise<FlowInput | undefined>;
  changed(runner: FlowRunner): void;
  /** The journal could not record a transition: the flow stops here (its effects never ran). */
  journalFailed(runner: FlowRunner, err: unknown): void;
}

// Fields that change on every poll or progress tick but that recovery never needs (it re-reads
// Glase and the dispenser): a transition that only touches these, with read-only effects, is not
// written, so polling once per second per terminal does not cost an fsync per second.
const VOLATILE = new Set(["pending", "reads", "sendReads", "watchRef", "watchStale", "calls", "version", "attempts", "progress", "lastReadAt"]);

/**
 * Whether two states' durable parts are the same: what `JSON.stringify` with the VOLATILE keys
 * dropped (at any depth) would say, key order aside — without serialising either. A transition
 * spreads the previous state, so most values are the same objects and compare by reference: this
 * runs on every input (a poll per second per terminal), two replacer-driven stringifies did not scale.
 */
export function sameDurable(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return JSON.stringify(a) === JSON.stringify(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // JSON writes undefined (and functions) in an array as null.
    for (let i = 0; i < a.length; i++) if (!sameDurable(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k in x) if (!VOLATILE.has(k) && Object.hasOwn(x, k) && !sameField(x[k], y[k])) return false;
  for (const k in y) if (!VOLATILE.has(k) && Object.hasOwn(y, k) && !Object.hasOwn(x, k) && !sameField(undefined, y[k])) return false;
  return true;
}

/** An object field: JSON leaves out undefined (and function) values, so absent and undefined are the same. */
function sameField(a: unknown, b: unknown): boolean {
  const skipA = a === undefined || typeof a === "function";
  const skipB = b === undefined || typeof b === "function";
  if (skipA || skipB) return skipA && skipB;
  return sameDurable(a, b);
}

export function recordOf(state: FlowState, input: FlowInput, effects: readonly Effect[], at: number): TransitionRecord {
  const alarms = keptAlarmsOf(state, effects, at);
  return {
    flowId: state.flowId,
    kind: state.kind,
    ...definedKeys(flowKind(state).journalKeys(state)),
    at,
    input,
    state,
    stateName: state.phase,
    finished: state.phase === "finished",
    parked: state.phase === "parked",
    effects: effects.filter((e) => e.type !== "startTimer" && e.type !== "cancelTimer"),
    ...(alarms.length > 0 ? { alarms } : {}),
  };
}

function definedKeys(k: { readonly point?: number; readonly terminalId?: string }): { point?: number; terminalId?: string } {
  return { ...(k.point !== undefined ? { point: k.point } : {}), ...(k.terminalId !== undefined ? { terminalId: k.terminalId } : {}) };
}

export class FlowRunner {
  private queue: Promise<void> = Promise.resolve();
  private readonly timers = new Map<TimerName, () => void>();
  private inFlight = 0;
  private dead = false;
  readonly startedAt: number;

  constructor(
    private readonly host: RunnerHost,
    public state: FlowState,
    startedAt?: number,
  ) {
    this.startedAt = startedAt ?? host.scheduler.now();
  }

  get flowId(): string {
    return this.state.flowId;
  }

  get finished(): boolean {
    return this.state.phase === "finished";
  }

  /** True while nothing runs for this flow (no effect in flight, no queued input). */
  get idle(): boolean {
    return this.inFlight === 0;
  }

  /** Starts a fresh flow: its first transition is journaled before any of its effects run. */
  async begin(effects: readonly Effect[], input: FlowInput): Promise<void> {
    const at = this.host.scheduler.now();
    await this.host.journal.append(recordOf(this.state, input, effects, at));
    this.host.changed(this);
    this.run(effects);
  }

  /** Resumes after recovery: the recover transition was already journaled (in one batch). */
  resume(effects: readonly Effect[]): void {
    this.host.changed(this);
    this.run(effects);
  }

  feed(input: FlowInput): Promise<void> {
    this.inFlight++;
    this.queue = this.queue.then(() => this.apply(input)).finally(() => this.inFlight--);
    return this.queue;
  }

  stop(): void {
    this.dead = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  private async apply(input: FlowInput): Promise<void> {
    if (this.dead) return;
    const before = this.state;
    const now = this.host.scheduler.now();
    const step = transition(before, input, { now, settings: this.host.settings, random: this.host.random() });
    const durable = !sameDurable(step.state, before) || step.effects.some((e) => !isReadOnly(e));
    if (durable) {
      try {
        await this.host.journal.append(recordOf(step.state, input, step.effects, now));
      } catch (err) {
        this.stop();
        this.host.journalFailed(this, err);
        return;
      }
    }
    this.state = step.state;
    if (step.state !== before) this.host.changed(this);
    this.run(step.effects);
  }

  private run(effects: readonly Effect[]): void {
    for (const effect of effects) {
      if (this.dead) return;
      if (effect.type === "startTimer") {
        this.timers.get(effect.name)?.();
        const name = effect.name;
        this.timers.set(
          name,
          this.host.scheduler.setTimer(effect.delayMs, () => {
            this.timers.delete(name);
            void this.feed({ type: "timer", name });
          }),
        );
      } else if (effect.type === "cancelTimer") {
        this.timers.get(effect.name)?.();
        this.timers.delete(effect.name);
      } else {
        this.inFlight++;
        this.host
          .perform(this, effect)
          .then((next) => {
            if (next !== undefined && !this.dead) void this.feed(next);
          })
          .catch((err: unknown) => this.host.logger.error("effect_failed", { flowId: this.flowId, effect: effect.type, err }))
          .finally(() => this.inFlight--);
      }
    }
    if (this.finished) this.stop();
  }
}
