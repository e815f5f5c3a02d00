import { describe, expect, it } from "vitest";
import { isAgentError } from "../../../agent/errors.ts";
import { COLUMNS, layoutReceipt, vatIncluded, wrap } from "../../../drivers/printer/receipt-layout.ts";
import type { PaperWidth, ReceiptLine } from "../../../drivers/printer/receipt-layout.ts";
import { FUEL_RECEIPT, FUEL_RECEIPT_TIME, GOLDEN_STATION, INVOICE_QR } from "./sample-receipt.ts";

const texts = (lines: ReceiptLine[]): string[] => lines.flatMap((l) => (l.kind === "text" ? [l.text] : []));

describe("vatIncluded", () => {
  it("takes the VAT out of a VAT-inclusive amount, rounded half away from zero", () => {
    expect(vatIncluded(12_500, 25)).toBe(2_500); // 125.00 incl. 25 % → 25.00
    expect(vatIncluded(82_579, 25)).toBe(16_516); // 16515.8 → 16516
    expect(vatIncluded(10_000, 12)).toBe(1_071); // 1071.43
    expect(vatIncluded(10_000, 6)).toBe(566); // 566.04
    expect(vatIncluded(10_770, 7.7)).toBe(770); // decimal rate
    expect(vatIncluded(-12_500, 25)).toBe(-2_500); // refunds
    expect(vatIncluded(0, 25)).toBe(0);
    expect(vatIncluded(5, 25)).toBe(1); // 1.0 exactly
    expect(vatIncluded(2, 25)).toBe(0); // 0.4
  });

  it("is exact for amounts beyond float precision of amount × rate", () => {
    const big = Number.MAX_SAFE_INTEGER - 1; // even, so a 100 % rate would halve it exactly
    expect(vatIncluded(big, 25)).toBe(Number((BigInt(big) * 2500n * 2n + 12_500n) / (2n * 12_500n)));
  });

  it("rejects non-integer amounts and impossible rates", () => {
    expect(() => vatIncluded(10.5, 25)).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
    expect(() => vatIncluded(100, -1)).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
    expect(() => vatIncluded(100, 7.777)).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });
});

describe("layoutReceipt", () => {
  for (const width of [58, 80] as PaperWidth[]) {
    it(`keeps every line within ${COLUMNS[width]} columns on ${width} mm paper and shows the §6.9 fields`, () => {
      const lines = layoutReceipt({ ...FUEL_RECEIPT, qr: INVOICE_QR }, width, GOLDEN_STATION);
      for (const t of texts(lines)) expect(t.length).toBeLessThanOrEqual(COLUMNS[width]);
      const all = texts(lines).join("\n");
      expect(all).toContain("825.79 SEK");
      expect(all).toContain("Glase payment");
      expect(all).toContain(FUEL_RECEIPT.ersReference);
      expect(all).toContain("21/11/2026, 14:30:05");
      expect(all).toContain("42.370 L x 19.49 SEK/L");
      expect(all).toContain("VAT 25% incl.");
      expect(all).toContain("165.16 SEK");
      expect(all).toContain("Diesel");
      expect(lines).toContainEqual({ kind: "qr", payload: INVOICE_QR });
      expect(lines.at(-1)).toEqual({ kind: "cut" });
    });
  }

  it("puts label and value on one line at 80 mm and splits them at 58 mm when they do not fit", () => {
    const wide = texts(layoutReceipt(FUEL_RECEIPT, 80));
    const narrow = texts(layoutReceipt(FUEL_RECEIPT, 58));
    // "Terminal" + 32 hex digits needs 41 columns.
    expect(wide.some((t) => t.startsWith("Terminal") && t.endsWith(FUEL_RECEIPT.terminalId))).toBe(true);
    expect(narrow).toContain("Terminal");
    expect(narrow).toContain(FUEL_RECEIPT.terminalId);
    expect(wide.find((t) => t.startsWith("TOTAL"))).toHaveLength(48);
    expect(narrow.find((t) => t.startsWith("TOTAL"))).toHaveLength(32);
  });

  it("turns control characters into spaces so configuration text cannot inject printer commands", () => {
    const lines = layoutReceipt({ ...FUEL_RECEIPT, stationName: "Evil\x1bd\x10Station\x1dV\x00" }, 58);
    for (const t of texts(lines)) expect(t).not.toMatch(/[\x00-\x1f\x7f]/);
  });

  it("omits the fuel block for a kiosk sale and still prints amount, reference and time", () => {
    const { point: _p, gradeName: _g, milli: _m, unit: _u, unitPriceMinor: _up, vatRatePercent: _v, ...kiosk } = FUEL_RECEIPT;
    const all = texts(layoutReceipt(kiosk, 58)).join("\n");
    expect(all).not.toContain("Grade");
    expect(all).not.toContain("VAT");
    expect(all).toContain("825.79 SEK");
  });

  it("rejects unusable content with INPUT_INVALID naming each problem", () => {
    try {
      layoutReceipt({ ...FUEL_RECEIPT, amountMinor: 1.5, ersReference: " ", qr: "bad\nqr" }, 58);
      expect.unreachable();
    } catch (error) {
      expect(isAgentError(error, "INPUT_INVALID")).toBe(true);
      expect((error as { context: { problems: string[] } }).context.problems).toHaveLength(3);
    }
  });

  it("hard-breaks words longer than a line instead of cutting them off", () => {
    expect(wrap("x".repeat(70), 32)).toEqual(["x".repeat(32), "x".repeat(32), "x".repeat(6)]);
    expect(wrap("a bb ccc", 4)).toEqual(["a bb", "ccc"]);
    expect(wrap("", 4)).toEqual([""]);
  });
});
