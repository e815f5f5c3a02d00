// The documents of a preliminary payment: invoice rows (grade, volume × unit price, the row total
// IS the amount so rows always sum to the total) and the customer receipt (§6.9).
import type { Grade } from "../../contracts/dispenser.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";
import type { InvoiceRow } from "../../contracts/glase/types.ts";
import { formatMilli, money } from "../../base/money.ts";
import type { Delivered, PreliminaryState as S } from "./preliminary-state.ts";

export function gradeOf(s: S, id: string | undefined): Grade | undefined {
  return s.grades.find((g) => g.id === id);
}

export function invoiceRow(s: S, totalMinor: number, d?: Delivered): InvoiceRow {
  const grade = gradeOf(s, d?.gradeId ?? s.gradeId);
  const unitPrice = d?.unitPriceMinor ?? grade?.unitPriceMinor;
  return {
    itemDescription: grade?.name ?? (s.unit === "kWh" ? "Charging" : "Fuel"),
    itemQuantity: d ? formatMilli(Math.max(d.milli, 1)) : "1",
    ...(grade ? { itemSKU: grade.id, itemTaxRate: String(grade.vatRatePercent) } : {}),
    itemTotalAmount: money(s.currency, totalMinor),
    ...(d ? { itemUnit: s.unit } : {}),
    ...(d && unitPrice !== undefined ? { itemUnitPrice: money(s.currency, unitPrice) } : {}),
  };
}

export function receiptOf(s: S, ersReference: string, timestamp: string): ReceiptContent {
  const d = s.delivered;
  const grade = gradeOf(s, d?.gradeId ?? s.gradeId);
  return {
    stationName: s.stationName,
    terminalId: s.terminalId,
    point: s.point,
    ...(grade ? { gradeName: grade.name, vatRatePercent: grade.vatRatePercent } : {}),
    ...(d ? { milli: d.milli, unit: s.unit } : {}),
    ...(d?.unitPriceMinor !== undefined ? { unitPriceMinor: d.unitPriceMinor } : {}),
    amountMinor: s.commitMinor ?? 0,
    currency: s.currency,
    ersReference,
    description: "Glase payment",
    timestamp,
  };
}
