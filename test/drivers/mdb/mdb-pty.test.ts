// The MDB cashless driver on serialport through a real tty (a socat pty pair) to the virtual
// vending machine, selling through the in-memory reference host: every vend path end to end.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import type { KioskSale } from "../../../drivers/kiosk/contract.ts";
import { InMemoryKioskHost, type InMemoryKioskHostOptions } from "../../../drivers/kiosk/in-memory-host.ts";
import type { MdbCashlessDriver } from "../../../drivers/mdb/cashless.ts";
import { openMdbCashless, type MdbConfig } from "../../../drivers/mdb/module.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { openPtyPair, type PtyPair } from "../../../simulator/devices/pty-pair.ts";
import { VirtualVmc } from "../../../simulator/devices/virtual-vmc.ts";
import { closeAfterEach, waitUntil } from "../dispenser/helpers.ts";

const cleanup = closeAfterEach();
const logger = createLogger("test.mdb");

function waitSale(host: InMemoryKioskHost, match: (s: KioskSale) => boolean, what: string, timeoutMs = 10_000): Promise<KioskSale> {
  const seen = host.sales().find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}; sales ${JSON.stringify(host.sales().map((s) => [s.saleId, s.state]))}`))), timeoutMs);
    const off = host.subscribe((e) => match(e.sale) && (clearTimeout(t), off(), resolve(e.sale)));
  });
}

async function setup(opts: { host?: Partial<InMemoryKioskHostOptions>; config?: Partial<MdbConfig> } = {}) {
  const clock = new SimClock({ manual: true });
  const host = new InMemoryKioskHost({ points: [{ id: 21, currency: "SEK", glaseId: "GL-21", maxAmountMinor: 5000 }], scheduler: clock, ...opts.host });
  const store = new MemoryDriverStore();
  const vmc = new VirtualVmc({ dispenseMs: 20 });
  let pair: PtyPair = await openPtyPair();
  await vmc.attachSerial(pair.a);
  const config: MdbConfig = {
    id: "vend-1",
    link: { kind: "serial", path: pair.b },
    point: 21,
    currency: "SEK",
    paymentTimeoutMs: 60_000,
    products: { "12": { description: "Cola 33 cl", sku: "COLA33", taxRatePercent: 12 } },
    reconnectInitialMs: 50,
    reconnectMaxMs: 200,
    ...opts.config,
  };
  const open = () => openMdbCashless(config, { host, store, logger, scheduler: clock });
  let driver: MdbCashlessDriver = await open();
  cleanup(
    () => vmc.close(),
    () => driver.close(),
    () => pair.close(),
  );
  await waitUntil(() => vmc.readerEnabled, 10_000, "reader enabled by C,1");
  return {
    clock,
    host,
    store,
    vmc,
    driver: () => driver,
    /** The agent restarts: a new driver on the same store. */
    restart: async () => {
      await driver.close();
      driver = await open();
    },
    /** The adapter is pulled out and plugged back in (same link names). */
    replug: async (whileOut: () => Promise<void>) => {
      const dir = pair.a.slice(0, pair.a.lastIndexOf("/"));
      await pair.close();
      await waitUntil(() => !driver.stats().linkUp, 10_000, "link down");
      await whileOut();
      pair = await openPtyPair({ dir });
      await vmc.attachSerial(pair.a);
      await waitUntil(() => driver.stats().linkUp, 10_000, "link up again");
    },
  };
}

const waiting = (s: KioskSale) => s.state === "waiting";

describe("MDB cashless over a pty", () => {
  it("vend request → sale with the product's row → paid → C,VEND approve → VEND SUCCESS → delivered", async () => {
    const { host, vmc } = await setup();
    const vend = vmc.select("12", 250);
    const sale = await waitSale(host, waiting, "waiting sale");
    // The key and reference carry the driver's per-start epoch (a restored drivers.sqlite never replays an old sale).
    expect(sale).toMatchObject({ point: 21, amountMinor: 250, currency: "SEK", reference: expect.stringMatching(/^vend-1-vend-[0-9a-f]{10}-1$/), idempotencyKey: expect.stringMatching(/^vend-1:[0-9a-f]{10}:vend-1$/) });
    expect(sale.rows).toEqual([{ itemDescription: "Cola 33 cl", itemQuantity: "1", itemUnitPrice: { currency: "SEK", minor: 250 }, itemTotalAmount: { currency: "SEK", minor: 250 }, itemSKU: "COLA33", itemTaxRate: "12" }]);
    host.pay(sale.saleId);
    await waitSale(host, (s) => s.state === "delivered", "delivered");
    expect(vend).toMatchObject({ state: "dispensed", approvedText: "2.50" });
    expect(vmc.commands.filter((c) => c.startsWith("C,VEND"))).toEqual(["C,VEND,2.50"]);
    expect(host.receipts).toEqual([sale.saleId]);
    expect(host.refunds).toEqual([]);
  });

  it("an item not in the product table gets a generic row", async () => {
    const { host, vmc } = await setup();
    vmc.select("77", 1000);
    const sale = await waitSale(host, waiting, "waiting sale");
    expect(sale.rows[0]).toMatchObject({ itemDescription: "Vending machine (item 77)", itemTotalAmount: { minor: 1000 } });
  });

  it("the machine cannot dispense (VEND 3) → failed → the host refunds the whole amount once", async () => {
    const { host, vmc, driver, store } = await setup();
    vmc.select("12", 250, "fail");
    const sale = await waitSale(host, waiting, "waiting sale");
    host.pay(sale.saleId);
    const refunded = await waitSale(host, (s) => s.state === "refunded", "refunded");
    expect(refunded.release?.result).toEqual({ outcome: "failed", reason: "the machine could not dispense (VEND 3)" });
    expect(host.refunds).toEqual([{ saleId: sale.saleId, amountMinor: 250 }]);
    await driver().idle();
    expect(await store.list("vend/")).toEqual([]);
  });

  it("not paid within the payment timeout → the invoice is cancelled and the vend denied (C,STOP)", async () => {
    const { host, vmc, clock, store } = await setup();
    const vend = vmc.select("12", 250);
    await waitSale(host, waiting, "waiting sale");
    clock.advance(60_000);
    const cancelled = await waitSale(host, (s) => s.state === "cancelled", "cancelled");
    expect(cancelled.cancelReason).toBe("controller");
    await waitUntil(() => vend.state === "denied", 10_000, "denied at the machine");
    expect(vmc.commands).toContain("C,STOP");
    await waitUntil(async () => (await store.list("vend/")).length === 0, 10_000, "record gone");
  });

  it("the customer cancels at the machine → the sale is cancelled; a payment that beat the cancel is refunded, never approved", async () => {
    const { host, vmc } = await setup({ host: { onCancel: (s) => (s.amountMinor === 300 ? "paid" : "cancelled") } });
    vmc.select("12", 250);
    await waitSale(host, waiting, "first sale");
    vmc.customerCancel();
    const first = await waitSale(host, (s) => s.state === "cancelled", "cancelled");
    expect(first.cancelReason).toBe("customer");
    await waitUntil(() => vmc.readerEnabled && !vmc.current, 5000, "machine idle");
    vmc.select("12", 300);
    const second = await waitSale(host, (s) => s.amountMinor === 300 && s.state === "waiting", "second sale");
    vmc.customerCancel();
    const refunded = await waitSale(host, (s) => s.saleId === second.saleId && s.state === "refunded", "refunded after the race");
    expect(refunded.release?.result).toMatchObject({ outcome: "failed" });
    expect(host.refunds).toEqual([{ saleId: second.saleId, amountMinor: 300 }]);
    expect(vmc.commands.filter((c) => c.startsWith("C,VEND"))).toEqual([]);
  });

  it("the machine resets mid-vend after approval → result unknown: alarm, no refund; a reset before payment cancels", async () => {
    const { host, vmc } = await setup();
    vmc.select("12", 250, "hang");
    const sale = await waitSale(host, waiting, "waiting sale");
    host.pay(sale.saleId);
    await waitUntil(() => vmc.current?.state === "approved", 10_000, "approved");
    vmc.reset();
    const unknown = await waitSale(host, (s) => s.state === "attention", "attention");
    expect(unknown).toMatchObject({ attention: "release-unknown", release: { result: { outcome: "unknown" } } });
    expect(host.alarms).toEqual([{ saleId: sale.saleId, code: "release-unknown" }]);
    expect(host.refunds).toEqual([]);

    await waitUntil(() => vmc.readerEnabled && !vmc.current, 5000, "machine up again");
    vmc.select("12", 400);
    const second = await waitSale(host, (s) => s.amountMinor === 400 && s.state === "waiting", "second sale");
    vmc.reset();
    expect((await waitSale(host, (s) => s.saleId === second.saleId && s.state === "cancelled", "cancelled by reset")).cancelReason).toBe("controller");
  });

  it("garbage lines are counted and ignored (an unreadable vend request is denied); the vend goes through", async () => {
    const { host, vmc, driver } = await setup();
    vmc.garbage();
    // Two of the garbage lines are vend requests the driver cannot read: each is denied at once.
    await waitUntil(() => vmc.commands.filter((c) => c === "C,STOP").length === 2, 10_000, "two unreadable vend requests denied");
    vmc.select("12", 250);
    const sale = await waitSale(host, waiting, "waiting sale");
    host.pay(sale.saleId);
    await waitSale(host, (s) => s.state === "delivered", "delivered");
    expect(driver().stats().badLines).toBe(6);
  });

  it("adapter unplugged while the customer pays: the approval goes out when the link is back", async () => {
    const { host, vmc, replug } = await setup();
    const vend = vmc.select("12", 250);
    const sale = await waitSale(host, waiting, "waiting sale");
    await replug(async () => {
      host.pay(sale.saleId);
    });
    await waitSale(host, (s) => s.state === "delivered", "delivered after replug");
    expect(vend.state).toBe("dispensed");
    expect(vmc.commands.filter((c) => c === "C,VEND,2.50")).toHaveLength(1);
  });

  it("the adapter link's state is told at once and at every change: lost with the reason, up again on reconnect (review 11 #3)", async () => {
    const { driver, replug } = await setup();
    const seen: Array<{ up: boolean; detail?: string }> = [];
    const off = driver().onLink((l) => seen.push(l));
    expect(seen).toEqual([{ up: true }]);
    await replug(async () => {
      await waitUntil(() => seen.length >= 2, 10_000, "link-down told");
    });
    await waitUntil(() => seen.at(-1)?.up === true, 10_000, "link-up told");
    off();
    expect(seen[1]).toMatchObject({ up: false, detail: expect.stringMatching(/^MDB adapter link lost.*; reconnecting$/) });
    expect(seen.filter((s) => !s.up)).toHaveLength(1);
  });

  it("agent restart while waiting and while approved: the new driver resumes from the store, approves once, reports once", async () => {
    const { host, vmc, restart, store } = await setup();
    vmc.select("12", 250, "hang");
    const sale = await waitSale(host, waiting, "waiting sale");
    await restart();
    host.pay(sale.saleId);
    await waitUntil(() => vmc.current?.state === "approved", 10_000, "approved by the restarted driver");
    await restart(); // now with the approval out and no result yet
    expect((await store.list("vend/")).map((e) => (e.value as { phase: string }).phase)).toEqual(["approved"]);
    // The machine finally reports (its result line reaches the new driver).
    vmc.finishVend("success");
    await waitSale(host, (s) => s.state === "delivered", "delivered after restarts");
    expect(vmc.commands.filter((c) => c.startsWith("C,VEND"))).toHaveLength(1);
    expect(host.sales()).toHaveLength(1);
  });
});
