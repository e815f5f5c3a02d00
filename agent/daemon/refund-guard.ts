// A refund is checked against what is left of the payment before anything is sent to Glase:
// the paid amount (its receipt) minus every refund of it that is done or may still be done
// (running, or parked with an unknown outcome — counted, so an unknown refund is never refunded
// again by accident). Refunds of one payment are checked and started one at a time, so two
// technicians cannot both take the last 10.00.
import { formatMinor } from "../core/money.ts";
import { AgentError } from "../errors.ts";
import type { Journal } from "../journal/types.ts";

interface RefundSnapshot {
  readonly ersReference?: unknown;
  readonly amountMinor?: unknown;
  readonly outcome?: unknown;
}

/** Minor units refunded (or possibly refunded) of a payment, from the journal's refund flows. */
export async function refundedMinor(journal: Journal, ersReference: string): Promise<number> {
  const flows = await journal.flows({ kind: "refund", limit: 100_000 });
  let sum = 0;
  for (const f of flows) {
    const s = f.state as RefundSnapshot;
    if (s.ersReference !== ersReference || typeof s.amountMinor !== "number") continue;
    if (f.finished && s.outcome === "failed") continue; // Glase refused it: nothing was refunded
    sum += s.amountMinor;
  }
  return sum;
}

export class RefundGuard {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly journal: Journal) {}

  /**
   * Runs `start` when `amountMinor` fits in what is left of a payment of `paidMinor`; refuses
   * with CONFLICT (naming both amounts) before anything is sent otherwise.
   */
  /** A refund that cannot be checked (forced): still one at a time per payment. */
  unchecked<T>(ersReference: string, start: () => Promise<T>): Promise<T> {
    return this.serially(ersReference, start);
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
