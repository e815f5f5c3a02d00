// ctl export's rows from a real journal: every kept receipt is a sale, every refunded refund a
// negative row with its payment's VAT rate; paging (any page size) yields exactly what one read
// does; the CSV is RFC 4180 and its totals are the receipts' (and the refunds').
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CSV_HEADER, csvLine, exportRow, exportRows, exportTotals, vatOf, type ExportRow } from "../../agent/export/sales-export.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import { JournalReader } from "../../agent/journal/reader.ts";
import type { Journal } from "../../agent/journal/types.ts";

let dir: string;
let journal: Journal;
let path: string;
const SALES = 37;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-export-"));
  path = join(dir, "journal.sqlite");
  journal = await openJournal({ path });
  for (let i = 0; i < SALES; i++) {
    // Two receipts share each instant: the cursor must tell them apart by flow id.
    const at = 10_000 + Math.floor(i / 2) * 1000;
    await journal.saveReceipt({
      flowId: `P${i % 4}-${i}`,
      ersReference: `E${i}`,
      printed: i % 5 !== 0,
      at,
      content: { stationName: "S", terminalId: `T${i % 4}`, point: (i % 4) + 1, gradeName: i % 2 ? "Diesel" : 'Blyfri "95", ren', milli: 1000 + i, unit: "L", unitPriceMinor: 1899, amountMinor: 1000 + 7 * i, currency: "SEK", vatRatePercent: i % 3 === 0 ? 12 : 25, ersReference: `E${i}`, description: "Glase payment", timestamp: new Date(at).toISOString() },
    });
  }
  const refund = (flowId: string, at: number, outcome: string, ersReference: string, amountMinor: number) =>
    journal.append({ flowId, kind: "refund", point: 1, at, input: { type: "glase" }, state: { kind: "refund", phase: "finished", outcome, ersReference, amountMinor, currency: "SEK", terminalId: "T0", point: 1, refundReference: `R-${flowId}` }, stateName: "finished", finished: true, parked: false, effects: [] });
  await journal.append({ flowId: "R1", kind: "refund", point: 1, at: 12_500, input: { type: "start" }, state: { phase: "refunding" }, stateName: "refunding", finished: false, parked: false, effects: [] });
  await refund("R1", 12_600, "refunded", "E3", 250);
  await refund("R2", 13_000, "failed", "E4", 100);
  await refund("R3", 99_000, "refunded", "E-gone", 500);
});
afterAll(async () => {
  await journal.close();
  await rm(dir, { recursive: true, force: true });
});

async function readAll(since: number, until: number, limit: number): Promise<ExportRow[]> {
  const reader = await JournalReader.open(path);
  try {
    const rows: ExportRow[] = [];
    let after: { at: number; flowId: string } | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await reader.exportPage({ since, until, limit, ...(after ? { after } : {}) });
      rows.push(...page.records.map(exportRow));
      if (!page.next) return rows;
      after = page.next;
    }
    throw new Error("paging does not end");
  } finally {
    await reader.close();
  }
}

describe("ctl export rows", () => {
  it("are the kept receipts and the refunded refunds, oldest first, refunds negative with the payment's VAT", async () => {
    const rows = await readAll(0, 100_000, 1000);
    expect(rows.filter((r) => r.type === "sale")).toHaveLength(SALES);
    const refunds = rows.filter((r) => r.type === "refund");
    expect(refunds.map((r) => [r.ersReference, r.refundOf, r.amountMinor, r.vatRatePercent, r.vatMinor])).toEqual([
      ["R-R1", "E3", -250, 12, -27],
      // A refund whose payment's receipt is no longer kept: no VAT rate to give.
      ["R-R3", "E-gone", -500, undefined, undefined],
    ]);
    expect(rows.map((r) => r.at)).toEqual([...rows.map((r) => r.at)].sort((a, b) => a - b));
    const t = exportTotals(rows);
    const receipts = await journal.receipts();
    expect(t.sales.amountMinor).toBe(receipts.reduce((a, r) => a + (r.content as { amountMinor: number }).amountMinor, 0));
    expect(t.refunds).toEqual({ count: 2, amountMinor: -750, vatMinor: -27 });
    expect(t.net.amountMinor).toBe(t.sales.amountMinor - 750);
  });

  it("pages to exactly the rows of one read, whatever the page size and the window", async () => {
    const all = await readAll(0, 100_000, 1000);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 9_000, max: 30_000 }), fc.integer({ min: 0, max: 90_000 }), async (limit, since, span) => {
        const until = since + span + 1;
        const paged = await readAll(since, until, limit);
        expect(paged).toEqual(all.filter((r) => r.at >= since && r.at < until));
      }),
      { numRuns: 25, seed: 11 },
    );
  });

  it("are RFC 4180 CSV with decimal amounts", () => {
    const row = exportRow({ type: "sale", flowId: "P1-x", at: 0, ersReference: "E9", receipt: { point: 1, terminalId: "T", gradeName: 'Blyfri "95", ren', milli: 12_345, unit: "L", unitPriceMinor: 1899, amountMinor: 23_443, currency: "SEK", vatRatePercent: 25, timestamp: "2026-03-01T10:00:00Z" } });
    expect(CSV_HEADER).toBe("type,ersReference,time,point,terminalId,grade,quantity,unit,unitPrice,amount,currency,vatRate,vat,refundOf,flowId,part\r\n");
    expect(csvLine(row)).toBe('sale,E9,2026-03-01T10:00:00Z,1,T,"Blyfri ""95"", ren",12.345,L,18.99,234.43,SEK,25,46.89,,P1-x,\r\n');
  });

  it("give a single-rate kiosk sale its VAT, and a multi-rate one a row per rate summing to the sale; its refund split the same way (review 11 #2)", () => {
    const vend = exportRow({ type: "sale", flowId: "K8-1", at: 0, ersReference: "E8", receipt: { point: 8, terminalId: "T8", amountMinor: 2_500, currency: "SEK", vatRatePercent: 12, timestamp: "2026-03-01T10:00:00Z" } });
    expect(vend).toMatchObject({ vatRatePercent: 12, vatMinor: 268 });
    const receipt = { point: 7, terminalId: "T7", amountMinor: 15_000, currency: "SEK", timestamp: "2026-03-01T10:00:00Z", vatBreakdown: [{ ratePercent: 12, grossMinor: 4_000 }, { ratePercent: 25, grossMinor: 10_000 }, { ratePercent: 6, grossMinor: 1_000 }] };
    const sale = exportRows({ type: "sale", flowId: "K7-1", at: 0, ersReference: "E7", receipt });
    expect(sale.map((r) => [r.ersReference, r.amountMinor, r.vatRatePercent, r.vatMinor, r.part])).toEqual([
      ["E7", 10_000, 25, 2_000, "1/3"],
      ["E7", 4_000, 12, 429, "2/3"],
      ["E7", 1_000, 6, 57, "3/3"],
    ]);
    const refund = exportRows({ type: "refund", flowId: "R7", at: 1, refund: { ersReference: "E7", refundReference: "R-E7", amountMinor: 1_001, currency: "SEK" }, originalReceipt: receipt });
    expect(refund.map((r) => r.amountMinor)).toEqual([-667, -267, -67]);
    expect(refund.reduce((a, r) => a + r.amountMinor, 0)).toBe(-1_001);
    const t = exportTotals([...sale, ...refund]);
    expect(t.sales).toEqual({ count: 1, amountMinor: 15_000, vatMinor: 2_486 });
    expect(t.refunds.count).toBe(1);
    expect(csvLine(sale[1]!)).toBe("sale,E7,2026-03-01T10:00:00Z,7,T7,,,,,40.00,SEK,12,4.29,,K7-1,2/3\r\n");
  });

  it("take VAT out of a gross amount, rounded half away from zero", () => {
    expect(vatOf(12_500, 25)).toBe(2_500);
    expect(vatOf(14_019, 25)).toBe(2_804); // 2803.8
    expect(vatOf(-14_019, 25)).toBe(-2_804);
    expect(vatOf(112, 12)).toBe(12);
    expect(vatOf(10, 25)).toBe(2);
    expect(vatOf(1, 100)).toBe(1); // 0.5 → 1
    expect(vatOf(-1, 100)).toBe(-1);
    expect(vatOf(5_000, 0)).toBe(0);
  });
});
