// A refund is checked against what is left of the payment before anything is sent to Glase:
// the paid amount (its receipt) minus every refund of it that is done or may still be done
// (running, or parked with an unknown outcome — counted, so an unknown refund is never refunded
// again by accident). Refunds of one payment are checked and started one at a time, so two
// technicians cannot both take the last 10.00.
import { formatMinor } from "../../base/money.ts";
import { AgentError } from "../../base/errors.ts";
import { countedRefundMinor } from "../journal/refund-totals.ts";
import type { Journal } from "../journal/types.ts";
import type { FlowState } from "../core/transition.ts";
import { flowKind } from "../flows/kinds/registry.ts";

/**
 * Minor units refunded (or possibly refunded) of a payment: its refund flows in the journal that
 * count (done, running, parked unknown, or ended after repeated 93/94 — refund-totals.ts), plus
 * the totals of those compaction has removed.
 */
export async function refundedMinor(journal: Journal, ersReference: string): Promise<number> {
  const flows = await journal.flows({ kind: "refund", limit: 100_000 });
  let sum = await journal.compactedRefundMinor(ersReference);
  for (const f of flows) {
    const counted = countedRefundMinor(f);
    if (counted?.ersReference === ersReference) sum += counted.amountMinor;
  }
  return sum;
}

/** Earlier refunds of a payment of exactly this amount that count (a forced refund's double). */
async function sameAmountRefunds(journal: Journal, ersReference: string, amountMinor: number): Promise<number> {
  const flows = await journal.flows({ kind: "refund", limit: 100_000 });
  return flows.filter((f) => {
    const c = countedRefundMinor(f);
    return c?.ersReference === ersReference && c.amountMinor === amountMinor;
  }).length;
}

export class RefundGuard {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly journal: Journal) {}

  /**
   * A payment a kept alarm told as paid with nothing released for it (agent/flows/kept-alarms.ts) —
   * unless the sale it names as its origin is in the journal and may hold a payment it never learnt
   * the ersReference of (review 8 #1): then this may be that sale's own, and the desk asks for --force.
   */
  async unclaimedPayment(ersReference: string): Promise<{ amountMinor: number; currency: string; point: number } | undefined> {
    const p = await this.journal.unclaimedPayment(ersReference);
    if (p?.origin === undefined) return p;
    const origin = await this.journal.flow(p.origin);
    const s = origin?.state as FlowState | undefined;
    return s !== undefined && flowKind(s).ownPaymentUnknown?.(s as never) === true ? undefined : p;
  }

  /**
   * Runs `start` when `amountMinor` fits in what is left of a payment of `paidMinor`; refuses
   * with CONFLICT (naming both amounts) before anything is sent otherwise.
   */
  /**
   * A forced refund (no record of the payment, so no paid amount to check against): one at a
   * time per payment, and checked against the earlier refunds of it — one of the same amount
   * that is done or may be done is the double a repeated command makes, refused CONFLICT; so is
   * one covered by the compacted total of its refunds (whose amounts are no longer known).
   */
  unchecked<T>(req: { readonly ersReference: string; readonly amountMinor: number; readonly currency?: string }, start: () => Promise<T>): Promise<T> {
    return this.serially(req.ersReference, async () => {
      // Compaction keeps only a payment's total (refund_totals), not each refund's amount: a total
      // that covers this amount may hold the very refund being repeated (review 3 #8).
      const compacted = await this.journal.compactedRefundMinor(req.ersReference);
      if (compacted >= req.amountMinor) {
        const refunded = await refundedMinor(this.journal, req.ersReference);
        throw new AgentError(
          "CONFLICT",
          `payment ${req.ersReference} already has ${formatMinor(compacted)} refunded by this agent in flows compacted out of the journal (refunded so far: ${formatMinor(refunded)}), which may include a refund of ${formatMinor(req.amountMinor)}; check the payment at Glase before refunding it again`,
          { ersReference: req.ersReference, amountMinor: req.amountMinor, refundedMinor: refunded, compactedMinor: compacted },
        );
      }
      if ((await sameAmountRefunds(this.journal, req.ersReference, req.amountMinor)) > 0) {
        const refunded = await refundedMinor(this.journal, req.ersReference);
        throw new AgentError(
          "CONFLICT",
          `a refund of ${formatMinor(req.amountMinor)} of payment ${req.ersReference} is already done or may be done (refunded so far: ${formatMinor(refunded)}); ctl flows --all shows it — a second one of the same amount is refused`,
          { ersReference: req.ersReference, amountMinor: req.amountMinor, refundedMinor: refunded },
        );
      }
      return start();
    });
  }

  async refund<T>(req: { readonly ersReference: string; readonly amountMinor: number; readonly paidMinor: number; readonly currency: string }, start: () => Promise<T>): Promise<T> {
    return this.serially(req.ersReference, async () => {
      const refunded = await refundedMinor(this.journal, req.ersReference);
      const left = req.paidMinor - refunded;
      if (req.amountMinor > left) {
        throw new AgentError(
          "CONFLICT",
          `refund of ${formatMinor(req.amountMinor)} ${req.currency} exceeds what is left of payment ${req.ersReference}: paid ${formatMinor(req.paidMinor)}, refunded ${formatMinor(refunded)}, left ${formatMinor(Math.max(0, left))}`,
          { ersReference: req.ersReference, amountMinor: req.amountMinor, paidMinor: req.paidMinor, refundedMinor: refunded },
        );
      }
      return start();
    });
  }

  /** Runs `task` after every earlier one for the same payment has settled (done or refused). */
  private async serially<T>(ersReference: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(ersReference) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(task);
    this.locks.set(ersReference, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(ersReference) === run) this.locks.delete(ersReference);
    }
  }
}
