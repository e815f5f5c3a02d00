// `ctl close-period`: one mark of the shop's (or one terminal's) period, then the reports §5.7
// names for a shift close — the totals and the lines of that same period — read into one summary.
// A terminal's shift that the agent's refunds split (each marks the period) is every period marked
// since the last close: the reconciliation reads each, the summary adds them up and names them.
// The reports stay in the journal with the reconciliation flow's final state; `print` sends the
// summary to the receipt printer (a printer fault is reported, never a lost report).
import type { ReceiptPrinter } from "../../contracts/printer.ts";
import { type PeriodScope, type PeriodSummary, periodReportIds, summarizePeriod } from "../core/period-report.ts";
import { periodReportLines, periodTotalMinor } from "../core/period-report-text.ts";
import type { ReconciliationState } from "../core/reconciliation.ts";
import type { PaymentEngine, ReconciliationResult } from "../engine-api.ts";
import type { Journal } from "../journal/types.ts";
import { AgentError } from "../../base/errors.ts";
import type { StationLocale } from "../../base/i18n/format.ts";
import { PERIOD_LABELS } from "../../base/i18n/messages.ts";

export interface PeriodCloseRequest {
  readonly scope: PeriodScope;
  readonly point?: number;
  /** A §5.7 report id instead of the scope's two defaults. */
  readonly reportId?: string;
  readonly print?: boolean;
}

export interface PeriodCloseResult extends ReconciliationResult {
  readonly scope: PeriodScope;
  readonly reportIds: readonly string[];
  readonly currency: string;
  readonly summary: PeriodSummary;
  readonly printed?: boolean;
  /** Why `print` did not print (the report itself is fine and journaled). */
  readonly printError?: string;
}

export interface PeriodCloseDeps {
  readonly engine: PaymentEngine;
  readonly terminalOf: (point: number) => string | undefined;
  readonly currency: string;
  readonly stationName: string;
  readonly printer?: ReceiptPrinter;
  readonly printWidth?: number;
  /** The printed slip's language and clock (station.locale, station.timeZone). */
  readonly station?: StationLocale;
  readonly now?: () => number;
}

export async function closePeriod(d: PeriodCloseDeps, req: PeriodCloseRequest): Promise<PeriodCloseResult> {
  const reportIds = periodReportIds(req.scope, req.reportId !== undefined ? [req.reportId] : []);
  const terminal = req.point !== undefined ? d.terminalOf(req.point) : undefined;
  if (req.scope === "terminal" && terminal === undefined) throw new AgentError("NOT_FOUND", `point ${req.point} has no registered terminal`, { point: req.point });
  if (req.print && !d.printer) throw new AgentError("NOT_FOUND", "--print: no printer configured (devices.printer)");
  const [reportId, ...nextReportIds] = reportIds;
  const r = await d.engine.startReconciliation({ scope: req.scope, reportId, ...(nextReportIds.length > 0 ? { nextReportIds } : {}), ...(req.scope === "terminal" ? { terminal } : {}) });
  // A shift the agent's refunds split into several periods is summed over all of them (review 2 of issue 9, G).
  const summary = summarizePeriod(req.scope, r.reports ?? [], r.transactionPeriodId, r.partial);
  const result: PeriodCloseResult = { ...r, scope: req.scope, reportIds, currency: d.currency, summary: req.scope === "terminal" && summary.terminalId === undefined ? { ...summary, terminalId: terminal } : summary };
  if (!req.print || !d.printer) return result;
  try {
    // The slip in the station's language, its time in the station's zone, named (review 11 #4).
    const locale = d.station?.locale ?? "en";
    const t = PERIOD_LABELS[locale];
    await d.printer.print({
      stationName: d.stationName,
      terminalId: result.summary.terminalId ?? t.allTerminals,
      amountMinor: periodTotalMinor(result.summary) ?? 0,
      currency: d.currency,
      ersReference: result.transactionPeriodId ?? "-",
      description: t.title,
      timestamp: new Date((d.now ?? Date.now)()).toISOString(),
      showTimeZone: true,
      extraLines: periodReportLines({ summary: result.summary, currency: d.currency, flowId: r.flowId }, d.printWidth === 80 ? 48 : 32, { locale, timeZone: d.station?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone }),
    });
    return { ...result, printed: true };
  } catch (e) {
    return { ...result, printed: false, printError: e instanceof Error ? e.message : String(e) };
  }
}

export interface KeptPeriodReport {
  readonly flowId: string;
  readonly at: number;
  readonly scope: PeriodScope;
  readonly terminalId?: string;
  readonly transactionPeriodId?: string;
  readonly reportIds: readonly string[];
  readonly currency: string;
  readonly summary: PeriodSummary;
}

/** The period closes the journal keeps (newest first): each reported reconciliation, read again from its documents. */
export async function keptPeriodReports(journal: Journal, currency: string, q: { readonly n: number; readonly flowId?: string }): Promise<readonly KeptPeriodReport[]> {
  const records = q.flowId !== undefined ? [await journal.flow(q.flowId)].filter((f) => f !== undefined) : await journal.flows({ kind: "reconciliation", finished: true, limit: q.n });
  const out: KeptPeriodReport[] = [];
  for (const f of records) {
    const s = f.state as Partial<ReconciliationState>;
    if (s.kind !== "reconciliation" || (s.outcome !== "reported" && s.outcome !== "partial") || (s.scope !== "shop" && s.scope !== "terminal")) continue;
    const reports = s.reports ?? (s.reportId !== undefined && s.report !== undefined ? [{ reportId: s.reportId, report: s.report }] : []);
    const partial = s.outcome === "partial" ? `a period of the shift cannot be read: ${(s.unknownMarks ?? []).join("; ")}` : undefined;
    const summary = summarizePeriod(s.scope, reports, s.transactionPeriodId, partial);
    out.push({
      flowId: f.flowId,
      at: f.updatedAt,
      scope: s.scope,
      ...(s.terminalId !== undefined ? { terminalId: s.terminalId } : {}),
      ...(s.transactionPeriodId !== undefined ? { transactionPeriodId: s.transactionPeriodId } : {}),
      reportIds: [...new Set(reports.map((r) => r.reportId))],
      currency,
      summary: s.scope === "terminal" && summary.terminalId === undefined && s.terminalId !== undefined ? { ...summary, terminalId: s.terminalId } : summary,
    });
  }
  if (q.flowId !== undefined && out.length === 0) throw new AgentError("NOT_FOUND", `no reported period close ${q.flowId} in the journal`, { flowId: q.flowId });
  return out.slice(0, q.n);
}
