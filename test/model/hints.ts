// Hints: generator biases and world faults that are off by default, each named after what it
// enables (MODEL_HINTS=a,b). Phase 1 of issue 9 records which sequences the campaign found only
// with one of these. A hint never weakens an invariant; it only makes a kind of world reachable.
import { type CmdName, DEFAULT_GEN, type GenConfig } from "./commands.ts";

export interface Hinted {
  readonly gen: GenConfig;
  /** Points 1 and 2 configured on one terminal id (issue 9 #11). */
  readonly sharedTerminal: boolean;
  /** Every journal compaction fails after its first statements (disk full), appends inside it included (#1). */
  readonly compactionFault: boolean;
}

export const HINTS: Readonly<Record<string, string>> = {
  "shared-terminal": "two points configured with the same terminal id (refused at start since #11: every run fails at boot; scenarios.ts asserts the refusal)",
  "wall-step": "the wall clock steps ±10 min / ±1 h (NTP) while flows run",
  "compaction-fault": "journal compactions run in the background, often, and fail (ROLLBACK) after appends joined them",
  "ambiguous-90": "90 SYSTEM_ERROR after processing on every operation, not only refundPayment",
  "extreme-latency": "slow periods up to 25 s each way (default ≤ 4 s)",
  "long-runs": "up to 80 commands per run (default 30)",
};

/** MODEL_WEIGHTS=link=6,kill=0 overrides command weights (a generator bias, reported as a hint). */
function weightOverrides(spec: string | undefined): Partial<Record<CmdName, number>> {
  const out: Partial<Record<CmdName, number>> = {};
  for (const part of (spec ?? "").split(",").filter(Boolean)) {
    const [k, v] = part.split("=");
    if (!k || !(k in DEFAULT_GEN.weights) || !(Number(v) >= 0)) throw new Error(`MODEL_WEIGHTS: bad entry '${part}' (commands: ${Object.keys(DEFAULT_GEN.weights).join(", ")})`);
    out[k as CmdName] = Number(v);
  }
  return out;
}

export function parseHints(spec: string | undefined, weights = process.env.MODEL_WEIGHTS): { readonly names: readonly string[]; readonly hinted: Hinted } {
  const names = (spec ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!(n in HINTS)) throw new Error(`unknown MODEL_HINTS entry '${n}' (known: ${Object.keys(HINTS).join(", ")})`);
  const on = (n: string) => names.includes(n);
  const gen: GenConfig = {
    ...DEFAULT_GEN,
    weights: { ...DEFAULT_GEN.weights, ...(on("wall-step") ? { wallStep: 3 } : {}), ...weightOverrides(weights) },
    ...(on("ambiguous-90") ? { ambiguous90Everywhere: true } : {}),
    ...(on("extreme-latency") ? { maxSlowMs: 25_000 } : {}),
    ...(on("long-runs") ? { maxCommands: 80 } : {}),
  };
  return { names, hinted: { gen, sharedTerminal: on("shared-terminal"), compactionFault: on("compaction-fault") } };
}
