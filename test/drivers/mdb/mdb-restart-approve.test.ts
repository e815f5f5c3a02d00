// Review issue 13 — the MDB cashless driver at its edges, on an in-process fake Qibixx adapter
// (the driver's own MdbConnector seam, drivers/mdb/module.ts `connector`), selling through the
// in-memory reference host on a manual clock.
// From review 2 of issue 13, finding 1.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../base/log.ts";
import { MemoryDriverStore } from "../../../contracts/driver-store.ts";
import { InMemoryKioskHost } from "../../../drivers/kiosk/in-memory-host.ts";
import type { MdbConnection, MdbConnector, MdbLinkHandlers } from "../../../drivers/mdb/link.ts";
import { openMdbCashless, type MdbConfig } from "../../../drivers/mdb/module.ts";
import { SimClock } from "../../../simulator/clock.ts";

const logger = createLogger("test.rv13b.mdb");

/** A fake adapter: records what the driver writes, injects lines, can be unplugged. */
class FakeAdapter {
  written: string[] = [];
  plugged = true;
  private handlers: MdbLinkHandlers | undefined;
  connector: MdbConnector = async (h) => {
    if (!this.plugged) throw new Error("no device");
    this.handlers = h;
    const conn: MdbConnection = {
      description: "fake",
      write: async (d) => void this.written.push(d.trim()),
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
describe("review 2: MDB approval after a restart", () => {
  it("a vend paid while the agent was down, restarted after the payment deadline: no C,VEND for it (the machine serves another customer now) — deny, refund", async () => {
    const { adapter, host, open, clock } = await setup({ paymentTimeoutMs: 30_000 });
    let driver = await open();
    adapter.line("c,STATUS,ENABLED");
    adapter.line("c,STATUS,VEND,250,12"); // customer A selects item 12
    await tick();
    await driver.idle();
    const sale = host.sales()[0]!;
    // The agent dies (upgrade, OOM) with the vend `waiting`; the vend store and the host's journal survive.
    await driver.close();
    host.pay(sale.saleId); // A paid on the phone while the agent was down; A gives up and walks away
    clock.advance(60_000); // the agent is back a minute later — past the 30 s payment deadline (the VMC gave up), before the 120 s release deadline
    adapter.written = [];
    driver = await open();
    adapter.line("c,STATUS,VEND,250,14"); // customer B, now at the machine, selects item 14 at the same price
    await tick();
    await driver.idle();
    const approvalsBeforeB = adapter.written.filter((l) => l.startsWith("C,VEND"));
    // FAILS: ["C,VEND,250"] — A's stale approval goes out at link-up (cashless.ts resume → onSaleState
    // paid → approve, no deadline check), while B's vend is pending: the machine vends B's item on A's money.
    expect(approvalsBeforeB, `written: ${JSON.stringify(adapter.written)}`).toEqual([]);
    // A's sale is given up: reported failed → the host refunds the whole amount once.
    const a = host.sales().find((s) => s.saleId === sale.saleId)!;
    expect(a.release?.result.outcome).toBe("failed");
    expect(["refunding", "refunded"]).toContain(a.state);
    await driver.close();
  });
});
