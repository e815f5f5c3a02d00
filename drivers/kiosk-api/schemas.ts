// The Kiosk API's JSON shapes, once: zod schemas validate requests (naming the bad field) and
// generate the OpenAPI document's components (openapi.ts), so the document cannot drift from
// what the server accepts and answers. Money is integer minor units, as everywhere in the agent.
import { z } from "zod";
import type { InvoiceRow } from "../../contracts/glase/types.ts";
import type { KioskSale, ReleaseResult, SaleRequest } from "../../contracts/kiosk.ts";
import { isVatRate, vatRateOfText, VAT_RATE_RULE } from "../../base/vat-rate.ts";

const minor = z.number().int().min(-1e12).max(1e12);
const positiveMinor = z.number().int().positive().max(1e12);
const decimalText = z.string().regex(/^\d{1,9}(\.\d{1,3})?$/, "a decimal such as \"1\" or \"0.5\"");

export const RowSchema = z
  .object({
    description: z.string().min(1).max(100),
    quantity: decimalText.optional().meta({ description: 'Count or measure, decimal text; default "1".' }),
    unit: z.string().min(1).max(16).optional(),
    unitPriceMinor: minor.optional(),
    totalMinor: minor.meta({ description: "Row total in minor units; the rows add up to amountMinor." }),
    taxRatePercent: z.number().min(0).lt(100).refine(isVatRate, VAT_RATE_RULE).optional().meta({ description: "VAT rate in percent, below 100, at most two decimals (25.5)." }),
    sku: z.string().min(1).max(64).optional(),
    ean: z.string().regex(/^\d{8,14}$/).optional(),
  })
  .strict();

export const CreatePaymentSchema = z
  .object({
    point: z.number().int().positive().meta({ description: "The kiosk point (one Glase terminal) selling." }),
    amountMinor: positiveMinor,
    currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as SEK"),
    reference: z.string().min(1).max(64).meta({ description: "Your own order reference; find the payment again with GET /v1/payments?reference=." }),
    rows: z.array(RowSchema).min(1).max(50).optional().meta({ description: "Invoice rows; none: one generic row." }),
  })
  .strict()
  .meta({ description: "A sale to pay with Glase. Send an Idempotency-Key header to make retries safe." });

export const CancelPaymentSchema = z
  .object({ reason: z.enum(["customer", "controller"]).optional().meta({ description: 'Who gave up; default "customer".' }) })
  .strict();

export const ReleaseSchema = z
  .discriminatedUnion("outcome", [
    z.object({ outcome: z.literal("delivered") }).strict(),
    z
      .object({
        outcome: z.literal("failed"),
        reason: z.string().min(1).max(200),
        deliveredMinor: z.number().int().min(0).optional().meta({ description: "What was handed out of a partial delivery; the rest is refunded." }),
      })
      .strict(),
    z.object({ outcome: z.literal("unknown"), reason: z.string().min(1).max(200) }).strict(),
  ])
  .meta({ description: "What happened when you released the paid product. One result per payment." });

const iso = z.string().meta({ description: "RFC 3339 time" });
const state = z.enum(["starting", "waiting", "paid", "delivered", "cancelled", "refunding", "refunded", "attention"]);
const cancelReason = z.enum(["customer", "controller", "timeout", "glase", "technician"]);

export const PaymentSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    point: z.number().int(),
    amountMinor: z.number().int(),
    currency: z.string(),
    reference: z.string(),
    idempotencyKey: z.string().optional(),
    state: state.meta({ description: "paid = hand out the product now, then POST …/release." }),
    display: z.object({
      code: z.enum(["wait", "pay", "release", "thanks", "cancelled", "refunded", "unavailable", "attention"]),
      text: z.string(),
      glaseId: z.string().optional().meta({ description: "pay: the Glase ID sticker of this point to scan (the one assign-id bound to its terminal)." }),
    }),
    rows: z.array(RowSchema.partial({ description: true, totalMinor: true })),
    createdAt: iso,
    updatedAt: iso,
    ersReference: z.string().optional(),
    paidAt: iso.optional(),
    releaseDeadline: iso.optional(),
    cancelRequested: cancelReason.optional(),
    cancelReason: cancelReason.optional(),
    release: z.object({ result: ReleaseSchema, at: iso, late: z.boolean() }).optional(),
    refund: z.object({ amountMinor: z.number().int(), state: z.enum(["pending", "done", "failed"]), ersReference: z.string().optional() }).optional(),
    attention: z.enum(["release-result-missing", "release-unknown", "refund-failed", "cancel-unconfirmed"]).optional(),
  })
  .strict();

export const PointsSchema = z.object({
  points: z.array(z.object({ id: z.number().int(), currency: z.string(), glaseId: z.string().optional().meta({ description: "The Glase ID sticker of the point (assign-id), shown to the customer to scan." }), name: z.string().optional(), maxAmountMinor: z.number().int().optional() })),
});

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().meta({ description: "Each bad field of the request." }),
    conflict: z.string().optional(),
    paymentState: state.optional(),
  })
  .meta({ description: "RFC 9457 problem details." });

export type CreatePayment = z.infer<typeof CreatePaymentSchema>;
export type Payment = z.infer<typeof PaymentSchema>;
type Row = z.infer<typeof RowSchema>;

function toInvoiceRow(r: Row, currency: string): InvoiceRow {
  return {
    itemDescription: r.description,
    itemQuantity: r.quantity ?? "1",
    itemTotalAmount: { currency, minor: r.totalMinor },
    ...(r.unitPriceMinor !== undefined ? { itemUnitPrice: { currency, minor: r.unitPriceMinor } } : {}),
    ...(r.taxRatePercent !== undefined ? { itemTaxRate: String(r.taxRatePercent) } : {}),
    ...(r.unit !== undefined ? { itemUnit: r.unit } : {}),
    ...(r.sku !== undefined ? { itemSKU: r.sku } : {}),
    ...(r.ean !== undefined ? { itemEAN: r.ean } : {}),
  };
}

export function toSaleRequest(body: CreatePayment, idempotencyKey: string | undefined): SaleRequest {
  return {
    point: body.point,
    amountMinor: body.amountMinor,
    currency: body.currency,
    reference: body.reference,
    ...(body.rows ? { rows: body.rows.map((r) => toInvoiceRow(r, body.currency)) } : {}),
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
  };
}

/** The host names fields as the contract does; the API client wants its own names. */
export function apiField(hostField: string): string {
  if (hostField === "idempotencyKey") return "header Idempotency-Key";
  return hostField
    .replace(/itemTotalAmount$/, "totalMinor")
    .replace(/itemUnitPrice$/, "unitPriceMinor")
    .replace(/itemDiscount$/, "rows");
}

function fromInvoiceRow(r: InvoiceRow): Payment["rows"][number] {
  const tax = r.itemTaxRate !== undefined ? vatRateOfText(r.itemTaxRate) : undefined;
  return {
    ...(r.itemDescription !== undefined ? { description: r.itemDescription } : {}),
    ...(r.itemQuantity !== undefined ? { quantity: r.itemQuantity } : {}),
    ...(r.itemUnit !== undefined ? { unit: r.itemUnit } : {}),
    ...(r.itemUnitPrice ? { unitPriceMinor: r.itemUnitPrice.minor } : {}),
    ...(r.itemTotalAmount ? { totalMinor: r.itemTotalAmount.minor } : {}),
    ...(tax !== undefined ? { taxRatePercent: tax } : {}),
    ...(r.itemSKU !== undefined ? { sku: r.itemSKU } : {}),
    ...(r.itemEAN !== undefined ? { ean: r.itemEAN } : {}),
  };
}

const at = (ms: number) => new Date(ms).toISOString();

/** keyPrefix: the API's idempotency-key scope, stripped so the app sees the key it sent. */
export function toPayment(s: KioskSale, keyPrefix?: string): Payment {
  const key = s.idempotencyKey !== undefined && keyPrefix !== undefined && s.idempotencyKey.startsWith(keyPrefix) ? s.idempotencyKey.slice(keyPrefix.length) : s.idempotencyKey;
  return {
    id: s.saleId,
    version: s.version,
    point: s.point,
    amountMinor: s.amountMinor,
    currency: s.currency,
    reference: s.reference,
    ...(key !== undefined ? { idempotencyKey: key } : {}),
    state: s.state,
    display: { ...s.display },
    rows: s.rows.map(fromInvoiceRow),
    createdAt: at(s.createdAt),
    updatedAt: at(s.updatedAt),
    ...(s.ersReference !== undefined ? { ersReference: s.ersReference } : {}),
    ...(s.paidAt !== undefined ? { paidAt: at(s.paidAt) } : {}),
    ...(s.releaseDeadline !== undefined ? { releaseDeadline: at(s.releaseDeadline) } : {}),
    ...(s.cancelRequested !== undefined ? { cancelRequested: s.cancelRequested } : {}),
    ...(s.cancelReason !== undefined ? { cancelReason: s.cancelReason } : {}),
    ...(s.release ? { release: { result: s.release.result as ReleaseResult, at: at(s.release.at), late: s.release.late } } : {}),
    ...(s.refund ? { refund: { ...s.refund } } : {}),
    ...(s.attention !== undefined ? { attention: s.attention } : {}),
  };
}
