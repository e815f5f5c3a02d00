// `ctl export`: settled sales and refunds for the bookkeeping, from the journal (agent/journal/
// reader.ts reads them; this file shapes them). One row per sale (every payment Glase settled,
// with or without a kept receipt) and per refund (negative amounts, with the sale it refunds); prices include VAT, so
// a row's VAT is amount × rate / (100 + rate), rounded half away from zero to the minor unit.
// A sale whose invoice rows carry different VAT rates (its receipt's vatBreakdown) is one row PER
// RATE (same ersReference, `part` "1/2", "2/2"): each row's amount is that rate's gross, so the
// rows' amounts still sum to the sale and every VAT amount has its rate; a refund of it is split
// over the same rates in proportion (largest remainder: the parts sum to the refund exactly).
// Pure: no I/O. CSV follows RFC 4180 (comma, CRLF, quotes doubled), with decimal points.
import { formatMilli, formatMinor } from "../../base/money.ts";
import type { ExportRecord } from "../journal/reader.ts";

export interface ExportRow {
  readonly type: "sale" | "refund";
  /** The sale's ersReference, or the refund's own. */
  readonly ersReference: string;
  /** For a refund: the ersReference of the payment it refunds. */
  readonly refundOf?: string;
  /** ISO-8601: the payment date Glase gave (sales), the time the refund was confirmed (refunds). */
  readonly time: string;
  readonly at: number;
  readonly flowId: string;
  readonly point?: number;
  readonly terminalId?: string;
  readonly grade?: string;
  /** Thousandths of the unit. */
  readonly milli?: number;
  readonly unit?: string;
  readonly unitPriceMinor?: number;
  /** Gross, VAT included; negative for refunds. */
  readonly amountMinor: number;
  readonly currency: string;
  readonly vatRatePercent?: number;
  readonly vatMinor?: number;
  /** One rate's part of a multi-rate sale or refund: "k/n" (a sale counts once, on its part "1/n"). */
  readonly part?: string;
}

export interface ExportTotals {
  readonly sales: { readonly count: number; readonly amountMinor: number; readonly vatMinor: number };
  readonly refunds: { readonly count: number; readonly amountMinor: number; readonly vatMinor: number };
  /** Sales plus refunds (refunds are negative). */
  readonly net: { readonly amountMinor: number; readonly vatMinor: number };
}

type Loose = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** VAT inside a gross amount, rounded half away from zero. */
export function vatOf(grossMinor: number, ratePercent: number): number {
  const exact = (Math.abs(grossMinor) * ratePercent) / (100 + ratePercent);
  return Math.sign(grossMinor) * Math.round(exact + 1e-9);
}

/** The receipt's VAT gross per rate, when it has more than one rate. */
function ratesOf(receipt: Loose): Array<{ ratePercent: number; grossMinor: number }> {
  const b = receipt.vatBreakdown;
  if (!Array.isArray(b)) return [];
  const byRate = new Map<number, number>();
  for (const x of b as Loose[]) {
    const rate = num(x.ratePercent);
    const gross = num(x.grossMinor);
    if (rate === undefined || gross === undefined) return [];
    byRate.set(rate, (byRate.get(rate) ?? 0) + gross);
  }
  return byRate.size > 1 ? [...byRate].sort((a, b) => b[0] - a[0]).map(([ratePercent, grossMinor]) => ({ ratePercent, grossMinor })) : [];
}

/** `amountMinor` split over the rates in proportion to their gross (largest remainder: exact sum). */
function split(amountMinor: number, rates: ReadonlyArray<{ grossMinor: number }>): number[] {
  const total = rates.reduce((a, r) => a + r.grossMinor, 0);
  if (total === 0) return rates.map((_, i) => (i === 0 ? amountMinor : 0));
  const abs = Math.abs(amountMinor);
  const exact = rates.map((r) => (abs * r.grossMinor) / total);
  const parts = exact.map(Math.floor);
  let left = abs - parts.reduce((a, x) => a + x, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) if (left-- > 0) parts[i]!++;
  return parts.map((x) => Math.sign(amountMinor) * x);
}

/** The export rows of one record: one, or one per VAT rate of a multi-rate sale (and of its refund). */
export function exportRows(r: ExportRecord): ExportRow[] {
  const row = exportRow(r);
  const rates = ratesOf(((r.type === "sale" ? r.receipt : r.originalReceipt) ?? {}) as Loose);
  if (rates.length === 0) return [row];
  const amounts = r.type === "sale" && rates.reduce((a, x) => a + x.grossMinor, 0) === row.amountMinor ? rates.map((x) => x.grossMinor) : split(row.amountMinor, rates);
  return rates.map((x, i) => {
    const { vatRatePercent: _rate, vatMinor: _vat, ...rest } = row;
    return { ...rest, amountMinor: amounts[i]!, vatRatePercent: x.ratePercent, vatMinor: vatOf(amounts[i]!, x.ratePercent), part: `${i + 1}/${rates.length}` };
  });
}

/** The record's row, VAT at the receipt's single rate (a multi-rate one: see exportRows). */
export function exportRow(r: ExportRecord): ExportRow {
  if (r.type === "sale") {
    const c = r.receipt as Loose;
    const amountMinor = num(c.amountMinor) ?? 0;
    const rate = num(c.vatRatePercent);
    return {
      type: "sale",
      ersReference: r.ersReference,
      time: str(c.timestamp) ?? new Date(r.at).toISOString(),
      at: r.at,
      flowId: r.flowId,
      ...(num(c.point) !== undefined ? { point: num(c.point)! } : {}),
      ...(str(c.terminalId) !== undefined ? { terminalId: str(c.terminalId)! } : {}),
      ...(str(c.gradeName) !== undefined ? { grade: str(c.gradeName)! } : {}),
      ...(num(c.milli) !== undefined ? { milli: num(c.milli)! } : {}),
      ...(str(c.unit) !== undefined ? { unit: str(c.unit)! } : {}),
      ...(num(c.unitPriceMinor) !== undefined ? { unitPriceMinor: num(c.unitPriceMinor)! } : {}),
      amountMinor,
      currency: str(c.currency) ?? "",
      ...(rate !== undefined ? { vatRatePercent: rate, vatMinor: vatOf(amountMinor, rate) } : {}),
    };
  }
  const s = r.refund as Loose;
  const o = (r.originalReceipt ?? {}) as Loose;
  const amountMinor = -(num(s.amountMinor) ?? 0);
  const rate = num(o.vatRatePercent);
  return {
    type: "refund",
    ersReference: str(s.refundReference) ?? "",
    ...(str(s.ersReference) !== undefined ? { refundOf: str(s.ersReference)! } : {}),
    time: new Date(r.at).toISOString(),
    at: r.at,
    flowId: r.flowId,
    ...(num(s.point) !== undefined ? { point: num(s.point)! } : {}),
    ...(str(s.terminalId) !== undefined ? { terminalId: str(s.terminalId)! } : {}),
    ...(str(o.gradeName) !== undefined ? { grade: str(o.gradeName)! } : {}),
    amountMinor,
    currency: str(s.currency) ?? str(o.currency) ?? "",
    ...(rate !== undefined ? { vatRatePercent: rate, vatMinor: vatOf(amountMinor, rate) } : {}),
  };
}

/** Totals kept as rows stream past (an export of a year never holds its rows). */
export class ExportTally {
  private readonly sums = { sale: { count: 0, amountMinor: 0, vatMinor: 0 }, refund: { count: 0, amountMinor: 0, vatMinor: 0 } };
  readonly currencies = new Set<string>();

  add(row: ExportRow): void {
    const s = this.sums[row.type];
    if (row.part === undefined || row.part.startsWith("1/")) s.count++;
    s.amountMinor += row.amountMinor;
    s.vatMinor += row.vatMinor ?? 0;
    if (row.currency) this.currencies.add(row.currency);
  }

  get count(): number {
    return this.sums.sale.count + this.sums.refund.count;
  }

  totals(): ExportTotals {
    const { sale, refund } = this.sums;
    return { sales: { ...sale }, refunds: { ...refund }, net: { amountMinor: sale.amountMinor + refund.amountMinor, vatMinor: sale.vatMinor + refund.vatMinor } };
  }
}

export function exportTotals(rows: readonly ExportRow[]): ExportTotals {
  const t = new ExportTally();
  for (const r of rows) t.add(r);
  return t.totals();
}

export const CSV_COLUMNS = ["type", "ersReference", "time", "point", "terminalId", "grade", "quantity", "unit", "unitPrice", "amount", "currency", "vatRate", "vat", "refundOf", "flowId", "part"] as const;

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(row: ExportRow): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], string> = {
    type: row.type,
    ersReference: row.ersReference,
    time: row.time,
    point: row.point === undefined ? "" : String(row.point),
    terminalId: row.terminalId ?? "",
    grade: row.grade ?? "",
    quantity: row.milli === undefined ? "" : formatMilli(row.milli),
    unit: row.unit ?? "",
    unitPrice: row.unitPriceMinor === undefined ? "" : formatMinor(row.unitPriceMinor),
    amount: formatMinor(row.amountMinor),
    currency: row.currency,
    vatRate: row.vatRatePercent === undefined ? "" : String(row.vatRatePercent),
    vat: row.vatMinor === undefined ? "" : formatMinor(row.vatMinor),
    refundOf: row.refundOf ?? "",
    flowId: row.flowId,
    part: row.part ?? "",
  };
  return CSV_COLUMNS.map((c) => csvField(cells[c])).join(",") + "\r\n";
}

export const CSV_HEADER = CSV_COLUMNS.join(",") + "\r\n";
