// Money and prices are two precisions (review of issue 14, finding 4). Money (Dose, Amount, the
// reservation, the commit) is in the currency's ISO 4217 minor units — cents for EUR, öre for SEK,
// yen for JPY. A unit price is often finer: most of Europe prices fuel at 1.759 EUR/L. So the
// driver keeps prices in *price units* of 10^-priceDigits of the currency (priceDigits ≥ the
// currency's digits; by default equal, so a price unit is a minor unit) and converts, in integer
// arithmetic only:
//   amount of a volume: milli × price / (1000 × 10^(priceDigits − moneyDigits)), half up
//   price for the flows (Grade.unitPriceMinor, the end event): price / 10^(priceDigits − moneyDigits), half up
// The rounding of a shown unit price never changes money: the amount charged is the controller's
// own Amount (or, on a mismatch, the smaller of it and the authorized price's amount).

export interface WireUnits {
  /** Decimals of money on the wire = the currency's minor unit digits. */
  readonly moneyDigits: number;
  /** Decimals of unit prices on the wire and in the driver's price units. */
  readonly priceDigits: number;
}

const pow10 = (n: number) => 10 ** n;

/** Half-up integer division of non-negative integers. */
function divHalfUp(n: number, d: number): number {
  return Math.floor((2 * n + d) / (2 * d));
}

/** The amount (minor units) of `milli` thousandths at `price` price units per unit, half up. */
export function amountAt(milli: number, price: number, u: WireUnits): number {
  return divHalfUp(milli * price, 1000 * pow10(u.priceDigits - u.moneyDigits));
}

/** A price in price units as currency minor units (half up; exact when priceDigits = moneyDigits). */
export function priceAsMinor(price: number, u: WireUnits): number {
  return divHalfUp(price, pow10(u.priceDigits - u.moneyDigits));
}

/** Minor units as price units (exact). */
export function minorAsPrice(minor: number, u: WireUnits): number {
  return minor * pow10(u.priceDigits - u.moneyDigits);
}

/** Two-decimal money and prices (SEK, EUR priced in cents, …): the decoders' default. */
export const CENTS: WireUnits = { moneyDigits: 2, priceDigits: 2 };
