// Review 2 of issue 11: the export for a period's window must equal Glase's report of that period.
// A kiosk sale PAID before the period mark but delivered (receipt kept) after it belongs to the
// closed period at Glase; the export files it by the receipt's keep time, i.e. into the next one.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closePeriod } from "../../agent/daemon/period-close.ts";
import { periodTotalMinor } from "../../agent/core/period-report-text.ts";
import { exportRows, exportTotals, type ExportRow } from "../../agent/export/sales-export.ts";
import { JournalReader } from "../../agent/journal/reader.ts";
import { KIOSK_POINT, openKioskRig, type KioskRig } from "../kiosk/engine-host-rig.ts";

let rig: KioskRig | undefined;
afterEach(async () => {
  await rig?.close();
  if (rig) await rm(rig.dir, { recursive: true, force: true });
  rig = undefined;
});

async function exported(r: KioskRig, since: number, until: number): Promise<ExportRow[]> {
  const reader = await JournalReader.open(join(r.dir, "journal.db"));
  try {
    return (await reader.exportPage({ since, until, limit: 1000 })).records.flatMap(exportRows);
  } finally {
    await reader.close();
  }
}

describe("export window vs the Glase period", () => {
  it("a sale paid before the mark and delivered after it is in the closed period's export", async () => {
    rig = await openKioskRig({ autoPayMs: 50 });
    const start = Date.now() - 1000;
    const s = await rig.host.requestSale({ point: KIOSK_POINT.id, amountMinor: 5000, currency: "SEK", reference: "wash-long", rows: [{ itemDescription: "wash", itemQuantity: "1", itemTaxRate: "25", itemTotalAmount: { currency: "SEK", minor: 5000 } }] });
    const paid = await rig.waitSale(s.saleId, (x) => x.state === "paid", "paid");
    // The wash is running; the shift is closed now.
    const report = await closePeriod({ engine: rig.station.engine, terminalOf: () => KIOSK_POINT.terminalId, currency: "SEK", stationName: "Test Kiosk" }, { scope: "shop" });
    const markedBy = Date.now();
    expect(report.summary.problems).toEqual([]);
    const glaseNet = periodTotalMinor(report.summary);
    expect(glaseNet).toBe(5000); // Glase counts the sale in this period
    const receipt = new Promise<void>((resolve) => {
      const sub = rig!.station.engine.events$.subscribe((e) => e.type === "receipt" && (sub.unsubscribe(), resolve()));
    });
    await rig.host.reportRelease(paid.saleId, { outcome: "delivered" });
    await receipt;
    // The bookkeeper exports the closed period's window: from before the first sale up to the mark.
    const rows = await exported(rig, start, markedBy);
    expect(exportTotals(rows).net.amountMinor).toBe(glaseNet);
  }, 60_000);
});
