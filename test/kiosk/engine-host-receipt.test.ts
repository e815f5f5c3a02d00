// The Glase receipt of a kiosk sale (issue 13: "delivered → receipt (and submitPaymentReceipt)"):
// with receipts configured it goes to Glase once the product was DELIVERED — not at PAID, never for
// a refunded sale — journaled, so a restart right after the delivery neither loses it nor, once
// answered, sends it again. Counted in the Glase simulator's ledger (the payment's receipts).
import { afterEach, describe, expect, it } from "vitest";
import type { KioskSale } from "../../contracts/kiosk.ts";
import { openKioskRig, type KioskRig } from "./engine-host-rig.ts";

let rig: KioskRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const req = { point: 9, amountMinor: 4500, currency: "SEK", reference: "wash-r" };

async function paidSale(r: KioskRig): Promise<KioskSale> {
  const sale = await r.host.requestSale(req);
  return r.waitSale(sale.saleId, (s) => s.state === "paid", "paid");
}

const receiptsOf = (r: KioskRig, ers: string) => r.sim.sim.dump().payments.find((p) => p.ersReference === ers)?.receipts ?? [];

/** Waits until the payment has n receipts at Glase (polls the simulator's ledger; it sends no event). */
async function waitGlaseReceipts(r: KioskRig, ers: string, n: number) {
  for (let i = 0; i < 250; i++) {
    if (receiptsOf(r, ers).length >= n) return receiptsOf(r, ers);
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`payment ${ers}: ${receiptsOf(r, ers).length} receipts at Glase, waited for ${n}`);
}

/** A whole second sale after a restart (its receipt at Glase): any re-send of the first one had its time. */
async function anotherDeliveredSale(r: KioskRig): Promise<void> {
  for (let i = 0; i < 250 && r.station.engine.snapshot().points.find((p) => p.point === 9)?.flowId !== undefined; i++) await new Promise((res) => setTimeout(res, 20));
  const s = await r.host.requestSale({ ...req, reference: "wash-next" });
  const p = await r.waitSale(s.saleId, (x) => x.state === "paid", "second sale paid");
  await r.host.reportRelease(p.saleId, { outcome: "delivered" });
  await waitGlaseReceipts(r, p.ersReference!, 1);
}

describe("kiosk sale receipt at Glase (submitPaymentReceipt)", () => {
  it("goes out after the delivery, not at PAID, exactly once — also across a restart after it was answered", async () => {
    rig = await openKioskRig({ autoPayMs: 100, submitReceipts: true });
    const p = await paidSale(rig);
    const deliveredAt = Date.now();
    await rig.host.reportRelease(p.saleId, { outcome: "delivered" });
    const got = await waitGlaseReceipts(rig, p.ersReference!, 1);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ receiptType: "PAYMENT_RECEIPT" });
    expect(got[0]!.bytes).toBeGreaterThan(0);
    expect(got[0]!.at, "sent at PAID, before the product was out").toBeGreaterThanOrEqual(deliveredAt);
    await rig.restart();
    await anotherDeliveredSale(rig);
    expect(receiptsOf(rig, p.ersReference!)).toHaveLength(1);
  });

  it("a refunded sale (nothing delivered) gets no receipt at Glase", async () => {
    rig = await openKioskRig({ autoPayMs: 100, submitReceipts: true });
    const p = await paidSale(rig);
    await rig.host.reportRelease(p.saleId, { outcome: "failed", reason: "jammed" });
    await rig.waitSale(p.saleId, (s) => s.state === "refunded", "refunded");
    expect(receiptsOf(rig, p.ersReference!)).toEqual([]);
  });

  it("a restart right after the delivery was journaled still sends it, once", async () => {
    rig = await openKioskRig({ autoPayMs: 100, submitReceipts: true });
    const p = await paidSale(rig);
    await rig.host.reportRelease(p.saleId, { outcome: "delivered" });
    await rig.restart(); // the host closes before its first send is journaled: the next one sends it
    expect(await waitGlaseReceipts(rig, p.ersReference!, 1)).toHaveLength(1);
    await rig.restart();
    await anotherDeliveredSale(rig);
    expect(receiptsOf(rig, p.ersReference!)).toHaveLength(1);
  });

  it("without receipts configured, none is sent", async () => {
    rig = await openKioskRig({ autoPayMs: 100 });
    const p = await paidSale(rig);
    await rig.host.reportRelease(p.saleId, { outcome: "delivered" });
    for (let i = 0; i < 250 && (await rig.station.engine.receipts()).length === 0; i++) await new Promise((res) => setTimeout(res, 20));
    expect(await rig.station.engine.receipts()).toHaveLength(1); // printed
    expect(receiptsOf(rig, p.ersReference!)).toEqual([]);
  });
});
