// A period summary as a technician reads it: a short head (scope, period, sales, refunds, total),
// then one line per transaction; the same lines fit the receipt printer (`width` columns). And the
// same summary as CSV (RFC 4180, CRLF), whose total row is what a bookkeeper checks.
import { formatMinor } from "../../base/money.ts";
import type { PeriodSummary } from "./period-report.ts";

export interface PeriodReportView {
  readonly summary: PeriodSummary;
  readonly currency: string;
  readonly flowId?: string;
  readonly reportIds?: readonly string[];
}

/** The total a close stands for: the totals report's, else its lines'. */
export function periodTotalMinor(s: PeriodSummary): number | undefined {
  return s.salesTotalMinor ?? s.linesTotalMinor;
}

/** Label left, value right; on narrow paper a pair that does not fit puts the value on a line of its own. */
function pair(label: string, value: string, width: number): string {
  if (label.length + 1 + value.length <= width) return `${label}${" ".repeat(width - label.length - value.length)}${value}`;
  return `${label.slice(0, width)}\n${value.length >= width ? value.slice(0, width) : value.padStart(width)}`;
}

function short(id: string, max: number): string {
  return id.length <= max ? id : `…${id.slice(id.length - max + 1)}`;
}

export function periodReportLines(v: PeriodReportView, width = 60): string[] {
  return headAndLines(v, width).flatMap((l) => l.split("\n"));
}

function headAndLines(v: PeriodReportView, width: number): string[] {
  const s = v.summary;
  const out: string[] = [];
  const head = s.scope === "terminal" ? `Period report, terminal ${s.terminalId ?? "?"}` : "Period report, whole shop";
  out.push(head);
  out.push(pair("Period", s.transactionPeriodId ?? "-", width));
  if (s.generatedAt) out.push(pair("Generated (Glase)", s.generatedAt, width));
  if (v.flowId) out.push(pair("Flow", v.flowId, width));
  out.push("-".repeat(width));
  const sales = s.salesCount ?? s.linesSalesCount;
  if (sales !== undefined) out.push(pair("Sales", String(sales), width));
  if (s.linesRefundCount !== undefined) out.push(pair("Refunds", String(s.linesRefundCount), width));
  const total = periodTotalMinor(s);
  out.push(pair(`Total (net of refunds) ${v.currency}`, total === undefined ? "-" : formatMinor(total), width));
  for (const g of s.groups ?? []) out.push(pair(`  ${g.by} ${short(g.id || "NULL", width - 30)} (${g.salesCount})`, formatMinor(g.salesTotalMinor), width));
  if (s.lines !== undefined) {
    out.push("-".repeat(width));
    if (s.lines.length === 0) out.push("(no transactions in this period)");
    const amountWidth = Math.max(8, ...s.lines.map((l) => formatMinor(l.amountMinor).length));
    const idWidth = width - amountWidth - 1;
    for (const l of s.lines) {
      const who = s.scope === "shop" ? `${short(l.terminalId, 8)} ` : "";
      out.push(pair(short(`${who}${l.ersReference}`, idWidth), formatMinor(l.amountMinor), width));
    }
  }
  for (const p of s.problems) out.push(`! ${p}`);
  return out;
}

const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** One row per line (sale or refund), then the totals row; amounts in currency units, 2 decimals. */
export function periodReportCsv(v: PeriodReportView): string {
  const s = v.summary;
  const rows: string[][] = [["type", "transactionPeriodId", "terminalId", "cashierId", "ersReference", "amount", "currency", "salesCount"]];
  const period = s.transactionPeriodId ?? "";
  for (const l of s.lines ?? []) rows.push([l.amountMinor < 0 ? "refund" : "sale", period, l.terminalId, l.cashierId ?? "", l.ersReference, formatMinor(l.amountMinor), v.currency, ""]);
  for (const g of s.groups ?? []) rows.push([`${g.by}-total`, period, g.by === "terminal" ? g.id : "", g.by === "cashier" ? g.id : "", "", formatMinor(g.salesTotalMinor), v.currency, String(g.salesCount)]);
  const total = periodTotalMinor(s);
  rows.push(["total", period, s.terminalId ?? "", "", "", total === undefined ? "" : formatMinor(total), v.currency, String(s.salesCount ?? s.linesSalesCount ?? "")]);
  return rows.map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}
