// Invoice details JSON (contract §7.2): what `GET /api/invoice/{id}?issuer=NAME` returns.
// The schema is the agent's guard on what it reads; `renderDetailsJson` is the simulator's
// writer — `amount` must appear with exactly 2 decimals as a JSON number (`349.00`), which
// JSON.stringify cannot produce, hence the hand-built text.
import { z } from "zod";
import { formatMinor, parseMinor } from "../../base/money.ts";

/** `dd.MM.yyyy HH:mm:ss`, 24-hour, no zone (Europe/Stockholm local time, §9 A37). */
export const PURCHASE_TIME = /^(0[1-9]|[12]\d|3[01])\.(0[1-9]|1[0-2])\.\d{4} ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;

const twoDecimals = (n: number) => Number.isFinite(n) && n >= 0 && /^\d+(\.\d{1,2})?$/.test(String(n));

export const invoiceDetailsSchema = z.object({
  id: z.number().int().positive(),
  description: z.string(),
  amount: z.number().refine(twoDecimals, "amount must be a non-negative number with at most 2 decimals"),
  currency: z.string().regex(/^[A-Z]{3}$/, "currency must be 3 upper-case letters"),
  status: z.string(),
  reference: z.string(),
  ersReference: z.string().min(1),
  purchaseTime: z.string().regex(PURCHASE_TIME, "purchaseTime must be dd.MM.yyyy HH:mm:ss"),
  payerMsisdn: z.string().optional(),
  payerFirstName: z.string().optional(),
  payerLastName: z.string().optional(),
  payerStreet: z.string().optional(),
  payerCity: z.string().optional(),
  payerZip: z.string().optional(),
  payerCountry: z.string().optional(),
});

export type InvoiceDetails = z.infer<typeof invoiceDetailsSchema>;

/** The amount of parsed details in minor units (String(n) of a ≤2-decimal JSON number round-trips). */
export function amountMinorOf(details: Pick<InvoiceDetails, "amount">): number {
  return parseMinor(String(details.amount));
}

/** Details as the wire carries them, with the amount in minor units for the writer. */
export interface DetailsRecord extends Omit<InvoiceDetails, "amount"> {
  readonly amountMinor: number;
}

const OPTIONAL_FIELDS = ["payerMsisdn", "payerFirstName", "payerLastName", "payerStreet", "payerCity", "payerZip", "payerCountry"] as const;

/** Serialises details in the §7.2 field order with `amount` as a 2-decimal JSON number. */
export function renderDetailsJson(d: DetailsRecord): string {
  const parts = [
    `"id":${d.id}`,
    `"description":${JSON.stringify(d.description)}`,
    `"amount":${formatMinor(d.amountMinor)}`,
    `"currency":${JSON.stringify(d.currency)}`,
    `"status":${JSON.stringify(d.status)}`,
    `"reference":${JSON.stringify(d.reference)}`,
    `"ersReference":${JSON.stringify(d.ersReference)}`,
    `"purchaseTime":${JSON.stringify(d.purchaseTime)}`,
  ];
  for (const key of OPTIONAL_FIELDS) {
    const v = d[key];
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${JSON.stringify(v)}`);
  }
  return `{${parts.join(",")}}`;
}
