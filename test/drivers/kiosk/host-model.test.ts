// The kiosk contract's money rules, checked on the reference host under random sequences of
// everything a controller and Glase can do (seeded, so a failure replays): a sale is released
// at most once, refunded at most once, never both delivered and refunded, refunds exactly what
// was not delivered; final states never change; one open sale per point; events come in version
// order; every refusal is an AgentError with a contract code.
import { describe, expect, it } from "vitest";
import { isAgentError } from "../../../agent/errors.ts";
import { FINAL_SALE_STATES, type KioskSale, type ReleaseResult } from "../../../drivers/kiosk/contract.ts";
import { InMemoryKioskHost } from "../../../drivers/kiosk/in-memory-host.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { prng } from "../../support/prng.ts";

const RESULTS: ReleaseResult[] = [
  { outcome: "delivered" },
  { outcome: "failed", reason: "jam" },
  { outcome: "failed", reason: "half", deliveredMinor: 300 },
  { outcome: "unknown", reason: "reset" },
  { outcome: "failed", reason: "bad", deliveredMinor: 99_999 },
];

async function campaign(seed: number): Promise<void> {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const clock = new SimClock({ manual: true, start: 1_000_000 });
  const host = new InMemoryKioskHost({
    points: [{ id: 7, currency: "SEK" }, { id: 8, currency: "SEK" }],
    scheduler: clock,
    releaseTimeoutMs: 5_000,
    autoOpen: r() < 0.5,
    onCancel: () => (r() < 0.3 ? "paid" : "cancelled"),
    refundAccepted: () => r() < 0.9,
  });
  const last = new Map<string, KioskSale>();
  const violations: string[] = []; // the host catches listener errors, so they are collected
  host.subscribe(({ sale }) => {
    const prev = last.get(sale.saleId);
    if (prev) {
      if (sale.version !== prev.version + 1) violations.push(`version ${prev.version} → ${sale.version}`);
      if (prev.release && JSON.stringify(prev.release) !== JSON.stringify(sale.release)) violations.push(`release result of ${sale.saleId} changed`);
      if (FINAL_SALE_STATES.has(prev.state)) violations.push(`final sale ${sale.saleId} changed ${prev.state} → ${sale.state}`);
    }
    last.set(sale.saleId, sale);
  });
  for (let step = 0; step < 80; step++) {
    const ids = host.sales().map((s) => s.saleId);
    const id = ids.length ? pick(ids) : "none";
    const op = pick(["request", "request", "open", "pay", "pay", "cancel", "expire", "release", "release", "advance"] as const);
    try {
      if (op === "request") await host.requestSale({ point: pick([7, 8]), amountMinor: pick([500, 1000]), currency: "SEK", reference: `r${step % 5}`, ...(r() < 0.5 ? { idempotencyKey: `k${Math.floor(r() * 6)}` } : {}) });
      else if (op === "open") host.openInvoice(id);
      else if (op === "pay") host.pay(id);
      else if (op === "cancel") await host.cancelSale(id, "customer");
      else if (op === "expire") host.expire(id);
      else if (op === "release") await host.reportRelease(id, pick(RESULTS));
      else clock.advance(pick([100, 2_000, 6_000]));
    } catch (e) {
      expect(isAgentError(e) && ["INPUT_INVALID", "CONFLICT", "NOT_FOUND"].includes(e.code), `seed ${seed} step ${step} ${op}: ${String(e)}`).toBe(true);
    }
    await new Promise((res) => setImmediate(res));
    const open = host.sales().filter((s) => ["starting", "waiting", "paid"].includes(s.state));
    expect(new Set(open.map((s) => s.point)).size, `seed ${seed}: one open sale per point`).toBe(open.length);
  }
  expect(violations, `seed ${seed}`).toEqual([]);
  for (const s of host.sales()) {
    const refunds = host.refunds.filter((x) => x.saleId === s.saleId);
    const receipts = host.receipts.filter((x) => x === s.saleId);
    expect(refunds.length, `seed ${seed} ${s.saleId}: refunds`).toBeLessThanOrEqual(1);
    expect(receipts.length + refunds.length, `seed ${seed} ${s.saleId}: released and refunded`).toBeLessThanOrEqual(1);
    if (refunds[0]) {
      const res = s.release!.result;
      expect(res.outcome).toBe("failed");
      expect(refunds[0].amountMinor).toBe(s.amountMinor - (res.outcome === "failed" ? (res.deliveredMinor ?? 0) : 0));
    }
    if (s.state === "refunded") expect(refunds).toHaveLength(1);
    if (s.state === "delivered") expect(receipts).toHaveLength(1);
    if (s.release?.result.outcome === "unknown") expect(refunds).toHaveLength(0);
  }
}

describe("kiosk contract: money rules on the reference host", () => {
  it("hold for 200 random sequences", async () => {
    for (let seed = 1; seed <= 200; seed++) await campaign(seed);
  });
});
