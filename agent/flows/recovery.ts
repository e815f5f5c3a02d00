// Recovery at start: every unfinished flow in the journal gets a `recover` input. The machines
// decide what to read (docs/recovery.md): a lost sendInvoice ⇒ the terminal's current invoice; an
// unknown commit ⇒ getPaymentStatus, never a blind re-commit; a delivery ⇒ the dispenser's sale
// record. All recover transitions are journaled in ONE transaction before any of their effects
// runs, so resuming 1,000 flows costs one fsync, not 1,000.
import type { Effect, FlowSettings } from "../core/effects.ts";
import { type FlowState, transition } from "../core/transition.ts";
import type { Journal } from "../journal/types.ts";
import { recordOf } from "./runner.ts";

export interface RecoveredFlow {
  readonly state: FlowState;
  readonly effects: readonly Effect[];
  readonly startedAt: number;
}

export async function recoverFlows(journal: Journal, now: number, settings: FlowSettings, random: number): Promise<readonly RecoveredFlow[]> {
  const open = await journal.unfinishedFlows();
  const recovered: RecoveredFlow[] = [];
  for (const f of open) {
    const step = transition(f.state as FlowState, { type: "recover" }, { now, settings, random });
    recovered.push({ state: step.state, effects: step.effects, startedAt: f.createdAt });
  }
  await journal.appendMany(recovered.map((r) => recordOf(r.state, { type: "recover" }, r.effects, now)));
  return recovered;
}
