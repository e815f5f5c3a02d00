// Review 2 of issue 11 (#4b): a Finnish station sells at 25.5 % and 13.5 %. The vending machine's
// product table and the Kiosk API took only integer rates; now a rate below 100 with up to two
// decimals, and the receipt's and the export's VAT per rate follow it exactly.
import { describe, expect, it } from "vitest";
import { mdbEntrySchema } from "../../../drivers/mdb/driver.ts";
import { RowSchema, toPayment } from "../../../drivers/kiosk-api/schemas.ts";
import { vatBreakdownOf } from "../../../agent/core/receipt-vat.ts";
import { vatIncluded } from "../../../drivers/printer/receipt-layout.ts";
import { exportRows } from "../../../agent/export/sales-export.ts";

const entry = (taxRatePercent: number) => ({ id: "vend", driver: "mdb", point: 8, currency: "EUR", link: { kind: "tcp", host: "127.0.0.1", port: 9 }, products: { "12": { description: "Cola", taxRatePercent } } });

describe("MDB product VAT rates", () => {
  it("accepts 25.5 and 13.5 (Finland)", () => {
    const r = mdbEntrySchema.safeParse({ id: "vend", driver: "mdb", point: 8, currency: "EUR", link: { kind: "tcp", host: "127.0.0.1", port: 9 }, products: { "12": { description: "Cola", taxRatePercent: 13.5 }, "14": { description: "Charger cable", taxRatePercent: 25.5 } } });
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
  });

  it("refuses more than two decimals and 100 % or more, naming the rule", () => {
    for (const bad of [25.555, 100, -1]) {
      const r = mdbEntrySchema.safeParse(entry(bad));
      expect(r.success, String(bad)).toBe(false);
    }
    expect(JSON.stringify(mdbEntrySchema.safeParse(entry(25.555)).error?.issues)).toContain("at most two decimals");
  });
});

describe("Kiosk API VAT rates", () => {
  it("takes 25.5 on a row and reads it back as 25.5", () => {
    expect(RowSchema.safeParse({ description: "wash", totalMinor: 1000, taxRatePercent: 25.5 }).success).toBe(true);
    expect(RowSchema.safeParse({ description: "wash", totalMinor: 1000, taxRatePercent: 25.555 }).success).toBe(false);
    const payment = toPayment({ saleId: "S1", point: 7, amountMinor: 1000, currency: "EUR", reference: "r", state: "paid", version: 1, display: {}, createdAt: 0, updatedAt: 0, rows: [{ itemDescription: "wash", itemTotalAmount: { currency: "EUR", minor: 1000 }, itemTaxRate: "25.5" }] } as never);
    expect(payment.rows[0]?.taxRatePercent).toBe(25.5);
  });
});

describe("receipt and export at 25.5 % + 13.5 %", () => {
  it("VAT per rate in integers, the rows adding up to the sale", () => {
    const rows = [
      { itemDescription: "cable", itemTaxRate: "25.5", itemTotalAmount: { currency: "EUR", minor: 12550 } },
      { itemDescription: "cola", itemTaxRate: "13.5", itemTotalAmount: { currency: "EUR", minor: 1135 } },
    ];
    const vat = vatBreakdownOf(rows as never);
    expect(vat.vatBreakdown).toEqual([{ ratePercent: 25.5, grossMinor: 12550 }, { ratePercent: 13.5, grossMinor: 1135 }]);
    expect(vatIncluded(12550, 25.5)).toBe(2550);
    expect(vatIncluded(1135, 13.5)).toBe(135);
    const out = exportRows({ type: "sale", flowId: "F1", at: 0, ersReference: "E1", receipt: { amountMinor: 13685, currency: "EUR", timestamp: "2026-12-01T10:00:00Z", point: 8, ...vat } });
    expect(out.map((r) => [r.amountMinor, r.vatRatePercent, r.vatMinor])).toEqual([[12550, 25.5, 2550], [1135, 13.5, 135]]);
  });
});
