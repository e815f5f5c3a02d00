// The engine kiosk host keeps memory bounded (review of issue 13, finding 13): finished sales older
// than keepFinalMs leave memory (the journal still answers getSale by id), lookups go by index.
import { afterEach, describe, expect, it } from "vitest";
import { SaleIndex } from "../../agent/kiosk/sale-index.ts";
import type { SaleRecord } from "../../agent/kiosk/sale-record.ts";
import type { KioskSale, SaleState } from "../../contracts/kiosk.ts";
import { openKioskRig, type KioskRig } from "./engine-host-rig.ts";

let rig: KioskRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const req = (reference: string) => ({ point: 9, amountMinor: 4500, currency: "SEK", reference });

describe("engine kiosk host: memory bounded", () => {
  it("a finished sale older than keepFinalMs leaves memory at the next request; getSale still reads it from the journal, also after a restart", async () => {
    rig = await openKioskRig({ autoPayMs: 50, keepFinalMs: 0 });
    const first = await rig.host.requestSale(req("wash-1"));
    await rig.waitSale(first.saleId, (s) => s.state === "paid", "paid");
    await rig.host.reportRelease(first.saleId, { outcome: "delivered" });
    // The POS flow ends after the receipt: then the point takes the next sale.
    await new Promise<void>((resolve) => {
      const free = () => rig!.station.engine.snapshot().points.find((p) => p.point === 9)?.flowId === undefined;
      const sub = rig!.station.engine.events$.subscribe(() => free() && (sub.unsubscribe(), resolve()));
      if (free()) (sub.unsubscribe(), resolve());
    });
    const second = await rig.host.requestSale(req("wash-2"));
    expect(rig.host.stats().salesInMemory).toBe(1); // only the open one
    expect((await rig.host.getSale(first.saleId))?.state).toBe("delivered");
    expect((await rig.host.findSale({ reference: "wash-2" }))?.saleId).toBe(second.saleId);
    await rig.restart();
    expect(rig.host.stats().salesInMemory).toBe(1);
    expect((await rig.host.getSale(first.saleId))?.state).toBe("delivered");
  });
});

describe("SaleIndex", () => {
  const rec = (id: string, point: number, reference: string, state: SaleState, at: number, key?: string): { rec: SaleRecord } => ({
    rec: { fingerprint: "f", sale: { saleId: id, point, reference, state, createdAt: at, updatedAt: at, ...(key ? { idempotencyKey: key } : {}) } as unknown as KioskSale },
  });

  it("10 000 finished sales: swept once older than keepFinalMs; the newest by reference among the asked points; busy only for open sales", () => {
    const idx = new SaleIndex<{ rec: SaleRecord }>(1000);
    for (let i = 0; i < 10_000; i++) idx.add(rec(`s${i}`, 7 + (i % 2), "order-1", "delivered", i, `k${i}`));
    idx.add(rec("open", 8, "order-1", "paid", 20_000, "k-open"));
    expect(idx.byReference("order-1", undefined, [7])!.rec.sale.saleId).toBe("s9998");
    expect(idx.byReference("order-1")!.rec.sale.saleId).toBe("open");
    expect(idx.busy(8)!.rec.sale.saleId).toBe("open");
    expect(idx.busy(7)).toBeUndefined();
    expect(idx.sweep(10_500)).toBe(9_501); // changed at 9 500 or before
    expect(idx.size).toBe(500);
    expect(idx.byIdempotencyKey("k1")).toBeUndefined();
    expect(idx.byIdempotencyKey("k9999")!.rec.sale.saleId).toBe("s9999");
    expect(idx.sweep(1_000_000)).toBe(499);
    expect(idx.size).toBe(1); // the open sale is never swept
  });
});
