// Pure rules of the kiosk contract that every KioskHost applies the same way (the engine-backed
// host at integration and the in-memory twin): what a valid sale request is, what a request's
// idempotency fingerprint is, how much a failed release refunds, and what the customer is shown.
import { AgentError } from "../../base/errors.ts";
import type { InvoiceRow } from "../../contracts/glase/types.ts";
import type { KioskDisplay, KioskPoint, KioskSale, ReleaseResult, SaleRequest } from "../../contracts/kiosk.ts";

/** 1–320: a controller's prefix (up to 64) before a client's own key of up to 255. */
const KEY = /^[\x21-\x7e]{1,320}$/;

function invalid(field: string, message: string): AgentError {
  return new AgentError("INPUT_INVALID", `${field}: ${message}`, { field });
}

/** Throws INPUT_INVALID { field } naming the first thing wrong with the request for this host's points. */
export function checkSaleRequest(req: SaleRequest, points: readonly KioskPoint[]): KioskPoint {
  const point = points.find((p) => p.id === req.point);
  if (!point) throw invalid("point", `no kiosk point ${req.point} on this station (points: ${points.map((p) => p.id).join(", ") || "none"})`);
  if (!Number.isSafeInteger(req.amountMinor) || req.amountMinor <= 0) throw invalid("amountMinor", "must be a positive integer number of minor units");
  if (point.maxAmountMinor !== undefined && req.amountMinor > point.maxAmountMinor) {
    throw invalid("amountMinor", `${req.amountMinor} is above this point's maximum of ${point.maxAmountMinor}`);
  }
  if (req.currency !== point.currency) throw invalid("currency", `point ${point.id} sells in ${point.currency}, not ${req.currency}`);
  if (req.reference.length < 1 || req.reference.length > 64) throw invalid("reference", "must be 1 to 64 characters");
  if (req.idempotencyKey !== undefined && !KEY.test(req.idempotencyKey)) throw invalid("idempotencyKey", "must be 1 to 320 printable ASCII characters");
  const rows = req.rows ?? [];
  let sum = 0;
  let priced = false;
  rows.forEach((row, i) => {
    for (const [name, m] of [["itemTotalAmount", row.itemTotalAmount], ["itemUnitPrice", row.itemUnitPrice], ["itemDiscount", row.itemDiscount]] as const) {
      if (m && m.currency !== req.currency) throw invalid(`rows.${i}.${name}`, `currency ${m.currency} is not the sale's ${req.currency}`);
    }
    if (row.itemTotalAmount) {
      priced = true;
      sum += row.itemTotalAmount.minor;
    }
  });
  // §6.5: when rows carry amounts they must add up to the total.
  if (priced && sum !== req.amountMinor) throw invalid("rows", `row totals add up to ${sum}, the amount is ${req.amountMinor}`);
  return point;
}

/** The rows as given, or one generic row for the whole amount. */
/** The invoice rows of a sale: the request's, or one generic row; a row without a VAT rate gets the point's (if it has one). */
export function saleRows(req: SaleRequest, description: string, vatRatePercent?: number): readonly InvoiceRow[] {
  const rows = req.rows && req.rows.length > 0 ? req.rows : [{ itemDescription: description, itemQuantity: "1", itemTotalAmount: { currency: req.currency, minor: req.amountMinor } }];
  if (vatRatePercent === undefined) return rows;
  return rows.map((r) => (r.itemTaxRate === undefined ? { ...r, itemTaxRate: String(vatRatePercent) } : r));
}

/** What an idempotency key is bound to: two requests are "the same" when these are equal. */
export function saleFingerprint(req: SaleRequest): string {
  return JSON.stringify([req.point, req.amountMinor, req.currency, req.reference, req.rows && req.rows.length > 0 ? req.rows : []]);
}

/** Throws INPUT_INVALID { field: "deliveredMinor" }; returns the amount to refund (0 for delivered/unknown). */
export function refundFor(sale: Pick<KioskSale, "amountMinor">, result: ReleaseResult): number {
  if (result.outcome !== "failed") return 0;
  const d = result.deliveredMinor ?? 0;
  if (!Number.isSafeInteger(d) || d < 0 || d >= sale.amountMinor) {
    throw invalid("deliveredMinor", `must be an integer from 0 to ${sale.amountMinor - 1} (a full delivery is outcome "delivered")`);
  }
  return sale.amountMinor - d;
}

/** Two results are the same report (a replay) when equal field by field. */
export function sameResult(a: ReleaseResult, b: ReleaseResult): boolean {
  const norm = (r: ReleaseResult) => [r.outcome, r.outcome === "delivered" ? "" : r.reason, r.outcome === "failed" ? (r.deliveredMinor ?? 0) : 0];
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** The customer-facing line for a sale in its current state. */
export function kioskDisplay(sale: Pick<KioskSale, "state" | "cancelReason">, point: Pick<KioskPoint, "glaseId">): KioskDisplay {
  switch (sale.state) {
    case "starting":
      return { code: "wait", text: "One moment…" };
    case "waiting":
      return point.glaseId !== undefined
        ? { code: "pay", text: `Pay with Glase: scan the sticker ${point.glaseId} on this machine`, glaseId: point.glaseId }
        : { code: "pay", text: "Pay with Glase: scan the sticker on this machine" };
    case "paid":
      return { code: "release", text: "Paid - thank you. Take your product" };
    case "delivered":
      return { code: "thanks", text: "Thank you" };
    case "cancelled":
      return sale.cancelReason === "glase" ? { code: "unavailable", text: "Glase payment unavailable" } : { code: "cancelled", text: "Payment cancelled" };
    case "refunding":
    case "refunded":
      return { code: "refunded", text: "Not delivered - your payment is returned" };
    case "attention":
      return { code: "attention", text: "Please contact staff" };
  }
}
