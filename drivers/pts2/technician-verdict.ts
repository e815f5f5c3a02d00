// A technician's decision on a sale the driver could not prove ours or someone else's
// (PTS_OWNERSHIP_UNKNOWN: no UserId on this firmware, the agent's id not corroborated yet or in
// doubt). Review 4 (R4-3) found no exit that charged such a sale: `retry` read the same "unknown",
// and mark-settled / cancel release the customer's reservation — every exit gave the fuel away.
// After checking the pump's transaction on the controller (who authorized it, its volume):
//   ours     → `claimedAt` in the record (durable): the next read settles it at the controller's
//              own figures, across restarts and controller clock steps (`ctl resolve FLOW claim`)
//   not-ours → refused + foreign in our book: nothing charged, the pump not touched — it is the
//              other system's sale to close (`ctl resolve FLOW disown`)
// Only a record PARKED for this decision (`authorizing` with `ownershipUnknownAt`: the
// PTS_OWNERSHIP_UNKNOWN alarm was raised) takes one, and not while the driver is resolving its
// PumpAuthorize (review 5, R5-2: a claim on a record merely waiting for a busy read-back was
// accepted, and then charged the POS's sale that took the number). One the controller confirmed to
// us is ours already — unless its UserId contradicted ours, then it was parked like the others
// (user-check.ts, review 8 R8-1) and its `sentAs` marked in doubt, so a claim decides it — one
// closed is closed. A claim never beats a provable UserId contradiction
// (ownership.ts).
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { SaleVerdict } from "../../contracts/dispenser.ts";
import type { TransactionBook, TxRecord } from "./transactions.ts";

export async function technicianVerdict(book: TransactionBook, flowId: string, verdict: SaleVerdict, now: number, logger: Logger, authorizing: ReadonlySet<string> = new Set()): Promise<void> {
  const r = book.byFlow(flowId);
  if (!r) throw new AgentError("NOT_FOUND", `no PTS-2 transaction of flow ${flowId}`, { flowId });
  // Lost (the controller no longer knows it, or another sale took its number): nothing a claim could
  // charge — refused, never accepted and then charged nothing (review 14 final 3, S2). Judged before
  // the idempotent answers: a sale claimed and THEN lost (S4) is not "ours already" (review 14t, T1).
  if (r.lostAt !== undefined) throw lostConflict(r);
  if (verdict === "ours" && (r.claimedAt !== undefined || (r.phase === "authorized" && r.closedAt === undefined))) return; // ours already: idempotent
  if (verdict === "not-ours" && r.disownedAt !== undefined) return;
  if (r.phase !== "authorizing") {
    throw new AgentError("CONFLICT", `flow ${flowId}: pump ${r.pump} transaction ${r.transaction} is ${r.phase}${r.closedAt !== undefined ? " and closed" : ""}, not waiting for an ownership decision`, { flowId, phase: r.phase });
  }
  if (r.ownershipUnknownAt === undefined) {
    throw new AgentError("CONFLICT", `flow ${flowId}: pump ${r.pump} transaction ${r.transaction} was not parked as PTS_OWNERSHIP_UNKNOWN (its authorization is still being resolved); claim/disown only decide a parked sale`, { flowId, phase: r.phase });
  }
  if (authorizing.has(flowId)) {
    throw new AgentError("CONFLICT", `flow ${flowId}: the driver is sending or reading back the PumpAuthorize of pump ${r.pump} transaction ${r.transaction} right now; try again once the flow is parked`, { flowId, phase: r.phase });
  }
  const at = now;
  let changed = false;
  let lost = false;
  const next = await book.update(flowId, (c) => {
    // A loss written on the record's update chain between the checks above and this write (a read
    // losing it right now) wins: a claim is never recorded on a lost sale (review 14t, T1).
    if (c.lostAt !== undefined) return (lost = true), {};
    if (c.phase !== "authorizing" || c.ownershipUnknownAt === undefined) return {};
    changed = true;
    return verdict === "ours" ? { claimedAt: at } : { phase: "refused", foreign: true, disownedAt: at, closedAt: at };
  });
  if (lost) throw lostConflict(next);
  if (!changed) throw new AgentError("CONFLICT", `flow ${flowId}: pump ${next.pump} transaction ${next.transaction} moved on (${next.phase}) before the decision was recorded`, { flowId, phase: next.phase });
  logger.warn("pts_technician_verdict", { flowId, pump: next.pump, transaction: next.transaction, verdict, phase: next.phase });
}

function lostConflict(r: TxRecord): AgentError {
  return new AgentError("CONFLICT", `flow ${r.flowId}: pump ${r.pump} transaction ${r.transaction} is lost on the controller (PTS_TRANSACTION_LOST): the agent cannot read it; read the sale off the pump and settle it by hand (ctl resolve ${r.flowId} mark-settled / cancel)`, { flowId: r.flowId, phase: r.phase, lost: true });
}
