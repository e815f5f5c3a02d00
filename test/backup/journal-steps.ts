// A journal step of a made-up preliminary flow, for the backup and restore tests.
import type { TransitionRecord } from "../../agent/journal/types.ts";

export const step = (flowId: string, n: number, finished = false): TransitionRecord => ({
  flowId,
  kind: "preliminary",
  point: 1,
  terminalId: "T1",
  at: 1_000 + n,
  input: { type: "timer", name: "poll" },
  state: { phase: finished ? "finished" : "polling", n },
  stateName: finished ? "finished" : "polling",
  finished,
  parked: false,
  effects: [],
});
