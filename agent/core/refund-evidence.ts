// What a terminal's details report (STD_RECON_007, contract §5.7) proves about one refund whose
// answer was lost. A refund row reads TerminalId, CashierId, SalesAmount = −amount and the REFUND's
// own ErsReference — which is exactly what the lost answer would have told us. Which invoice a
// refund row's CashierId comes from (the refund's description, the original payment's, or none:
// "NULL when the invoice had none") the contract does not say, so a CashierId naming this flow is
// proof, but its absence is not: a row is attributed by amount, after excluding every row the
// journal can explain (other refunds of this terminal and amount, by their known reference or flow id).
// Attribution by amount is sound only for periods that began after the refund flow marked the
// terminal's period right before sending (refund.ts, periodBefore): a same-amount refund this
// journal never saw (the Glase portal, an earlier installation, a journal restore) is then in an
// earlier period. Without that mark (a flow journaled before it existed) only a named row is proof.
import { reportMinor, reportRows } from "./report-rows.ts";

/** Other refunds of the same amount on the same terminal, from the journal, when this one started. */
export interface OtherRefunds {
  /** refundReference of each one Glase confirmed. */
  readonly references: readonly string[];
  /** Their flow ids (a CashierId naming one of them is not ours). */
  readonly flowIds: readonly string[];
  /** How many ended without a known reference (a technician's decision): a row of theirs cannot be told from ours. */
  readonly unreferenced: number;
}

export const NO_OTHER_REFUNDS: OtherRefunds = { references: [], flowIds: [], unreferenced: 0 };

export type Evidence =
  | { readonly kind: "found"; readonly refundReference: string }
  | { readonly kind: "absent" }
  /** Rows that could be this refund, but could be another one too. */
  | { readonly kind: "unattributable"; readonly rows: number };

export function refundEvidence(
  report: string,
  refund: { readonly flowId: string; readonly terminalId: string; readonly amountMinor: number },
  others: OtherRefunds,
  /** The periods read all began after a mark made right before the refund was sent. */
  byAmount: boolean,
): Evidence {
  const rows = reportRows(report).filter(
    (r) => reportMinor(r.SalesAmount) === -refund.amountMinor && (r.TerminalId === undefined || r.TerminalId === refund.terminalId),
  );
  const named = rows.find((r) => r.CashierId === refund.flowId && r.ErsReference);
  if (named) return { kind: "found", refundReference: named.ErsReference! };
  const candidates = rows.filter((r) => !others.references.includes(r.ErsReference ?? "") && !others.flowIds.includes(r.CashierId ?? ""));
  if (candidates.length === 0) return { kind: "absent" };
  if (candidates.length === 1 && byAmount && others.unreferenced === 0 && candidates[0]!.ErsReference) {
    return { kind: "found", refundReference: candidates[0]!.ErsReference };
  }
  return { kind: "unattributable", rows: candidates.length };
}
