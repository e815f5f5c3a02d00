// MDB cashless end to end against the ENGINE-backed host: the virtual vending machine on one end
// of a real socat pty pair, the MDB driver on serialport on the other, the POS flow over real
// HTTP to the Glase simulator. Money is read from Glase's ledger.
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../base/log.ts";
import { MemoryDriverStore } from "../../contracts/driver-store.ts";
import type { KioskSale } from "../../contracts/kiosk.ts";
import type { MdbCashlessDriver } from "../../drivers/mdb/cashless.ts";
import { openMdbCashless } from "../../drivers/mdb/module.ts";
import { SimClock } from "../../simulator/clock.ts";
import { openPtyPair, type PtyPair } from "../../simulator/devices/pty-pair.ts";
import { VirtualVmc } from "../../simulator/devices/virtual-vmc.ts";
import { waitUntil } from "../drivers/dispenser/helpers.ts";
import { openKioskRig, type KioskRig } from "./engine-host-rig.ts";

let parts: { rig: KioskRig; vmc: VirtualVmc; driver: MdbCashlessDriver; pair: PtyPair } | undefined;
afterEach(async () => {
  if (!parts) return;
  await parts.driver.close();
  await parts.vmc.close();
  await parts.pair.close();
  await parts.rig.close();
  parts = undefined;
});

async function setup(opts: { autoPayMs?: number } = {}) {
  const rig = await openKioskRig(opts);
  const clock = new SimClock({ manual: true }); // the driver's payment deadline only; the engine runs on real time
  const vmc = new VirtualVmc({ dispenseMs: 20 });
  const pair = await openPtyPair();
  await vmc.attachSerial(pair.a);
  const driver = await openMdbCashless(
    { id: "vend-1", link: { kind: "serial", path: pair.b }, point: 9, currency: "SEK", paymentTimeoutMs: 60_000, products: { "12": { description: "Cola 33 cl", sku: "COLA33" } } },
    { host: rig.host, store: new MemoryDriverStore(), logger: createLogger("test.mdb"), scheduler: clock },
  );
  parts = { rig, vmc, driver, pair };
  await waitUntil(() => vmc.readerEnabled, 10_000, "reader enabled by C,1");
  return { rig, vmc, clock };
}

function saleWhere(rig: KioskRig, match: (s: KioskSale) => boolean, what: string): Promise<KioskSale> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}`))), 15_000);
    const off = rig.host.subscribe((e) => match(e.sale) && (clearTimeout(t), off(), resolve(e.sale)));
  });
}

describe("MDB cashless over a pty, engine-backed host", () => {
  it("vend request → PAID → C,VEND approve → VEND SUCCESS → delivered and a receipt; no refund", async () => {
    const { rig, vmc } = await setup({ autoPayMs: 100 });
    const delivered = saleWhere(rig, (s) => s.state === "delivered", "delivered");
    const vend = vmc.select("12", 250);
    const s = await delivered;
    expect(vend).toMatchObject({ state: "dispensed", approvedText: "2.50" });
    expect(vmc.commands.filter((c) => c.startsWith("C,VEND"))).toEqual(["C,VEND,2.50"]);
    const inv = rig.sim.sim.dump().invoices.filter((i) => i.invoice.clientInvoiceId === s.saleId);
    expect(inv.map((i) => [i.status, i.paidMinor])).toEqual([["PAID", 250]]);
    expect(inv[0]!.invoice.invoiceRows?.[0]).toMatchObject({ itemDescription: "Cola 33 cl", itemSKU: "COLA33" });
    await waitUntil(async () => (await rig.station.engine.receipts()).length === 1, 10_000, "receipt");
    expect(rig.refundsOf(s.ersReference!)).toEqual([]);
  });

  it("the machine cannot dispense → the whole amount refunded once at Glase", async () => {
    const { rig, vmc } = await setup({ autoPayMs: 100 });
    const refunded = saleWhere(rig, (s) => s.state === "refunded", "refunded");
    vmc.select("12", 300, "fail");
    const s = await refunded;
    expect(rig.refundsOf(s.ersReference!).map((r) => r.amountMinor)).toEqual([300]);
    expect(await rig.station.engine.receipts()).toEqual([]);
  });

  it("not paid within the payment timeout → cancelInvoice at Glase and the vend denied (C,STOP)", async () => {
    const { rig, vmc, clock } = await setup();
    const waiting = await new Promise<KioskSale>((resolve) => {
      const off = rig.host.subscribe((e) => e.sale.state === "waiting" && (off(), resolve(e.sale)));
      vmc.select("12", 250);
    });
    const cancelled = saleWhere(rig, (s) => s.state === "cancelled", "cancelled");
    clock.advance(60_000);
    expect((await cancelled).cancelReason).toBe("controller");
    await waitUntil(() => vmc.vends[0]!.state === "denied", 10_000, "denied at the machine");
    expect(vmc.commands).toContain("C,STOP");
    expect(rig.sim.sim.dump().invoices.find((i) => i.invoice.clientInvoiceId === waiting.saleId)!.status).toBe("CANCELED");
  });

  it("the machine resets mid-vend after approval → attention and an alarm, never a refund", async () => {
    const { rig, vmc } = await setup({ autoPayMs: 100 });
    vmc.select("12", 250, "hang");
    await waitUntil(() => vmc.current?.state === "approved", 10_000, "approved");
    const attention = saleWhere(rig, (s) => s.state === "attention", "attention");
    vmc.reset();
    const s = await attention;
    expect(s).toMatchObject({ attention: "release-unknown", release: { result: { outcome: "unknown" } } });
    expect(rig.station.engine.snapshot().alarms.map((a) => a.code)).toContain("release-unknown");
    expect(rig.refundsOf(s.ersReference!)).toEqual([]);
  });
});
