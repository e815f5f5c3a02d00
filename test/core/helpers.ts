// Drives a pure flow machine in tests: answers its pending Glase call, fires timers, keeps time.
import type { Effect, FlowSettings, GlaseCall, TimerName } from "../../agent/core/effects.ts";
import type { Step } from "../../agent/core/flow.ts";
import type { FlowInput, GlaseOutcome } from "../../agent/core/inputs.ts";
import { type FlowState, transition } from "../../agent/core/transition.ts";
import { SETTINGS, ctxAt } from "../support/flow-settings.ts";

export { SETTINGS, ctxAt };

export const OK = (fields: Omit<Extract<GlaseOutcome, { kind: "ok" }>, "kind"> = {}): GlaseOutcome => ({ kind: "ok", ...fields });
export const CODE = (code: number): GlaseOutcome => ({ kind: "result", code });
export const LOST: GlaseOutcome = { kind: "transport", indefinite: true };
export const DOWN: GlaseOutcome = { kind: "transport", indefinite: false };

/** A flow under test: its state, the effects of the last step, and a clock. */
export class Driver<S extends FlowState = FlowState> {
  now = 0;
  effects: readonly Effect[] = [];
  /** Timers the flow has running: name → due time (kept from every step's start/cancel effects). */
  readonly timers = new Map<string, number>();
  /** Every effect of every step, with the time it was asked for. */
  readonly log: Array<{ readonly at: number; readonly effect: Effect }> = [];
  constructor(
    public state: S,
    effects: readonly Effect[],
    public settings: FlowSettings = SETTINGS,
  ) {
    this.effects = effects;
    this.track(effects);
  }

  private track(effects: readonly Effect[]): void {
    for (const e of effects) {
      this.log.push({ at: this.now, effect: e });
      if (e.type === "startTimer") this.timers.set(e.name, this.now + e.delayMs);
      else if (e.type === "cancelTimer") this.timers.delete(e.name);
    }
  }
  static of<S extends FlowState>(step: Step<S>, settings: FlowSettings = SETTINGS): Driver<S> {
    return new Driver(step.state, step.effects, settings);
  }

  feed(input: FlowInput): this {
    const step = transition(this.state, input, ctxAt(this.now, this.settings));
    this.state = step.state as S;
    this.effects = step.effects;
    this.track(step.effects);
    return this;
  }

  /**
   * Fires the flow's timers in due order until `until` (or until `stop` says so after a step),
   * advancing the clock to each due time. Returns the number of timers fired.
   */
  runTimers(until: number, stop: () => boolean = () => false): number {
    let fired = 0;
    for (;;) {
      if (stop()) return fired;
      const next = [...this.timers].sort((a, b) => a[1] - b[1])[0];
      if (!next || next[1] > until) {
        this.now = Math.max(this.now, until);
        return fired;
      }
      this.timers.delete(next[0]);
      this.now = Math.max(this.now, next[1]);
      this.feed({ type: "timer", name: next[0] as TimerName });
      fired++;
    }
  }

  /** Effects of a type asked for since log index `from`. */
  since(from: number, type: Effect["type"]): Array<{ readonly at: number; readonly effect: Effect }> {
    return this.log.slice(from).filter((x) => x.effect.type === type);
  }

  /** The Glase call the flow waits for (fails the test if there is none). */
  call(): GlaseCall {
    const p = this.state.pending;
    if (!p) throw new Error(`no pending Glase call in phase ${this.state.phase}`);
    const e = this.effects.find((x) => x.type === "glase" && x.ref === p.ref);
    if (!e || e.type !== "glase") throw new Error(`pending ${p.op} has no effect in the last step`);
    return e.call;
  }

  answer(outcome: GlaseOutcome): this {
    const p = this.state.pending;
    if (!p) throw new Error(`no pending Glase call in phase ${this.state.phase}`);
    return this.feed({ type: "glase", op: p.op, ref: p.ref, outcome });
  }

  /**
   * Answers a kiosk's status read with PAID and, when the flow confirms it (§9 A45, pos-confirm.ts),
   * its confirming read with the same PAID one poll interval later.
   */
  answerPaid(outcome: GlaseOutcome): this {
    this.answer(outcome);
    if (this.state.phase !== "confirming") return this;
    this.runTimers(this.now + 60_000, () => this.state.pending !== undefined);
    return this.answer(outcome);
  }

  fire(name: TimerName): this {
    this.timers.delete(name);
    return this.feed({ type: "timer", name });
  }

  advance(ms: number): this {
    this.now += ms;
    return this;
  }

  has(type: Effect["type"], pred: (e: Effect) => boolean = () => true): boolean {
    return this.effects.some((e) => e.type === type && pred(e));
  }

  timerStarted(name: string): boolean {
    return this.effects.some((e) => e.type === "startTimer" && e.name === name);
  }

  alarm(code: string): boolean {
    return this.effects.some((e) => e.type === "alarm" && e.code === code);
  }
}
