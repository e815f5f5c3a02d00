// Review 2 of issue 11 (#4 again): the printed period slip names the zone of its "Time" line
// (station zone), but prints Glase's GeneratedAt raw: "Erstellt (Glase) 2026-12-01 15:34" next to
// "Zeit 01.12.2026, 16:34:31 Europe/Berlin" — two clocks an hour apart, one unmarked.
import { describe, expect, it } from "vitest";
import { periodReportLines } from "../../agent/core/period-report-text.ts";
import { layoutReceipt, COLUMNS } from "../../drivers/printer/receipt-layout.ts";
import { PERIOD_LABELS } from "../../base/i18n/messages.ts";

const summary = { scope: "terminal" as const, terminalId: "00000000000000000000000000000002", transactionPeriodId: "2026120115340628101000011", generatedAt: "2026-12-01 15:34", salesCount: 3, salesTotalMinor: 123456, linesRefundCount: 1, problems: [], lines: [{ terminalId: "00000000000000000000000000000002", ersReference: "2026120115275286701000027", amountMinor: 3000 }, { terminalId: "00000000000000000000000000000002", ersReference: "2026120115275539401000029", amountMinor: -3000 }] };

describe("printed period slip", () => {
  it("de: the Glase generation time is in the station zone or names its zone", () => {
    const lines = periodReportLines({ summary: summary as never, currency: "SEK", flowId: "Cabc" }, 32, { locale: "de" });
    const text = lines.join("\n");
    const gen = text.slice(text.indexOf(PERIOD_LABELS.de.generated));
    const genLine = gen.split("\n").slice(0, 2).join(" ");
    expect(genLine).toMatch(/UTC|GMT|Europe\/Berlin|CET|16:34/);
  });

  it("in the station's zone, named: Glase's UTC time at Europe/Berlin reads 16:34 Europe/Berlin", () => {
    const text = periodReportLines({ summary: summary as never, currency: "SEK", flowId: "Cabc" }, 48, { locale: "de", timeZone: "Europe/Berlin" }).join("\n");
    expect(text).toContain("2026-12-01 16:34 Europe/Berlin");
    expect(text).not.toContain("15:34");
  });

  it("every locale, 58 and 80 mm: every printed line fits the paper and every ersReference is whole", () => {
    for (const locale of Object.keys(PERIOD_LABELS) as Array<keyof typeof PERIOD_LABELS>) {
      for (const width of [58, 80] as const) {
        const extra = periodReportLines({ summary: summary as never, currency: "SEK", flowId: "Cabc" }, COLUMNS[width], { locale });
        const out = layoutReceipt({ stationName: "S", terminalId: "T", amountMinor: 123456, currency: "SEK", ersReference: summary.transactionPeriodId, description: PERIOD_LABELS[locale].title, timestamp: "2026-12-01T15:34:31Z", showTimeZone: true, extraLines: extra } as never, width, { locale, timeZone: "Europe/Berlin" } as never);
        const texts = out.filter((l) => (l as { kind: string }).kind === "text").map((l) => (l as { text: string }).text);
        for (const t of texts) expect(t.length, `${locale} ${width}: ${t}`).toBeLessThanOrEqual(COLUMNS[width]);
        for (const l of summary.lines) expect(texts.join("\n"), `${locale} ${width}`).toContain(l.ersReference);
      }
    }
  });
});
