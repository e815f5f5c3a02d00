// The simulated car-wash app against the real Kiosk API and the reference host, with customers
// who pay and washes that sometimes fail: every payment ends delivered (one receipt) or refunded
// (one refund of what was not delivered), never both — for a few seeds.
import { describe, expect, it } from "vitest";
import { VirtualKioskApp } from "../../../simulator/devices/virtual-kiosk-app.ts";
import { prng } from "../../support/prng.ts";
import { TOKEN, startApi } from "./helpers.ts";
import { waitUntil } from "../dispenser/helpers.ts";

describe("virtual kiosk app ↔ Kiosk API", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 12 customers, ~40 % failed washes → refunded once each, the rest delivered`, async () => {
      const { host, api } = await startApi();
      host.subscribe((e) => e.sale.state === "waiting" && queueMicrotask(() => host.pay(e.sale.saleId))); // the customer scans and pays
      const shown: string[] = [];
      const app = new VirtualKioskApp({
        socketPath: api.socketPath,
        token: TOKEN,
        point: 7,
        currency: "SEK",
        products: [
          { description: "Basic wash", amountMinor: 9900 },
          { description: "Premium wash", amountMinor: 14_900 },
        ],
        failShare: 0.4,
        random: prng(seed),
        pollMs: 5,
        onDisplay: (text) => shown.push(text),
      });
      for (let i = 0; i < 12; i++) await app.buy();
      const sales = host.sales();
      expect(sales).toHaveLength(12);
      for (const s of sales) {
        expect(["delivered", "refunded"]).toContain(s.state);
        const refunds = host.refunds.filter((r) => r.saleId === s.saleId);
        const receipts = host.receipts.filter((r) => r === s.saleId);
        expect(refunds.length + receipts.length, s.saleId).toBe(1);
        if (s.release?.result.outcome === "failed") expect(refunds[0]!.amountMinor).toBe(s.amountMinor - (s.release.result.deliveredMinor ?? 0));
      }
      expect(host.refunds.length).toBeGreaterThan(0);
      expect(host.receipts.length).toBeGreaterThan(0);
      expect(shown).toContain("Pay with Glase: scan the sticker GL-7 on this machine");
      const again = await app.find(sales[0]!.reference);
      expect(again?.id).toBe(sales[0]!.saleId);
    });
  }

  // npm start's Ctrl-C: the app's pause between customers (pauseS, 15–20 s) was a bare timer that
  // stop() did not end — it held the stopped daemon's exit for its rest (9–17 s measured).
  it("run() ends at stop() even in the middle of its pause between customers", async () => {
    const { host, api } = await startApi();
    host.subscribe((e) => e.sale.state === "waiting" && queueMicrotask(() => host.pay(e.sale.saleId)));
    const app = new VirtualKioskApp({ socketPath: api.socketPath, token: TOKEN, point: 7, currency: "SEK", products: [{ description: "Basic wash", amountMinor: 9900 }], pollMs: 5 });
    const running = app.run(3_600_000); // an hour's pause after the first customer
    await waitUntil(() => app.completed.length === 1, 4_000, "the first customer served");
    app.stop();
    await running; // before: an hour later
    expect(app.completed).toHaveLength(1);
  }, 5_000);
});
