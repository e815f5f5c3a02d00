// The receipt's VAT from the invoice rows: rows of one rate give the receipt its single
// "VAT n% incl." line (vatRatePercent, as a fuel receipt has); rows of different rates give the
// breakdown per rate. Gross sums per rate in minor units; the printer computes the VAT inside each
// sum (rounded half away from zero, drivers/printer/receipt-layout.ts). A row without a rate: no
// VAT claimed at all (never a guess).
import type { InvoiceRow } from "../../contracts/glase/types.ts";

export function vatBreakdownOf(rows: readonly InvoiceRow[]): { readonly vatRatePercent?: number; readonly vatBreakdown?: readonly { readonly ratePercent: number; readonly grossMinor: number }[] } {
  const byRate = new Map<number, number>();
  for (const r of rows) {
    if (r.itemTaxRate === undefined || r.itemTotalAmount === undefined) return {};
    const rate = Number(r.itemTaxRate);
    if (!Number.isFinite(rate) || rate < 0 || rate >= 100) return {};
    byRate.set(rate, (byRate.get(rate) ?? 0) + r.itemTotalAmount.minor);
  }
  if (byRate.size === 0) return {};
  if (byRate.size === 1) return { vatRatePercent: [...byRate.keys()][0]! };
  return { vatBreakdown: [...byRate].map(([ratePercent, grossMinor]) => ({ ratePercent, grossMinor })) };
}

