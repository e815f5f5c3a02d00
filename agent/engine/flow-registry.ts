// The flows the engine runs: one FlowRunner per running flow by flow id, the recently finished
// ones (`ctl flows --all`, after a restart too), the callers waiting for a flow's answer (a
// refund, a reconciliation), and new flow ids.
import { AgentError } from "../../base/errors.ts";
import type { FlowState } from "../core/transition.ts";
import type { FlowSummary } from "../engine-api.ts";
import type { FlowRunner } from "../flows/runner.ts";
import { summarize } from "../flows/snapshot.ts";

/** Finished flows kept for `ctl flows --all`. */
export const RECENT_FLOWS = 200;

type Waiter = { resolve: (s: FlowState) => void; reject: (e: unknown) => void };

export class FlowRegistry {
  private readonly runners = new Map<string, FlowRunner>();
  private readonly recent: FlowSummary[] = [];
  private readonly waiters = new Map<string, Waiter>();
  private seq = 0;

  constructor(
    private readonly now: () => number,
    private readonly random: () => number,
  ) {}

  /** A new flow id: prefix, time, a sequence and a random part (unique across restarts too). */
  newFlowId(prefix: string): string {
    this.seq = (this.seq + 1) % 1296;
    const rand = Math.floor(this.random() * 1296).toString(36).padStart(2, "0");
    return `${prefix}${this.now().toString(36)}${this.seq.toString(36).padStart(2, "0")}${rand}`;
  }

  /** A caller-chosen flow id (the kiosk host journals it before the flow starts) must be new. */
  ownFlowId(given: string | undefined, prefix: string): string {
    if (given === undefined) return this.newFlowId(prefix);
    if (this.runners.has(given)) throw new AgentError("CONFLICT", `flow ${given} is already running`, { flowId: given });
    return given;
  }

  add(runner: FlowRunner): void {
    this.runners.set(runner.flowId, runner);
  }

  /** A flow that could not start (its first journal write failed) is forgotten. */
  remove(runner: FlowRunner): void {
    this.runners.delete(runner.flowId);
  }

  get(flowId: string): FlowRunner | undefined {
    return this.runners.get(flowId);
  }

  running(): IterableIterator<FlowRunner> {
    return this.runners.values();
  }

  states(): FlowState[] {
    return [...this.runners.values()].map((r) => r.state);
  }

  /**
   * True while a running flow is not parked (drain waits for these). A preliminary flow "securing"
   * its pump has settled its money: it only waits for the board, so a drain does not wait for it;
   * nor for a terminal's lost-send watch (it reads for minutes; a restart resumes it).
   */
  anyActive(): boolean {
    for (const r of this.runners.values()) if (r.state.phase !== "parked" && r.state.phase !== "securing" && r.state.kind !== "send-watch") return true;
    return false;
  }

  /** Running flows securing a pump: money settled, the pump may still hold their authorization. */
  securing(): FlowRunner[] {
    return [...this.runners.values()].filter((r) => r.state.phase === "securing");
  }

  /** A flow finished: it leaves the running set for the recent list, and its caller is answered. */
  finished(runner: FlowRunner, summary: FlowSummary): void {
    this.runners.delete(runner.flowId);
    this.recent.unshift(summary);
    if (this.recent.length > RECENT_FLOWS) this.recent.pop();
  }

  /** A recently finished flow by id (newest first), if still remembered. */
  finishedFlow(flowId: string): FlowSummary | undefined {
    return this.recent.find((f) => f.flowId === flowId);
  }

  /** Flows that finished before this start, newest first (read back from the journal). */
  restoreRecent(flows: readonly FlowSummary[]): void {
    this.recent.push(...flows);
  }

  summaries(now: number): FlowSummary[] {
    return [...[...this.runners.values()].map((r) => summarize(r, now)), ...this.recent];
  }

  /**
   * The answer of a flow about to launch. Its caller awaits it only after the launch's first
   * journal write: a close in between rejects it first, and that must not surface as an unhandled
   * rejection (it is handled here; the caller's await still sees it).
   */
  waitFor(flowId: string): Promise<FlowState> {
    const answer = new Promise<FlowState>((resolve, reject) => this.waiters.set(flowId, { resolve, reject }));
    answer.catch(() => undefined);
    return answer;
  }

  /** A flow that never launched has no answer coming: its waiter goes. */
  forgetWaiter(flowId: string): void {
    this.waiters.delete(flowId);
  }

  answer(s: FlowState): void {
    const w = this.waiters.get(s.flowId);
    if (w) (this.waiters.delete(s.flowId), w.resolve(s));
  }

  /** The engine closes: every waiting caller is told. */
  abortWaiters(): void {
    for (const w of this.waiters.values()) w.reject(new AgentError("ABORTED", "engine closed"));
    this.waiters.clear();
  }

  stopAll(): void {
    for (const r of this.runners.values()) r.stop();
  }
}
