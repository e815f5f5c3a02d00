// VAT rates as people and tax authorities write them: a percentage below 100 with at most two
// decimals (Finland's 25.5 % and 13.5 %, Switzerland's 8.1 %). The VAT itself is computed on
// hundredths of a percent in integers (drivers/printer/receipt-layout.ts vatIncluded), so a rate
// with more decimals could not be computed exactly and is refused where it enters.

/** Whether `rate` is a VAT rate: 0 ≤ rate < 100, at most two decimals. */
export function isVatRate(rate: number): boolean {
  if (!Number.isFinite(rate) || rate < 0 || rate >= 100) return false;
  const hundredths = Math.round(rate * 100);
  return Math.abs(rate * 100 - hundredths) < 1e-6;
}

/** An invoice row's itemTaxRate text ("25", "25.5", "13.50") as a rate; undefined when it is none. */
export function vatRateOfText(text: string): number | undefined {
  if (!/^\d{1,2}(\.\d{1,2})?$/.test(text)) return undefined;
  const rate = Number(text);
  return isVatRate(rate) ? rate : undefined;
}

export const VAT_RATE_RULE = "a VAT rate in percent: at least 0, below 100, at most two decimals (e.g. 25.5)";
