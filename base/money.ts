// Money is integer minor units inside the program (öre, cents): never floats.
// The wire carries `#.##` decimal strings (contract §4.5, §9 A30).
import { AgentError } from "./errors.ts";

export interface Money {
  readonly currency: string; // ISO 4217, e.g. "SEK"
  readonly minor: number; // integer minor units; may be negative for discount rows
}

export function money(currency: string, minor: number): Money {
  if (!Number.isSafeInteger(minor)) {
    throw new AgentError("INPUT_INVALID", `amount must be an integer number of minor units, got ${minor}`, { minor });
  }
  return { currency, minor };
}

/** 41250 → "412.50"; -900 → "-9.00". Always two decimals, no exponent. */
export function formatMinor(minor: number): string {
  if (!Number.isSafeInteger(minor)) {
    throw new AgentError("INPUT_INVALID", `amount must be an integer number of minor units, got ${minor}`, { minor });
  }
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const units = Math.floor(abs / 100);
  const cents = abs % 100;
  return `${sign}${units}.${cents.toString().padStart(2, "0")}`;
}

const DECIMAL = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/;

/**
 * Parses a wire decimal ("500", "10.2", "-9.00", "25.0000") into minor units exactly.
 * More than two significant decimals is an error (contract §6.5: at most 2 decimals);
 * trailing zeros beyond two places are accepted ("25.0000").
 */
export function parseMinor(text: string): number {
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === "" && (m[3] === undefined || m[3] === ""))) {
    throw new AgentError("INPUT_INVALID", `not a decimal amount: ${JSON.stringify(text)}`, { text });
  }
  const sign = m[1] === "-" ? -1 : 1;
  const whole = m[2] === "" ? "0" : m[2]!;
  let frac = m[3] ?? "";
  const extra = frac.slice(2);
  if (/[1-9]/.test(extra)) {
    throw new AgentError("INPUT_INVALID", `amount has more than two decimals: ${JSON.stringify(text)}`, { text });
  }
  frac = frac.slice(0, 2).padEnd(2, "0");
  const minor = Number(whole) * 100 + Number(frac);
  if (!Number.isSafeInteger(minor)) {
    throw new AgentError("INPUT_INVALID", `amount out of range: ${JSON.stringify(text)}`, { text });
  }
  return sign * minor === 0 ? 0 : sign * minor;
}

/** Quantities such as litres or kWh are integer thousandths (ml, Wh) inside the program. */
export function formatMilli(milli: number): string {
  if (!Number.isSafeInteger(milli)) {
    throw new AgentError("INPUT_INVALID", `quantity must be integer thousandths, got ${milli}`, { milli });
  }
  const sign = milli < 0 ? "-" : "";
  const abs = Math.abs(milli);
  return `${sign}${Math.floor(abs / 1000)}.${(abs % 1000).toString().padStart(3, "0")}`;
}

/** Amount for a metered quantity: milli × unit price (minor per unit), rounded half up to a minor unit. */
export function priceOf(milli: number, unitPriceMinor: number): number {
  return Math.floor((milli * unitPriceMinor + 500) / 1000);
}

/**
 * ISO 4217 currencies whose minor unit is not two decimals (the standard's list; every other code
 * has two). A table rather than Intl: ICU's currency data costs the daemon ~7 MiB of RSS.
 */
const MINOR_UNIT_DIGITS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"].map((c) => [c, 0])),
  ...Object.fromEntries(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"].map((c) => [c, 3])),
  CLF: 4,
  UYW: 4,
};

/** Decimals of an ISO 4217 currency's minor unit. */
export function minorUnitDigits(code: string): number {
  return MINOR_UNIT_DIGITS[code] ?? 2;
}
