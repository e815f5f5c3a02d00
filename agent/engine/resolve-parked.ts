// A technician's resolution of a parked flow (`ctl resolve FLOW ACTION`): the checks the engine
// makes before feeding the flow the technician input, so a command that cannot apply is refused
// with the reason rather than silently ignored by the machine. What each action does is the flow's.
import { AgentError } from "../../base/errors.ts";
import type { DispenserController } from "../../contracts/dispenser.ts";
import type { FlowContext } from "../core/effects.ts";
import { validChargeAmount } from "../core/preliminary-charge.ts";
import type { ParkedAction } from "../engine-api.ts";
import { flowKind } from "../flows/kinds/registry.ts";
import type { FlowRegistry } from "./flow-registry.ts";

export interface ParkedResolution {
  readonly flows: FlowRegistry;
  /** The flows' context now (the charge's refusal reads the clock: a lapsed reservation). */
  readonly ctx: () => FlowContext;
  readonly dispenser?: DispenserController;
}

export async function resolveParked(host: ParkedResolution, flowId: string, action: ParkedAction, amountMinor?: number): Promise<void> {
  const r = host.flows.get(flowId);
  if (!r) throw new AgentError("NOT_FOUND", `no running flow ${flowId}`, { flowId });
  if (action === "charge") return charge(host, flowId, amountMinor);
  if (amountMinor !== undefined) throw new AgentError("INPUT_INVALID", `amountMinor: only with action charge, not ${action}`, { flowId, field: "amountMinor" });
  if (action === "claim" || action === "disown") {
    // The driver records the decision (durably); a parked flow then reads the sale again, one
    // still retrying its read picks the decision up at its next read.
    const d = host.dispenser;
    if (!d?.resolveSale) throw new AgentError("NOT_FOUND", "no controller of this station takes a sale ownership decision (claim/disown are for PTS_OWNERSHIP_UNKNOWN)", { flowId });
    await d.resolveSale(flowId, action === "claim" ? "ours" : "not-ours");
    if (r.state.phase === "parked") await r.feed({ type: "technician", action: "retry" });
    return;
  }
  // A flow securing its pump (money settled, the board not reachable) ends on a technician's
  // mark-settled: they checked at the pump that it is off.
  const securing = r.state.phase === "securing" && action === "mark-settled";
  if (r.state.phase !== "parked" && !securing) throw new AgentError("CONFLICT", `flow ${flowId} is not parked (${r.state.phase})`, { flowId });
  await r.feed({ type: "technician", action });
}

/**
 * The flow's kind judges the charge (agent/core/preliminary-charge.ts); the input is journaled
 * with its amount (`technician charge 1234`), the socket layer journals who asked. The machine
 * judges it again when it arrives (an input queued before it may have changed the flow): one it
 * did not apply is refused here too, never answered as done.
 */
async function charge(host: ParkedResolution, flowId: string, amountMinor: number | undefined): Promise<void> {
  if (amountMinor === undefined || !validChargeAmount(amountMinor)) {
    throw new AgentError("INPUT_INVALID", `amountMinor: a charge needs a positive integer of minor units (the amount read off the pump), got ${amountMinor}`, { flowId, field: "amountMinor", amountMinor });
  }
  const r = host.flows.get(flowId)!;
  const kind = flowKind(r.state);
  const why = kind.chargeRefusal ? kind.chargeRefusal(r.state, amountMinor, host.ctx()) : `a ${r.state.kind} flow is not charged this way`;
  if (why !== undefined) throw new AgentError("CONFLICT", `flow ${flowId} cannot be charged: ${why}`, { flowId, reason: why });
  await r.feed({ type: "technician", action: "charge", amountMinor });
  if (kind.chargedByTechnician?.(r.state) !== true) throw new AgentError("CONFLICT", `flow ${flowId} changed before the charge arrived (now ${r.state.phase}): nothing charged`, { flowId, phase: r.state.phase });
}
