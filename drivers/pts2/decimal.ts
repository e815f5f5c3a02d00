// jsonPTS carries money and volumes as decimal JSON numbers (5.23 litres, 290.60 per litre, 1519.84
// money) and a few firmwares send prices as strings ("18.99"). Inside the agent they are integers:
// minor units and thousandths (ml, Wh). A value that is not a whole number of those units is a
// protocol error naming the field — never silently rounded money.
import { AgentError } from "../../base/errors.ts";

// A float of a decimal with few places lands within ~1e-9 of the integer it scales to.
const EPSILON = 1e-6;

function numberOf(value: unknown, field: string): number {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0) {
    throw new AgentError("DEVICE_PROTOCOL", `${field} is not a non-negative number: ${JSON.stringify(value)}`, { field, value });
  }
  return n;
}

function scaled(value: unknown, field: string, factor: number, unit: string): number {
  const n = numberOf(value, field) * factor;
  const whole = Math.round(n);
  if (Math.abs(n - whole) > EPSILON || !Number.isSafeInteger(whole)) {
    throw new AgentError("DEVICE_PROTOCOL", `${field} ${JSON.stringify(value)} is not a whole number of ${unit}`, { field, value });
  }
  return whole;
}

/** Money or a unit price: 290.6 → 29060 (with 2 minor digits). */
export function minorOf(value: unknown, field: string, minorDigits = 2): number {
  return scaled(value, field, 10 ** minorDigits, "minor units");
}

/** A volume or an energy: 5.23 → 5230 thousandths. */
export function milliOf(value: unknown, field: string): number {
  return scaled(value, field, 1000, "thousandths");
}

/** Minor units on the wire: 50000 → 500 (a JSON number; exact for the digits money has). */
export function decimalOfMinor(minor: number, minorDigits = 2): number {
  return Number((minor / 10 ** minorDigits).toFixed(minorDigits));
}

/** A whole number field (pump, nozzle, transaction, grade id). */
export function intOf(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new AgentError("DEVICE_PROTOCOL", `${field} is not a whole number: ${JSON.stringify(value)}`, { field, value });
  }
  return value;
}

export function optionalIntOf(value: unknown, field: string): number | undefined {
  return value === undefined || value === null ? undefined : intOf(value, field);
}
