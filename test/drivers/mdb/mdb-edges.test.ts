// Review issue 13 — the MDB cashless driver at its edges, on an in-process fake Qibixx adapter
// (the driver's own MdbConnector seam, drivers/mdb/module.ts `connector`), selling through the
// in-memory reference host on a manual clock.
// (From the issue-13 review's repro tests, findings 2, 6, 7; they failed before the fixes.)
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { InMemoryKioskHost } from "../../../drivers/kiosk/in-memory-host.ts";
import type { MdbConnection, MdbConnector, MdbLinkHandlers } from "../../../drivers/mdb/link.ts";
import { openMdbCashless, type MdbConfig } from "../../../drivers/mdb/module.ts";
import { SimClock } from "../../../simulator/clock.ts";

const logger = createLogger("test.rev13.mdb");

/** A fake adapter: records what the driver writes, injects lines, can be unplugged. */
class FakeAdapter {
  written: string[] = [];
  plugged = true;
  /** Writes of lines starting with this fail (after part of the line may have gone out). */
  failWrites: string | undefined;
  private handlers: MdbLinkHandlers | undefined;
  connector: MdbConnector = async (h) => {
    if (!this.plugged) throw new Error("no device");
    this.handlers = h;
    const conn: MdbConnection = {
      description: "fake",
      write: async (d) => {
        if (this.failWrites !== undefined && d.startsWith(this.failWrites)) throw new Error("write failed");
        this.written.push(d.trim());
      },
      close: async () => void (this.handlers = undefined),
    };
    return conn;
  };
  line(l: string) {
    this.handlers!.onLine(l);
  }
  unplug() {
    this.plugged = false;
    const h = this.handlers;
    this.handlers = undefined;
    h?.onClose(new Error("unplugged"));
  }
}

const base: MdbConfig = { id: "vend-1", link: { kind: "serial", path: "/dev/null" }, point: 21, currency: "SEK", paymentTimeoutMs: 60_000, reconnectInitialMs: 10, reconnectMaxMs: 20 };

async function setup(config: Partial<MdbConfig> = {}) {
  const clock = new SimClock({ manual: true });
  const host = new InMemoryKioskHost({ points: [{ id: 21, currency: "SEK", maxAmountMinor: 50_000 }], scheduler: clock });
  const store = new MemoryDriverStore();
  const adapter = new FakeAdapter();
  const open = () => openMdbCashless({ ...base, ...config }, { host, store, logger, scheduler: clock }, { connector: adapter.connector, openTimeoutMs: 2000 });
  return { clock, host, store, adapter, open };
}

const tick = () => new Promise((r) => setTimeout(r, 30));

describe("issue 13 review: MDB cashless edges", () => {
  it("a vend request the driver cannot read (amount in the other scale) is denied at once, not left hanging", async () => {
    const { adapter, open } = await setup({ amountFormat: "minor" }); // the adapter actually prints decimals
    const driver = await open();
    adapter.line("c,STATUS,ENABLED");
    adapter.line("c,STATUS,VEND,2.50,12"); // a customer selected item 12 and waits at the machine
    await tick();
    await driver.idle();
    // On main: counted as a bad line and ignored (cashless.ts:296-305); the VMC waits for an answer
    // until its own timeout and the customer stands there. A vend request that cannot be served
    // must be denied (C,STOP) and raise an alarm/warning naming the amount format.
    expect(adapter.written).toContain("C,STOP"); // FAILS on main: only ["C,1"]
    await driver.close();
  });

  it("paid while the adapter was unplugged, then the agent restarted and the machine reset: the approval provably never went out → refund, not 'unknown'", async () => {
    const { adapter, host, open } = await setup();
    let driver = await open();
    adapter.line("c,STATUS,ENABLED");
    adapter.line("c,STATUS,VEND,2.50,12");
    await tick();
    await driver.idle();
    const sale = host.sales()[0]!;
    adapter.unplug(); // link lost before the payment comes
    await tick();
    host.pay(sale.saleId); // → approved, C,VEND kept for the link (cashless.ts:250-253) — never written
    await tick();
    await driver.idle();
    expect(adapter.written.filter((l) => l.startsWith("C,VEND"))).toEqual([]);
    await driver.close(); // the agent restarts before the link is back
    adapter.plugged = true;
    driver = await open();
    adapter.line("c,STATUS,INACTIVE"); // the machine was reset meanwhile
    await tick();
    await driver.idle();
    const after = host.sales().find((s) => s.saleId === sale.saleId)!;
    // VendRecord.approveSent exists for exactly this (vend-store.ts:291) but is never written; the
    // driver reports "unknown" → attention, the customer's money is held for a technician although
    // nothing can have been dispensed.
    expect(after.release?.result.outcome).toBe("failed"); // FAILS on main: "unknown"
    await driver.close();
  });

  it("after the driver store is lost (backup restore: backups carry the journal, not drivers.sqlite) a new vend is a new sale", async () => {
    const { adapter, host, open, clock } = await setup();
    let driver = await open();
    adapter.line("c,STATUS,ENABLED");
    adapter.line("c,STATUS,VEND,2.50,12");
    await tick();
    await driver.idle();
    const first = host.sales()[0]!;
    host.pay(first.saleId);
    await tick();
    await driver.idle();
    adapter.line("c,VEND,SUCCESS");
    await tick();
    await driver.idle();
    expect(host.sales()[0]!.state).toBe("delivered");
    await driver.close();
    // Restore on a new box: the journal (all sales, their idempotency keys) comes back, the
    // DriverStore (vend-seq) does not (agent/backup/snapshot.ts:106-117) → vend ids restart at 1 and
    // the key "vend-1:vend-1" (cashless.ts:165-166) is the old sale's.
    const fresh = await setup();
    const driver2 = await openMdbCashless({ ...base }, { host, store: new MemoryDriverStore(), logger, scheduler: clock }, { connector: fresh.adapter.connector, openTimeoutMs: 2000 });
    fresh.adapter.line("c,STATUS,ENABLED");
    fresh.adapter.line("c,STATUS,VEND,2.50,12"); // the next customer, same item
    await tick();
    await driver2.idle();
    // FAILS on main: still 1 sale — requestSale replays the old, delivered one; the driver forgets
    // the vend and neither asks the customer to pay nor denies (no C,STOP): the machine hangs.
    expect(host.sales()).toHaveLength(2);
    await driver2.close();
  });

  it("a vend whose idempotency key answers with a sale that is already over is denied (C,STOP), never silently forgotten", async () => {
    const { adapter, host, store, open } = await setup();
    // An old delivered sale in the journal under the key an old-format record would use.
    const money = { currency: "SEK", minor: 250 };
    const rows = [{ itemDescription: "Vending machine (item 12)", itemQuantity: "1", itemUnitPrice: money, itemTotalAmount: money }];
    const old = await host.requestSale({ point: 21, amountMinor: 250, currency: "SEK", rows, reference: "vend-1-vend-1", idempotencyKey: "vend-1:vend-1" });
    host.pay(old.saleId);
    await host.reportRelease(old.saleId, { outcome: "delivered" });
    // A record of an older version (no key of its own), written just before a crash.
    await store.put("vend/0000000001", { vendId: 1, amountMinor: 250, product: "12", phase: "requesting", at: 0 });
    const driver = await open();
    await tick();
    await driver.idle();
    expect(adapter.written).toContain("C,STOP");
    expect(await store.list("vend/")).toEqual([]);
    expect(host.sales()).toHaveLength(1);
    await driver.close();
  });
});

describe("MDB approval write failures", () => {
  it("a C,VEND write that fails on a live link is not proof that nothing went out: never re-sent, a reset then is 'unknown', not a refund", async () => {
    const { adapter, host, open } = await setup();
    const driver = await open();
    adapter.line("c,STATUS,ENABLED");
    adapter.line("c,STATUS,VEND,2.50,12");
    await tick();
    await driver.idle();
    const sale = host.sales()[0]!;
    adapter.failWrites = "C,VEND";
    host.pay(sale.saleId);
    await tick();
    await driver.idle();
    adapter.failWrites = undefined;
    adapter.line("c,STATUS,INACTIVE");
    await tick();
    await driver.idle();
    expect(adapter.written.filter((l) => l.startsWith("C,VEND"))).toEqual([]);
    expect(host.sales()[0]!.release?.result.outcome).toBe("unknown");
    await driver.close();
  });
});

describe("MDB config defaults", () => {
  it("paymentTimeoutMs defaults to 30 s: shorter than most machines' own approval timeout (30–60 s)", async () => {
    const { mdbConfigSchema } = await import("../../../drivers/mdb/config.ts");
    expect(mdbConfigSchema.parse({ link: { kind: "serial", path: "/dev/null" }, point: 1, currency: "SEK" }).paymentTimeoutMs).toBe(30_000);
  });
});
