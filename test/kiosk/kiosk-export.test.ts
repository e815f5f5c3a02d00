// The bookkeeping export of kiosk sales equals Glase's own period report (review of issue 11 #1):
// a kiosk sale that was PAID and then refunded automatically because nothing was delivered keeps no
// receipt, yet Glase settled it — the export must carry the sale AND its refund, so its net is the
// close-period report's net. Real engine, real journal file, the Glase simulator's Shop.xml and
// STD_RECON_003 for the period; the export read through the operator's read-only JournalReader.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { KioskSale } from "../../contracts/kiosk.ts";
import { closePeriod } from "../../agent/daemon/period-close.ts";
import { periodTotalMinor } from "../../agent/core/period-report-text.ts";
import { exportRows, exportTotals, type ExportRow } from "../../agent/export/sales-export.ts";
import { JournalReader } from "../../agent/journal/reader.ts";
import { saleRows } from "../../drivers/kiosk/sale-rules.ts";
import { KIOSK_POINT, openKioskRig, type KioskRig } from "./engine-host-rig.ts";

let rig: KioskRig | undefined;
afterEach(async () => {
  await rig?.close();
  if (rig) await rm(rig.dir, { recursive: true, force: true });
  rig = undefined;
});

async function exported(r: KioskRig): Promise<ExportRow[]> {
  const reader = await JournalReader.open(join(r.dir, "journal.db"));
  try {
    return (await reader.exportPage({ since: 0, until: Date.now() + 60_000, limit: 1000 })).records.flatMap(exportRows);
  } finally {
    await reader.close();
  }
}

describe("ctl export of kiosk sales", () => {
  it("holds a paid-then-auto-refunded sale with its refund: export net = the period report's net", async () => {
    rig = await openKioskRig({ autoPayMs: 50 });
    const row = (minor: number, rate: string) => ({ itemDescription: `item ${rate}`, itemQuantity: "1", itemTaxRate: rate, itemTotalAmount: { currency: "SEK", minor } });
    const sale = async (reference: string, amountMinor: number, rows: ReturnType<typeof row>[]): Promise<KioskSale> => {
      const s = await rig!.host.requestSale({ point: KIOSK_POINT.id, amountMinor, currency: "SEK", reference, rows });
      return rig!.waitSale(s.saleId, (x) => x.state === "paid", "paid");
    };
    const failed = await sale("wash-jammed", 3000, [row(3000, "12")]);
    await rig.host.reportRelease(failed.saleId, { outcome: "failed", reason: "jammed" });
    await rig.waitSale(failed.saleId, (x) => x.state === "refunded", "refunded");
    expect(rig.refundsOf(failed.ersReference!).map((x) => x.amountMinor)).toEqual([3000]);
    const delivered = await sale("wash-ok", 9900, [row(6900, "25"), row(3000, "12")]);
    const receipt = new Promise<void>((resolve) => {
      const sub = rig!.station.engine.events$.subscribe((e) => e.type === "receipt" && (sub.unsubscribe(), resolve()));
    });
    await rig.host.reportRelease(delivered.saleId, { outcome: "delivered" });
    await receipt;

    const report = await closePeriod({ engine: rig.station.engine, terminalOf: () => KIOSK_POINT.terminalId, currency: "SEK", stationName: "Test Kiosk" }, { scope: "shop" });
    expect(report.summary.problems).toEqual([]);
    expect(report.summary.salesCount).toBe(2);
    expect(report.summary.linesRefundCount).toBe(1);
    const glaseNet = periodTotalMinor(report.summary)!;
    expect(glaseNet).toBe(9900);

    const rows = await exported(rig);
    const sales = rows.filter((r) => r.type === "sale");
    // VAT per rate (review 11 #2): the single-rate sale has its rate, the two-rate one a row per rate.
    expect(sales.map((r) => [r.ersReference, r.amountMinor, r.vatRatePercent, r.vatMinor]).sort()).toEqual(
      [[failed.ersReference, 3000, 12, 321], [delivered.ersReference, 6900, 25, 1380], [delivered.ersReference, 3000, 12, 321]].sort(),
    );
    expect(rows.filter((r) => r.type === "refund").map((r) => [r.refundOf, r.amountMinor, r.vatRatePercent, r.vatMinor])).toEqual([[failed.ersReference, -3000, 12, -321]]);
    // The kept receipt is a kiosk's: labelled as a machine, not a pump (review 11 #10a).
    expect((await rig.station.engine.receipts()).map((r) => (r.content as { pointKind?: string }).pointKind)).toEqual(["kiosk"]);
    const totals = exportTotals(rows);
    expect(totals.net.amountMinor).toBe(glaseNet);
    expect(totals.sales.count).toBe(report.summary.salesCount);
    // Every settled sale carries its point and terminal, as a receipt's row does.
    for (const r of sales) expect(r).toMatchObject({ point: KIOSK_POINT.id, terminalId: KIOSK_POINT.terminalId, currency: "SEK" });
  }, 60_000);

  it("a kiosk row sent without a VAT rate takes the point's vatRatePercent; none configured: no rate claimed", () => {
    const req = { point: 7, amountMinor: 9900, currency: "SEK", reference: "w" };
    expect(saleRows(req, "Car wash", 25)).toEqual([{ itemDescription: "Car wash", itemQuantity: "1", itemTaxRate: "25", itemTotalAmount: { currency: "SEK", minor: 9900 } }]);
    expect(saleRows(req, "Car wash")[0]!.itemTaxRate).toBeUndefined();
    expect(saleRows({ ...req, rows: [{ itemDescription: "x", itemTaxRate: "12", itemTotalAmount: { currency: "SEK", minor: 9900 } }] }, "Car wash", 25)[0]!.itemTaxRate).toBe("12");
  });
});
