// The receipt's VAT breakdown (per rate) from the invoice rows: only when the rows carry
// different rates — a receipt of one rate keeps its single "VAT n% incl." line. Gross sums per
// rate in minor units; the printer computes the VAT inside each sum (rounded half away from zero,
// drivers/printer/receipt-layout.ts).
import type { InvoiceRow } from "../../contracts/glase/types.ts";

export function vatBreakdownOf(rows: readonly InvoiceRow[]): { readonly vatBreakdown?: readonly { readonly ratePercent: number; readonly grossMinor: number }[] } {
  const byRate = new Map<number, number>();
  for (const r of rows) {
    if (r.itemTaxRate === undefined || r.itemTotalAmount === undefined) return {};
    const rate = Number(r.itemTaxRate);
    if (!Number.isFinite(rate) || rate < 0 || rate >= 100) return {};
    byRate.set(rate, (byRate.get(rate) ?? 0) + r.itemTotalAmount.minor);
  }
  if (byRate.size < 2) return {};
  return { vatBreakdown: [...byRate].map(([ratePercent, grossMinor]) => ({ ratePercent, grossMinor })) };
}

