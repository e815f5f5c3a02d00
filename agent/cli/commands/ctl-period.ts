// `ctl close-period`'s output: the period summary as a table (the same lines the printer gets, at
// terminal width), or as CSV; with --json the CLI prints the whole result instead.
import { formatMinor } from "../../../base/money.ts";
import { periodReportCsv, periodReportLines, periodTotalMinor } from "../../core/period-report-text.ts";
import type { KeptPeriodReport, PeriodCloseResult } from "../../daemon/period-close.ts";
import { table, time } from "./ctl-render.ts";

export function renderPeriodClose(r: PeriodCloseResult, csv: boolean): string {
  const view = { summary: r.summary, currency: r.currency, flowId: r.flowId, reportIds: r.reportIds };
  if (csv) return periodReportCsv(view).replace(/\r\n$/, "");
  const lines = periodReportLines(view, 60);
  lines.push("", `reports: ${r.reportIds.join(", ")}`);
  if (r.printed === true) lines.push("printed on the receipt printer");
  if (r.printed === false) lines.push(`NOT printed: ${r.printError ?? "printer unavailable"} (the report is kept in the journal)`);
  return lines.join("\n");
}

/** `ctl periods`: one line per kept close, or (with --flow) that close's whole report. */
export function renderKeptPeriods(kept: readonly KeptPeriodReport[], whole: boolean, csv: boolean): string {
  if (whole || csv) {
    return kept
      .map((k) => {
        const view = { summary: k.summary, currency: k.currency, flowId: k.flowId, reportIds: k.reportIds };
        return csv ? periodReportCsv(view).replace(/\r\n$/, "") : [...periodReportLines(view, 60), "", `closed: ${time(k.at)}`, `reports: ${k.reportIds.join(", ")}`].join("\n");
      })
      .join("\n\n");
  }
  const rows = kept.map((k) => {
    const total = periodTotalMinor(k.summary);
    return [k.flowId, time(k.at), k.scope, k.summary.terminalId ?? "-", k.transactionPeriodId ?? "-", String(k.summary.salesCount ?? k.summary.linesSalesCount ?? "-"), total === undefined ? "-" : `${formatMinor(total)} ${k.currency}`];
  });
  return table(["FLOW", "CLOSED", "SCOPE", "TERMINAL", "PERIOD", "SALES", "TOTAL"], rows);
}
