// A period summary as a technician reads it: a short head (scope, period, sales, refunds, total),
// then one line per transaction; the same lines fit the receipt printer (`width` columns). And the
// same summary as CSV (RFC 4180, CRLF), whose total row is what a bookkeeper checks.
import { formatMinor } from "../../base/money.ts";
import { formatAmount } from "../../base/i18n/format.ts";
import { PERIOD_LABELS, type Locale } from "../../base/i18n/messages.ts";
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

/** A terminal/cashier id cut to `max` from the left, marked (".." on paper: "…" is not in the printer's code table). */
function short(id: string, max: number, mark: string): string {
  return id.length <= max ? id : `${mark}${id.slice(id.length - max + mark.length)}`;
}

/** How the report is written: the CLI's English table, or the printed slip in the station's language. */
export interface PeriodTextOptions {
  /** The slip: labels and decimal separator of this locale, ASCII marks only (the printer's code table). */
  readonly locale?: Locale;
  /** The station's zone (IANA): Glase's generation time is shown in it, named. Default UTC. */
  readonly timeZone?: string;
}

/**
 * Glase's `GeneratedAt` in the station's zone, the zone named, like the slip's Time line (review 2
 * of issue 11 #4). The contract gives it no zone; Glase (and the simulator) write UTC, so a time
 * without an offset is read as UTC. A text that is no time is shown as Glase wrote it, labelled.
 */
export function glaseTimeIn(raw: string, timeZone = "UTC"): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(raw.trim());
  if (!m) return `${raw} (Glase clock)`;
  const offset = m[7] === undefined || m[7] === "Z" ? "Z" : m[7].length === 5 ? `${m[7].slice(0, 3)}:${m[7].slice(3)}` : m[7];
  const at = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}${offset}`);
  if (Number.isNaN(at.getTime())) return `${raw} (Glase clock)`;
  let zone = timeZone;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at);
  } catch {
    zone = "UTC";
    parts = new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at);
  }
  const p = (type: string) => parts.find((x) => x.type === type)?.value ?? "??";
  return `${p("year")}-${p("month")}-${p("day")} ${p("hour")}:${p("minute")} ${zone}`;
}

export function periodReportLines(v: PeriodReportView, width = 60, o: PeriodTextOptions = {}): string[] {
  return headAndLines(v, width, o).flatMap((l) => l.split("\n"));
}

function headAndLines(v: PeriodReportView, width: number, o: PeriodTextOptions): string[] {
  const s = v.summary;
  const t = PERIOD_LABELS[o.locale ?? "en"];
  const amount = (minor: number) => (o.locale ? formatAmount(minor, o.locale) : formatMinor(minor));
  const mark = o.locale ? ".." : "…";
  const out: string[] = [];
  out.push(`${t.title}, ${s.scope === "terminal" ? t.terminalScope.replace("{id}", s.terminalId ?? "?") : t.wholeShop}`);
  out.push(pair(t.period, s.transactionPeriodId ?? "-", width));
  // A shift of several periods: each one summed here is named (the earlier ones first).
  for (const p of (s.periods ?? []).filter((id) => id !== s.transactionPeriodId)) out.push(pair(`  + ${t.period}`, p, width));
  if (s.generatedAt) out.push(pair(t.generated, glaseTimeIn(s.generatedAt, o.timeZone), width));
  if (v.flowId) out.push(pair(t.flow, v.flowId, width));
  out.push("-".repeat(width));
  const sales = s.salesCount ?? s.linesSalesCount;
  if (sales !== undefined) out.push(pair(t.sales, String(sales), width));
  if (s.linesRefundCount !== undefined) out.push(pair(t.refunds, String(s.linesRefundCount), width));
  const total = periodTotalMinor(s);
  out.push(pair(`${t.total} ${v.currency}`, total === undefined ? "-" : amount(total), width));
  for (const g of s.groups ?? []) out.push(pair(`  ${g.by === "terminal" ? t.byTerminal : t.byCashier} ${short(g.id || "NULL", Math.max(8, width - 30), mark)} (${g.salesCount})`, amount(g.salesTotalMinor), width));
  if (s.lines !== undefined) {
    out.push("-".repeat(width));
    if (s.lines.length === 0) out.push(t.noLines);
    for (const l of s.lines) out.push(...lineOf(s.scope === "shop" ? short(l.terminalId, 8, mark) : undefined, l.ersReference, amount(l.amountMinor), width));
  }
  for (const p of s.problems) out.push(`! ${p}`);
  return out;
}

/**
 * One transaction: the ersReference is never cut (it is what a sale is matched by). "terminal
 * reference amount" when it fits; on narrow paper the terminal and the amount on one line and the
 * reference, whole, on the next (or the reference, then the amount).
 */
function lineOf(terminal: string | undefined, ref: string, amount: string, width: number): string[] {
  const entry = terminal !== undefined ? `${terminal} ${ref}` : ref;
  if (entry.length + 1 + amount.length <= width) return [pair(entry, amount, width)];
  const refLines: string[] = [];
  for (let i = 0; i < ref.length; i += width - 2) refLines.push(`  ${ref.slice(i, i + width - 2)}`);
  if (terminal !== undefined) return [pair(terminal, amount, width), ...refLines];
  if (ref.length <= width) return [ref, amount.padStart(width)];
  return [...refLines, amount.padStart(width)];
}

const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** One row per line (sale or refund), then the totals row; amounts in currency units, 2 decimals. */
export function periodReportCsv(v: PeriodReportView): string {
  const s = v.summary;
  const rows: string[][] = [["type", "transactionPeriodId", "terminalId", "cashierId", "ersReference", "amount", "currency", "salesCount"]];
  const period = s.transactionPeriodId ?? "";
  for (const l of s.lines ?? []) rows.push([l.amountMinor < 0 ? "refund" : "sale", l.transactionPeriodId ?? period, l.terminalId, l.cashierId ?? "", l.ersReference, formatMinor(l.amountMinor), v.currency, ""]);
  for (const g of s.groups ?? []) rows.push([`${g.by}-total`, period, g.by === "terminal" ? g.id : "", g.by === "cashier" ? g.id : "", "", formatMinor(g.salesTotalMinor), v.currency, String(g.salesCount)]);
  const total = periodTotalMinor(s);
  rows.push(["total", period, s.terminalId ?? "", "", "", total === undefined ? "" : formatMinor(total), v.currency, String(s.salesCount ?? s.linesSalesCount ?? "")]);
  return rows.map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}
