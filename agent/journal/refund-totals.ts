// Refund totals that outlive compaction. Refund flows are compacted after retentionDays (90 by
// default) but Invoice Service payments are kept for ever, so a payment refunded once passed the
// refund check in full again once its refund flow was gone (review 2 #10). Compaction folds each
// expired refund flow that counts into refund_totals in the same transaction that deletes it: a
// crash leaves either the flow or its total, never both and never neither.

/** The part of a refund flow's snapshot the totals need. */
export interface RefundFacts {
  readonly ersReference?: unknown;
  readonly amountMinor?: unknown;
  readonly outcome?: unknown;
  readonly failCode?: unknown;
}

/**
 * Glase's 93 (system busy) and 94 (try again) do not say the refund was not made: a refund ended
 * after repeated 93/94 answers may have been done, so it counts. Other failures were refusals.
 */
export const MAYBE_DONE_FAIL_CODES: ReadonlySet<number> = new Set([93, 94]);

/** Minor units this refund flow counts for its payment: done, running, unknown, or maybe done. */
export function countedRefundMinor(f: { readonly finished: boolean; readonly state: unknown }): { ersReference: string; amountMinor: number } | undefined {
  const s = (f.state ?? {}) as RefundFacts;
  if (typeof s.ersReference !== "string" || typeof s.amountMinor !== "number") return undefined;
  if (f.finished && s.outcome === "failed" && !(typeof s.failCode === "number" && MAYBE_DONE_FAIL_CODES.has(s.failCode))) return undefined;
  return { ersReference: s.ersReference, amountMinor: s.amountMinor };
}
