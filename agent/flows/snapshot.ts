// Read models of the engine for the daemon's status socket, `ctl top` and the watch stream:
// flow summaries, point snapshots, journal entries in words.
import type { Effect } from "../core/effects.ts";
import type { FlowInput } from "../core/inputs.ts";
import type { FlowState } from "../core/transition.ts";
import type { AlarmInfo, FlowSummary, JournalEntry, PointConfig, PointDisplayState, PointSnapshot } from "../engine-api.ts";
import type { StepRecord } from "../journal/types.ts";
import { flowKind } from "./kinds/registry.ts";
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
  const kind = flowKind(s);
  const ersReference = kind.ersReferenceOf(s);
  const amount = kind.amountOf(s);
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
  const view = s ? flowKind(s).pointView?.(s) : undefined;
  let state: PointDisplayState = view?.state ?? "idle";
  const { amountMinor, milli } = view ?? {};
  if (!view && p.stopped) state = "stopped";
  else if (!view && now < p.offlineUntil) state = "offline";
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
