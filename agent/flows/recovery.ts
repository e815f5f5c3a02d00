// Recovery at start: every unfinished flow in the journal gets a `recover` input. The machines
// decide what to read (docs/recovery.md): a lost sendInvoice ⇒ the terminal's current invoice; an
// unknown commit ⇒ getPaymentStatus, never a blind re-commit; a delivery ⇒ the dispenser's sale
// record. All recover transitions are journaled in ONE transaction before any of their effects
// runs, so resuming 1,000 flows costs one fsync, not 1,000.
import type { Effect, FlowSettings } from "../core/effects.ts";
import { type FlowState, transition } from "../core/transition.ts";
import type { FlowSummary } from "../engine-api.ts";
import type { Journal } from "../journal/types.ts";
import type { Logger } from "../../base/log.ts";
import { isPaymentFlowKind, PAYMENT_FLOW_KINDS } from "./kinds/registry.ts";
import { recordOf } from "./runner.ts";
import { summarizeState } from "./snapshot.ts";

export interface RecoveredFlow {
  readonly state: FlowState;
  readonly effects: readonly Effect[];
  readonly startedAt: number;
}

export async function recoverFlows(journal: Journal, now: number, settings: FlowSettings, random: number): Promise<readonly RecoveredFlow[]> {
  const open = await journal.unfinishedFlows();
  const recovered: RecoveredFlow[] = [];
  for (const f of open) {
    // Other rows (kiosk sales: agent/kiosk/) are recovered by their owners.
    if (!isPaymentFlowKind(f.kind)) continue;
    const step = transition(f.state as FlowState, { type: "recover" }, { now, settings, random });
    recovered.push({ state: step.state, effects: step.effects, startedAt: f.createdAt });
  }
  await journal.appendMany(recovered.map((r) => recordOf(r.state, { type: "recover" }, r.effects, now)));
  return recovered;
}

/** The most recently finished flows, newest first, as the technician's `flows --all` lists them. */
export async function recentFinishedFlows(journal: Journal, limit: number, logger: Logger): Promise<FlowSummary[]> {
  let rows;
  try {
    rows = await journal.flows({ limit, kinds: PAYMENT_FLOW_KINDS, finished: true });
  } catch (err) {
    // A view for technicians: never a reason not to start.
    logger.warn("recent_flows_unavailable", { err });
    return [];
  }
  const out: FlowSummary[] = [];
  for (const r of rows) {
    // One row that cannot be read (a state written by another version) costs that row, not the list.
    try {
      out.push(summarizeState(r.state as FlowState, r.createdAt, r.updatedAt));
    } catch (err) {
      logger.warn("recent_flow_unreadable", { flowId: r.flowId, kind: r.kind, err });
    }
  }
  return out;
}
