// Receipts in the station's language and time: English, Swedish and German fully golden (every
// line), and for every locale of the catalogue: its own labels, the time in the station's zone in
// the locale's format, the locale's decimal separator, "Glase payment" as the seeds require, and
// every line within the paper. A VAT breakdown per rate when the rows carry different rates.
import { describe, expect, it } from "vitest";
import { vatBreakdownOf } from "../../../agent/core/receipt-vat.ts";
import { money } from "../../../agent/core/money.ts";
import { LOCALES, RECEIPT_LABELS } from "../../../base/i18n/messages.ts";
import { COLUMNS, layoutReceipt, type ReceiptLine } from "../../../drivers/printer/receipt-layout.ts";
import { FUEL_RECEIPT } from "./sample-receipt.ts";

const show = (lines: readonly ReceiptLine[], width: 58 | 80 = 58) => lines.map((l) => (l.kind === "text" ? l.text : l.kind === "rule" ? "-".repeat(COLUMNS[width]) : `[${l.kind}]`)).join("\n");
const fuel = { ...FUEL_RECEIPT, extraLines: undefined };

describe("receipts per locale (golden)", () => {
  it("en, Europe/London: the +01:00 payment time is 13:30 there", () => {
    expect(show(layoutReceipt(fuel, 58, { locale: "en", timeZone: "Europe/London" }))).toBe(
      `Glase Station Åre Östra
Terminal
87e791f9e24148a6892c52aa85bb0331
--------------------------------
Point                          3
Grade                     Diesel
42.370 L x 19.49 SEK/L
--------------------------------
TOTAL                 825.79 SEK
VAT 25% incl.         165.16 SEK
--------------------------------
Glase payment
Ref    2015102910184861801032678
Time        21/11/2026, 13:30:05
[cut]`,
    );
  });
  it("sv, Europe/Stockholm", () => {
    expect(show(layoutReceipt(fuel, 58, { locale: "sv", timeZone: "Europe/Stockholm" }))).toBe(
      `Glase Station Åre Östra
Terminal
87e791f9e24148a6892c52aa85bb0331
--------------------------------
Pump                           3
Produkt                   Diesel
42,370 L x 19,49 SEK/L
--------------------------------
TOTALT                825,79 SEK
Moms 25% ingår        165,16 SEK
--------------------------------
Glase payment
Ref    2015102910184861801032678
Tid          2026-11-21 14:30:05
[cut]`,
    );
  });
  it("de, Europe/Berlin, 80 mm", () => {
    expect(show(layoutReceipt(fuel, 80, { locale: "de", timeZone: "Europe/Berlin" }), 80)).toBe(
      `Glase Station Åre Östra
Terminal        87e791f9e24148a6892c52aa85bb0331
------------------------------------------------
Säule                                          3
Sorte                                     Diesel
42,370 L x 19,49 SEK/L
------------------------------------------------
SUMME                                 825,79 SEK
inkl. MwSt. 25%                       165,16 SEK
------------------------------------------------
Glase payment
Ref.                   2015102910184861801032678
Zeit                        21.11.2026, 14:30:05
[cut]`,
    );
  });
  it("sv with rows at 25 %, 12 % and 6 %: one VAT line per rate, each exact for its base", () => {
    const rows = [
      { itemDescription: "Tvätt", itemTaxRate: "25", itemTotalAmount: money("SEK", 10_000) },
      { itemDescription: "Kaffe", itemTaxRate: "12", itemTotalAmount: money("SEK", 2_500) },
      { itemDescription: "Bulle", itemTaxRate: "12", itemTotalAmount: money("SEK", 1_500) },
      { itemDescription: "Tidning", itemTaxRate: "6", itemTotalAmount: money("SEK", 1_000) },
    ];
    const kiosk = { stationName: "Kiosk", terminalId: "T1", amountMinor: 15_000, currency: "SEK", ersReference: "E1", description: "Glase payment", timestamp: "2026-11-21T13:30:05Z", ...vatBreakdownOf(rows) };
    expect(show(layoutReceipt(kiosk, 58, { locale: "sv", timeZone: "Europe/Stockholm" }))).toBe(
      `Kiosk
Terminal                      T1
--------------------------------
TOTALT                150,00 SEK
Moms 25% av 100,00     20,00 SEK
Moms 12% av 40,00       4,29 SEK
Moms 6% av 10,00        0,57 SEK
--------------------------------
Glase payment
Ref                           E1
Tid          2026-11-21 14:30:05
[cut]`,
    );
    // One rate only: no breakdown, the single line; a row without a rate: no VAT claimed.
    expect(vatBreakdownOf(rows.map((r) => ({ ...r, itemTaxRate: "25" })))).toEqual({ vatRatePercent: 25 });
    expect(vatBreakdownOf([...rows, { itemDescription: "?" }])).toEqual({});
  });
  it("a wash/vending receipt says which machine, a charger's which charger — never 'Pump' (review 11 #10a)", () => {
    const base = { stationName: "S", terminalId: "T", point: 7, amountMinor: 9_900, currency: "SEK", ersReference: "E", description: "Glase payment", timestamp: "2026-11-21T13:30:05Z" };
    expect(show(layoutReceipt({ ...base, pointKind: "kiosk" }, 58, { locale: "sv" }))).toMatch(/^Automat +7$/m);
    expect(show(layoutReceipt({ ...base, pointKind: "kiosk" }, 58, { locale: "en" }))).toMatch(/^Machine +7$/m);
    expect(show(layoutReceipt({ ...base, pointKind: "ev" }, 58, { locale: "de" }))).toMatch(/^Ladepunkt +7$/m);
    // A receipt journaled before the kind was recorded: a kWh sale is a charger's, anything else a pump's.
    expect(show(layoutReceipt({ ...base, milli: 1000, unit: "kWh" }, 58, { locale: "en" }))).toMatch(/^Charger +7$/m);
    expect(show(layoutReceipt(base, 58, { locale: "de" }))).toMatch(/^Säule +7$/m);
  });

  it("de, a vending sale of one rate (12 %): its single VAT line, as a fuel receipt has (review 11 #2)", () => {
    const rows = [{ itemDescription: "Cola 33 cl", itemQuantity: "1", itemTaxRate: "12", itemTotalAmount: money("SEK", 2_500) }];
    const vend = { stationName: "Kiosk", terminalId: "T8", amountMinor: 2_500, currency: "SEK", ersReference: "E8", description: "Glase payment", timestamp: "2026-11-21T13:30:05Z", ...vatBreakdownOf(rows) };
    expect(show(layoutReceipt(vend, 58, { locale: "de", timeZone: "Europe/Berlin" }))).toContain("inkl. MwSt. 12%         2,68 SEK");
  });
});

describe("every locale", () => {
  it.each(LOCALES)("%s: its own labels, zoned time, its decimal, 'Glase payment', within 32 columns", (locale) => {
    const lines = layoutReceipt(fuel, 58, { locale, timeZone: "Asia/Tokyo" });
    const text = show(lines);
    const t = RECEIPT_LABELS[locale];
    for (const label of [t.point, t.grade, t.total, t.reference, t.time]) expect(text).toMatch(new RegExp(`^${label.replace(".", "\\.")} `, "m"));
    expect(text).toContain("Glase payment");
    expect(text).toMatch(/22[:.]30[:.]05/); // 14:30 at +01:00 is 22:30 in Tokyo
    expect(text).toContain(locale === "en" ? "825.79 SEK" : "825,79 SEK");
    for (const l of lines) if (l.kind === "text") expect(l.text.length).toBeLessThanOrEqual(32);
  });
  it("a zoneless payment time is the till's local time: shown as it reads, in any zone", () => {
    expect(show(layoutReceipt({ ...fuel, timestamp: "2026-11-21T14:30:05" }, 58, { locale: "de", timeZone: "Asia/Tokyo" }))).toContain("21.11.2026, 14:30:05");
    expect(show(layoutReceipt({ ...fuel, timestamp: "not a time" }, 58, { locale: "de" }))).toMatch(/^Zeit +not a time$/m);
  });
});
