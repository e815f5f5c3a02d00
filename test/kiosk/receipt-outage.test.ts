// Review 2 of issue 13 — the Glase receipt of a delivered kiosk sale across a Glase outage.
// (review 2 of issue 13, finding 5: a Glase outage of minutes must not lose the receipt)
import { describe, expect, it } from "vitest";
import { SimClock } from "../../simulator/clock.ts";
import { createLogger } from "../../base/log.ts";
import { SaleReceipts, type ReceiptSubmission } from "../../agent/kiosk/sale-receipt.ts";
import type { KioskSale } from "../../contracts/kiosk.ts";

describe("review 2: receipt submission vs a network outage", () => {
  it("a 2-minute Glase outage (connection refused) does not end the delivered sale's receipt as `failed` for good", async () => {
    const clock = new SimClock({ manual: true });
    let down = true;
    const sends: number[] = [];
    const receipts = new SaleReceipts({
      submit: async () => (sends.push(clock.now()), down ? { kind: "transport", indefinite: false } : { kind: "ok" }) as never,
      scheduler: clock,
      logger: createLogger("test.rv13b.receipt"),
    });
    let r: ReceiptSubmission = { state: "due", attempt: 1, sends: 0, content: {} as never };
    const sale = { saleId: "K9-x", point: 9, ersReference: "E1" } as unknown as KioskSale;
    receipts.run({ saleId: "K9-x", current: () => r, sale: () => sale, journal: async (next) => void (r = next) });
    const t0 = clock.now();
    for (let i = 0; i < 120 && clock.now() - t0 < 120_000; i++) {
      await new Promise((res) => setImmediate(res));
      clock.advance(1000);
    }
    down = false;
    for (let i = 0; i < 120; i++) {
      await new Promise((res) => setImmediate(res));
      clock.advance(1000);
    }
    receipts.close();
    // FAILS: 5 tries within ~30 s (2+4+8+16 s apart), then `failed` — final, no alarm, no command to send it again.
    expect(r.state, `sends at ${sends.map((t) => (t - t0) / 1000).join(", ")} s`).toBe("done");
  });

  it("Glase down for good: backoff capped at 1 h, given up after 24 h from the first send with the alarm hook (failed, not pending)", async () => {
    const clock = new SimClock({ manual: true });
    const sends: number[] = [];
    const gaveUp: string[] = [];
    const receipts = new SaleReceipts({
      submit: async () => (sends.push(clock.now()), { kind: "transport", indefinite: true }) as never,
      scheduler: clock,
      logger: createLogger("test.receipt"),
      onGiveUp: (saleId, why) => void gaveUp.push(`${saleId}: ${why}`),
    });
    let r: ReceiptSubmission = { state: "due", attempt: 1, sends: 0, content: {} as never };
    const sale = { saleId: "K9-y", point: 9, ersReference: "E2" } as unknown as KioskSale;
    receipts.run({ saleId: "K9-y", current: () => r, sale: () => sale, journal: async (next) => void (r = next) });
    const t0 = clock.now();
    for (let i = 0; i < 2000 && r.state !== "failed"; i++) {
      await new Promise((res) => setImmediate(res));
      clock.advance(60_000);
    }
    receipts.close();
    expect(r.state).toBe("failed");
    const gaps = sends.slice(1).map((t, i) => t - sends[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(60 * 60_000 + 60_000);
    expect(sends.at(-1)! - t0).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(sends.at(-1)! - t0).toBeLessThan(26 * 3_600_000);
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toContain("K9-y");
  });
});
