// Read models of the engine for the daemon's status socket, `ctl top` and the watch stream:
// flow summaries, point snapshots, journal entries in words.
import type { Effect } from "../core/effects.ts";
import type { FlowInput } from "../core/inputs.ts";
import { amountOf, type FlowState } from "../core/transition.ts";
import type { AlarmInfo, FlowSummary, JournalEntry, PointConfig, PointDisplayState, PointSnapshot } from "../engine-api.ts";
import type { StepRecord } from "../journal/types.ts";
import type { FlowRunner } from "./runner.ts";

/** What the engine keeps per point. */
export interface PointRuntime {
  readonly config: PointConfig;
  active?: FlowRunner;
  stopped: boolean;
  offlineUntil: number;
  alarms: AlarmInfo[];
}

export function summarize(r: FlowRunner, now: number): FlowSummary {
  return summarizeState(r.state, r.startedAt, now);
}

/** A flow's summary from its state alone: a running flow's, or a finished one read back from the journal. */
export function summarizeState(s: FlowState, startedAt: number, updatedAt: number): FlowSummary {
  const point = "point" in s ? s.point : undefined;
  const terminalId = "terminalId" in s ? s.terminalId : undefined;
  const invoiceReference = "invoiceRef" in s ? s.invoiceRef : undefined;
  const ersReference = s.kind === "refund" ? s.refundReference : "ersReference" in s ? s.ersReference : undefined;
  const amount = amountOf(s);
  return {
    flowId: s.flowId,
    kind: s.kind,
    ...(point !== undefined ? { point } : {}),
    ...(terminalId !== undefined ? { terminalId } : {}),
    state: s.phase,
    finished: s.phase === "finished",
    parked: s.phase === "parked",
    ...(invoiceReference !== undefined ? { invoiceReference } : {}),
    ...(ersReference !== undefined ? { ersReference } : {}),
    ...(amount !== undefined ? { amountMinor: amount } : {}),
    startedAt,
    updatedAt,
    ...(s.outcome !== undefined ? { outcome: s.outcome } : {}),
  };
}

export function pointSnapshot(p: PointRuntime, now: number): PointSnapshot {
  const s = p.active?.state;
  let state: PointDisplayState = "idle";
  let amountMinor: number | undefined;
  let milli: number | undefined;
  if (s?.kind === "preliminary") {
    state = displayOfPreliminary(s.phase);
    amountMinor = s.delivered?.amountMinor ?? s.progress?.amountMinor;
    milli = s.delivered?.milli ?? s.progress?.milli;
  } else if (s?.kind === "pos") {
    state = s.phase === "confirming" || s.phase === "releasing" || s.phase === "printing" ? "paid" : "waiting-customer";
    amountMinor = s.amountMinor;
  } else if (p.stopped) state = "stopped";
  else if (now < p.offlineUntil) state = "offline";
  return {
    point: p.config.id,
    kind: p.config.kind,
    terminalId: p.config.terminal.terminalId,
    state,
    ...(s ? { flowId: s.flowId } : {}),
    ...(amountMinor !== undefined ? { amountMinor } : {}),
    ...(milli !== undefined ? { milli } : {}),
    alarms: p.alarms,
  };
}

export function journalEntry(s: StepRecord): JournalEntry {
  return {
    seq: s.seq,
    at: s.at,
    flowId: s.flowId,
    input: describeInput(s.input),
    state: s.stateName,
    effects: (s.effects as Effect[]).map(describeEffect),
  };
}

function displayOfPreliminary(phase: string): PointDisplayState {
  switch (phase) {
    case "sending-invoice":
    case "resolving-send":
    case "awaiting-reservation":
    case "canceling":
      return "waiting-customer";
    case "authorizing":
    case "authorized":
      return "authorized";
    case "delivering":
    case "stopping":
    case "checking-sale":
      return "delivering";
    case "updating":
    case "committing":
    case "checking-commit":
    case "closing":
      return "settling";
    case "printing":
      return "paid";
    case "parked":
      return "parked";
    default:
      return "idle";
  }
}

function describeInput(input: unknown): string {
  const i = input as FlowInput;
  switch (i?.type) {
    case "glase":
      return `glase ${i.op} ${i.outcome.kind === "ok" ? `ok${i.outcome.status ? ` ${i.outcome.status}` : ""}` : i.outcome.kind === "result" ? `result ${i.outcome.code}` : i.outcome.indefinite ? "lost" : "unreachable"}`;
    case "timer":
      return `timer ${i.name}`;
    case "technician":
      return `technician ${i.action}`;
    case undefined:
      return "?";
    default:
      return i.type;
  }
}

function describeEffect(e: Effect): string {
  switch (e.type) {
    case "glase":
      return `${e.call.op} ${e.ref}`;
    case "alarm":
      return `alarm ${e.code}`;
    case "authorize":
      return `authorize limit=${e.limitMinor}`;
    default:
      return e.type;
  }
}
