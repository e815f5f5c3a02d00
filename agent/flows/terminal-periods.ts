// A terminal's reconciliation period is evidence: a refund marks the terminal's period before it is
// sent, and one whose answer was lost is checked by marking it again and reading the details
// report of the periods marked since (agent/core/refund.ts). The
// check is sound only if the period it reads is the one holding the refund, so nothing else may
// mark that terminal's period meanwhile. This guard keeps, per terminal, at most one of: an
// unresolved refund (running or parked) or a running per-terminal reconciliation — and after a
// reconciliation whose mark was ambiguous, waits until that mark can no longer be processed late.
// It also tells a new refund which other refunds of the same terminal and amount the journal knows,
// so their rows in a report are not taken for its own, and a terminal close which periods the
// agent marked since the last reported close (the shift is their union: core/shift-periods.ts).
import type { OtherRefunds } from "../core/refund-evidence.ts";
import { type ShiftPeriods, shiftPeriods } from "../core/shift-periods.ts";
import type { FlowState } from "../core/transition.ts";
import { AgentError } from "../../base/errors.ts";
import { flowKind } from "./kinds/registry.ts";
import type { Journal } from "../journal/types.ts";

export class TerminalPeriods {
  /** Terminal → time until which a lost mark of its period may still be processed. */
  private readonly heldUntil = new Map<string, number>();

  constructor(
    private readonly journal: Journal,
    private readonly now: () => number,
    private readonly callTimeoutMs: number,
  ) {}

  /** Refuses (CONFLICT) when another flow may mark, or is checking with, this terminal's period. */
  assertFree(terminalId: string, starting: "refund" | "reconciliation", running: Iterable<FlowState>): void {
    for (const s of running) {
      if (s.phase === "finished" || !("terminalId" in s) || s.terminalId !== terminalId) continue;
      const use = flowKind(s).periodUse?.(s);
      if (use === "checks") {
        const state = s.phase === "parked" ? "parked (refund-unknown): resolve it first" : "still running: try again when it ends";
        throw new AgentError("CONFLICT", `terminal ${terminalId} has an unresolved refund ${s.flowId}, ${state}; its check reads this terminal's period`, { terminalId, flowId: s.flowId, starting });
      }
      if (use === "marks" && starting === "refund") {
        throw new AgentError("CONFLICT", `terminal ${terminalId} is being reconciled (${s.flowId}); start the refund when it ends`, { terminalId, flowId: s.flowId, starting });
      }
    }
    const until = this.heldUntil.get(terminalId) ?? 0;
    if (starting === "refund" && this.now() < until) {
      const s = Math.ceil((until - this.now()) / 1000);
      throw new AgentError("CONFLICT", `terminal ${terminalId}: a period mark whose answer was lost may still be processed; try again in ${s} s`, { terminalId, retryAfterS: s });
    }
  }

  /** A flow ended: a terminal reconciliation whose mark is unknown holds the period for two call timeouts. */
  ended(s: FlowState): void {
    const terminalId = flowKind(s).periodHeldAfter?.(s);
    if (terminalId !== undefined) this.heldUntil.set(terminalId, this.now() + 2 * this.callTimeoutMs);
  }

  /** Refunds of `amountMinor` on `terminalId` the journal knows (all ended: only one may be unresolved). */
  async otherRefunds(terminalId: string, amountMinor: number): Promise<OtherRefunds> {
    const flows = await this.journal.flows({ kind: "refund", limit: 100_000 });
    const references: string[] = [];
    const flowIds: string[] = [];
    let unreferenced = 0;
    for (const f of flows) {
      const s = f.state as Partial<Extract<FlowState, { kind: "refund" }>>;
      if (s.terminalId !== terminalId || s.amountMinor !== amountMinor || typeof s.flowId !== "string") continue;
      flowIds.push(s.flowId);
      if (s.refundReference) references.push(s.refundReference);
      // A technician's "refunded" or "failed" says nothing about a row: it may be there, unnamed.
      else if (s.resolvedBy === "technician" || (s.outcome === "refunded" && !s.refundReference)) unreferenced++;
    }
    return { references, flowIds, unreferenced };
  }

  /** The periods of `terminalId`'s shift marked by the agent since its last reported close, and the marks whose id is lost. */
  async shift(terminalId: string): Promise<ShiftPeriods> {
    const flows = await this.journal.flows({ kinds: ["refund", "reconciliation"], limit: 100_000 });
    return shiftPeriods(flows.filter((f) => f.terminalId === terminalId || (f.state as { terminalId?: unknown } | null)?.terminalId === terminalId), terminalId);
  }
}
