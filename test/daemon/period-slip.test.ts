// The printed period report (`ctl close-period --print`) is a record a technician matches against
// the sales (review of issue 11 #4): every ersReference printed whole (no "…", which the printer's
// code table turns into "?"), every label in the station's language, its amounts with the locale's
// decimal, and its time in the station's zone, named. The real closePeriod and the real receipt
// layout; the engine answers with Glase's documents (the shapes the simulator serves).
import { describe, expect, it } from "vitest";
import { closePeriod } from "../../agent/daemon/period-close.ts";
import type { PaymentEngine } from "../../agent/engine-api.ts";
import { LOCALES, PERIOD_LABELS, RECEIPT_LABELS, type Locale } from "../../base/i18n/messages.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";
import { COLUMNS, layoutReceipt } from "../../drivers/printer/receipt-layout.ts";

const T1 = "pc000000000000000000000000000001";
const T2 = "pc000000000000000000000000000002";
const SALES = [
  { t: T1, ref: "2026120115334071301000001", amount: "30.00000" },
  { t: T2, ref: "2026120115341249901000003", amount: "1542.51000" },
  { t: T1, ref: "2026120115342282601000005", amount: "-10.00000" },
];
const SHOP = `<?xml version="1.0" encoding="UTF-8"?>
<ResellerTransactionSummary><Meta><ResellerId>demo_shop</ResellerId><TransactionPeriodId>2026120115340628101000011</TransactionPeriodId><GeneratedAt>2026-12-01 15:34</GeneratedAt></Meta>
<Row><SalesCount>2</SalesCount><SalesTotal>1562.51000</SalesTotal></Row></ResellerTransactionSummary>`;
const LINES = `<?xml version="1.0" encoding="UTF-8"?>
<TransactionDetails><Meta><ResellerId>demo_shop</ResellerId><TransactionPeriodId>2026120115340628101000011</TransactionPeriodId><GeneratedAt>2026-12-01 15:34</GeneratedAt></Meta>
${SALES.map((s) => `<Row><TerminalId>${s.t}</TerminalId><CashierId>NULL</CashierId><SalesAmount>${s.amount}</SalesAmount><ErsReference>${s.ref}</ErsReference></Row>`).join("\n")}
</TransactionDetails>`;

async function slip(locale: Locale, timeZone: string, width: 58 | 80): Promise<string> {
  const engine = {
    startReconciliation: async () => ({
      flowId: "C-1",
      reportId: "Reconciliation/Shop.xml",
      transactionPeriodId: "2026120115340628101000011",
      reports: [
        { reportId: "Reconciliation/Shop.xml", report: SHOP },
        { reportId: "Reconciliation/STD_RECON_003.xml", report: LINES },
      ],
    }),
  } as unknown as PaymentEngine;
  const printed: ReceiptContent[] = [];
  const printer = { print: async (r: ReceiptContent) => void printed.push(r), status: async () => "ok" as const, close: async () => undefined };
  const r = await closePeriod(
    { engine, terminalOf: () => undefined, currency: "SEK", stationName: "Glase Demo Station", printer, printWidth: width, station: { locale, timeZone }, now: () => Date.parse("2026-12-01T15:34:31Z") },
    { scope: "shop", print: true },
  );
  expect(r.printed, r.printError).toBe(true);
  const lines = layoutReceipt(printed[0]!, width, { locale, timeZone });
  for (const l of lines) if (l.kind === "text") expect(l.text.length).toBeLessThanOrEqual(COLUMNS[width]);
  return lines.map((l) => (l.kind === "text" ? l.text : l.kind === "rule" ? "-".repeat(COLUMNS[width]) : `[${l.kind}]`)).join("\n");
}

describe("the printed period report", () => {
  it("de, Europe/Berlin, 58 mm: German labels and decimals, whole ersReferences, the time in Berlin with its zone named", async () => {
    const text = await slip("de", "Europe/Berlin", 58);
    for (const s of SALES) expect(text).toContain(s.ref);
    expect(text).not.toMatch(/[…?]/);
    expect(text).toMatch(/^Periodenbericht, gesamter Shop$/m);
    expect(text).toMatch(/^Verkäufe +2$/m);
    expect(text).toMatch(/^Erstattungen +1$/m);
    expect(text).toMatch(/^Summe \(netto\) SEK +1562,51$/m);
    expect(text).toMatch(/^SUMME +1562,51 SEK$/m);
    expect(text).toMatch(/^Terminal +alle$/m);
    expect(text).toMatch(/^Zeit\n01\.12\.2026, 16:34:31\nEurope\/Berlin$/m);
    expect(text).toMatch(/^\.\.000002 +1542,51\n  2026120115341249901000003$/m);
    for (const english of ["Period report", "Sales", "Refunds", "Total", "whole shop", "Generated", "shop\n"]) expect(text).not.toContain(english);
    expect(text).not.toMatch(/\d\.\d\d(?![\d.])/); // no decimal point in an amount
  });

  it.each(LOCALES.flatMap((l) => [[l, 58], [l, 80]] as const))("%s at %s mm: within the columns, every reference whole, the locale's labels", async (locale, width) => {
    const text = await slip(locale, "Asia/Tokyo", width);
    for (const s of SALES) expect(text).toContain(s.ref);
    expect(text).not.toMatch(/[…?]/);
    const t = PERIOD_LABELS[locale];
    for (const label of [t.title, t.sales, t.refunds, t.total, RECEIPT_LABELS[locale].time]) expect(text).toContain(label);
    expect(text).toContain("Asia/Tokyo");
  });
});
