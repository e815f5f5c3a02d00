// A technician's decision on a sale the driver could not prove ours or someone else's
// (PTS_OWNERSHIP_UNKNOWN: no UserId on this firmware, the agent's id not corroborated yet or in
// doubt). Review 4 (R4-3) found no exit that charged such a sale: `retry` read the same "unknown",
// and mark-settled / cancel release the customer's reservation — every exit gave the fuel away.
// After checking the pump's transaction on the controller (who authorized it, its volume):
//   ours     → `claimedAt` in the record (durable): the next read settles it at the controller's
//              own figures, across restarts and controller clock steps (`ctl resolve FLOW claim`)
//   not-ours → refused + foreign in our book: nothing charged, the pump not touched — it is the
//              other system's sale to close (`ctl resolve FLOW disown`)
// Only a record still waiting for its authorization to be proven (`authorizing`) takes a decision;
// one the controller confirmed to us is ours already, one closed is closed.
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { SaleVerdict } from "../../contracts/dispenser.ts";
import type { TransactionBook } from "./transactions.ts";

export async function technicianVerdict(book: TransactionBook, flowId: string, verdict: SaleVerdict, now: number, logger: Logger): Promise<void> {
  const r = book.byFlow(flowId);
  if (!r) throw new AgentError("NOT_FOUND", `no PTS-2 transaction of flow ${flowId}`, { flowId });
  if (verdict === "ours" && (r.claimedAt !== undefined || (r.phase === "authorized" && r.closedAt === undefined))) return; // ours already: idempotent
  if (verdict === "not-ours" && r.disownedAt !== undefined) return;
  if (r.phase !== "authorizing") {
    throw new AgentError("CONFLICT", `flow ${flowId}: pump ${r.pump} transaction ${r.transaction} is ${r.phase}${r.closedAt !== undefined ? " and closed" : ""}, not waiting for an ownership decision`, { flowId, phase: r.phase });
  }
  const at = now;
  const next = await book.update(flowId, (c) => {
    if (c.phase !== "authorizing") return {};
    return verdict === "ours" ? { claimedAt: at } : { phase: "refused", foreign: true, disownedAt: at, closedAt: at };
  });
  logger.warn("pts_technician_verdict", { flowId, pump: next.pump, transaction: next.transaction, verdict, phase: next.phase });
}
