// Which periods make up a terminal's shift (review 2 of issue 9, G). The agent marks a terminal's
// period outside a shift close: a refund marks it before it is sent (periodBefore) and its check
// marks it to read the refund's row (refund.ts). Each mark closes a period (§3.11) and "reports
// cover the transactions since the previous mark" (§6.11), so a close that read only its own new
// period would report the part of the shift after the last such mark, as if it were the shift.
// From the journaled flows of one terminal this finds every period marked since the last close
// that reported, in order, and every mark whose answer was lost (its period cannot be read).
// Pure: flow records in, periods out. Refunds and terminal closes of one terminal never overlap
// (agent/flows/terminal-periods.ts refuses it), so their creation order is the order of the marks.
import type { ReconciliationState, UnknownMark } from "./reconciliation.ts";
import type { RefundState } from "./refund.ts";

export interface ShiftFlow {
  readonly flowId: string;
  readonly kind: string;
  readonly createdAt: number;
  readonly state: unknown;
}

export interface ShiftPeriods {
  /** Periods the agent marked since the last reported close, oldest first. */
  readonly earlierPeriods: readonly string[];
  /** Marks of the shift whose period id is lost, said for a technician. */
  readonly unknownMarks: readonly UnknownMark[];
}

type Loose<T> = Partial<T> & { readonly kind?: string };

/** A close whose reports were read: the shift before it was reported there. */
function reportedClose(s: Loose<ReconciliationState>, terminalId: string): boolean {
  return s.kind === "reconciliation" && s.scope === "terminal" && s.terminalId === terminalId && (s.outcome === "reported" || s.outcome === "partial");
}

export function shiftPeriods(flows: readonly ShiftFlow[], terminalId: string): ShiftPeriods {
  const ordered = [...flows].sort((a, b) => a.createdAt - b.createdAt || (a.flowId < b.flowId ? -1 : a.flowId > b.flowId ? 1 : 0));
  let from = 0;
  ordered.forEach((f, i) => {
    if (reportedClose(f.state as Loose<ReconciliationState>, terminalId)) from = i + 1;
  });
  const earlier: string[] = [];
  const unknown: UnknownMark[] = [];
  for (const f of ordered.slice(from)) {
    const s = f.state as Loose<RefundState> & Loose<ReconciliationState>;
    if (s.terminalId !== terminalId) continue;
    if (s.kind === "refund") {
      const r = s as Loose<RefundState>;
      // Journals from before markedPeriods: the check's periods are the ones it marked.
      earlier.push(...(r.markedPeriods ?? r.periods ?? (r.periodId !== undefined ? [r.periodId] : [])));
      const lost = r.lostMarks ?? (r.markedPeriods === undefined && r.checkUnsound ? 1 : 0);
      if (lost > 0) unknown.push(`refund ${f.flowId} made ${lost} period mark${lost > 1 ? "s" : ""} whose answer was lost`);
    } else if (s.kind === "reconciliation" && s.scope === "terminal") {
      const c = s as Loose<ReconciliationState>;
      // A close that marked but never reported (its report refused, then cancelled): its periods are still the shift's.
      if (c.transactionPeriodId !== undefined) earlier.push(...(c.earlierPeriods ?? []), c.transactionPeriodId);
      else if (c.outcome === "period-unknown") unknown.push(`close ${f.flowId}'s period mark answer was lost`);
      if (c.unknownMarks !== undefined && c.transactionPeriodId !== undefined) unknown.push(...c.unknownMarks);
    }
  }
  return { earlierPeriods: [...new Set(earlier)], unknownMarks: unknown };
}
