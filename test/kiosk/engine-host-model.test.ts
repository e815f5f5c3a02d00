// The kiosk contract's money rules (test/drivers/kiosk/host-model.test.ts checks them on the
// in-memory twin) on the ENGINE-backed host under random sequences of what a controller, the
// customer at Glase and a restart can do: seeded, so a failure replays. The Glase side is the
// simulator's customer (confirm, cancel in the app); money is read from its ledger. At the end
// every sale is driven to rest: released at most once, refunded at most once (exactly what was
// not delivered), never a refund of a delivered or unknown release, final states never change,
// versions in order, one open sale per point, every refusal an AgentError with a contract code.
import { afterEach, describe, expect, it } from "vitest";
import { isAgentError } from "../../base/errors.ts";
import { FINAL_SALE_STATES, type KioskSale, type ReleaseResult } from "../../contracts/kiosk.ts";
import { prng } from "../support/prng.ts";
import { openKioskRig, type KioskRig } from "./engine-host-rig.ts";

const RESULTS: ReleaseResult[] = [
  { outcome: "delivered" },
  { outcome: "failed", reason: "jam" },
  { outcome: "failed", reason: "half", deliveredMinor: 300 },
  { outcome: "unknown", reason: "reset" },
  { outcome: "failed", reason: "bad", deliveredMinor: 99_999 },
];

let rig: KioskRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** End states over all seeds: the campaign must reach each, or it checks nothing. */
const reached = new Map<string, number>();

async function campaign(seed: number): Promise<void> {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  rig = await openKioskRig({ releaseTimeoutMs: 60_000 });
  const k = rig;
  const last = new Map<string, KioskSale>();
  const violations: string[] = [];
  const watch = () =>
    k.host.subscribe(({ sale }) => {
      const prev = last.get(sale.saleId);
      if (prev) {
        if (sale.version <= prev.version) violations.push(`${sale.saleId}: version ${prev.version} → ${sale.version}`);
        if (prev.release && JSON.stringify(prev.release) !== JSON.stringify(sale.release)) violations.push(`release result of ${sale.saleId} changed`);
        if (FINAL_SALE_STATES.has(prev.state) && prev.state !== sale.state) violations.push(`final sale ${sale.saleId} changed ${prev.state} → ${sale.state}`);
      }
      last.set(sale.saleId, sale);
    });
  watch();
  const invoiceOf = (saleId: string) => k.sim.sim.dump().invoices.find((i) => i.invoice.clientInvoiceId === saleId && i.status === "ISSUED");
  for (let step = 0; step < 25; step++) {
    const ids = [...last.keys()];
    const id = ids.length ? pick(ids) : "none";
    const op = pick(["request", "request", "pay", "pay", "cancel", "decline", "release", "release", "restart"] as const);
    try {
      if (op === "request") await k.host.requestSale({ point: 9, amountMinor: pick([500, 1000]), currency: "SEK", reference: `r${step % 5}`, ...(r() < 0.5 ? { idempotencyKey: `k${Math.floor(r() * 4)}` } : {}) });
      else if (op === "pay" || op === "decline") {
        const inv = invoiceOf(id);
        if (inv && op === "pay") k.sim.sim.customerConfirm({ invoiceReference: inv.invoiceReference });
        if (inv && op === "decline") k.sim.sim.customerCancel({ invoiceReference: inv.invoiceReference });
        // Wait for the engine's next poll to see the customer's answer, so what the next step
        // meets does not depend on how loaded the machine is (the campaign replays by seed).
        if (inv) await k.waitSale(id, (x) => x.state !== "waiting" && x.state !== "starting", `${id} to see the customer`, 5_000).catch(() => undefined);
      } else if (op === "cancel") await k.host.cancelSale(id, "customer");
      else if (op === "release") await k.host.reportRelease(id, pick(RESULTS));
      else {
        await k.restart();
        watch();
      }
    } catch (e) {
      if (!(isAgentError(e) && ["INPUT_INVALID", "CONFLICT", "NOT_FOUND"].includes(e.code))) violations.push(`step ${step} ${op}: ${String(e)}`);
    }
    await new Promise((res) => setImmediate(res));
    const sales = await Promise.all(ids.map((x) => k.host.getSale(x)));
    const open = sales.filter((s) => s && ["starting", "waiting", "paid"].includes(s.state));
    if (open.length > 1) violations.push(`step ${step}: ${open.length} open sales on one point`);
  }
  // To rest: cancel what is unpaid, report on what is paid, wait for every sale to settle.
  let restIndex = 0;
  for (const saleId of last.keys()) {
    const rest = (s: KioskSale) => FINAL_SALE_STATES.has(s.state) || s.state === "attention";
    const s = (await k.host.getSale(saleId))!;
    if (s.state === "starting" || s.state === "waiting") await k.host.cancelSale(saleId, "controller").catch(() => undefined);
    const now = await k.waitSale(saleId, (x) => rest(x) || x.state === "paid", `${saleId} to leave waiting`, 20_000);
    // Paid sales left at the end alternate delivered / failed, so both end states are reached
    // whatever the random part did.
    if (now.state === "paid") await k.host.reportRelease(saleId, restIndex++ % 2 === 0 ? { outcome: "delivered" } : { outcome: "failed", reason: "end of test" });
    await k.waitSale(saleId, rest, `${saleId} at rest`, 20_000);
  }
  expect(violations, `seed ${seed}`).toEqual([]);
  const dump = k.sim.sim.dump();
  for (const saleId of last.keys()) {
    const s = (await k.host.getSale(saleId))!;
    reached.set(s.state, (reached.get(s.state) ?? 0) + 1);
    const paid = dump.invoices.filter((i) => i.invoice.clientInvoiceId === saleId && i.status === "PAID");
    const refunds = dump.refunds.filter((x) => paid.some((p) => p.ersReference === x.paymentReference));
    expect(paid.length, `seed ${seed} ${saleId}: PAID invoices`).toBeLessThanOrEqual(1);
    expect(refunds.length, `seed ${seed} ${saleId}: refunds`).toBeLessThanOrEqual(1);
    const res = s.release?.result;
    if (refunds[0]) expect(refunds[0].amountMinor, `seed ${seed} ${saleId}`).toBe(s.amountMinor - (res?.outcome === "failed" ? (res.deliveredMinor ?? 0) : NaN));
    if (s.state === "refunded") expect(refunds, `seed ${seed} ${saleId}`).toHaveLength(1);
    if (res?.outcome !== "failed") expect(refunds, `seed ${seed} ${saleId}: refunded without a failed release`).toHaveLength(0);
    if (paid.length === 1) expect(s.state === "cancelled" || s.state === "starting" || s.state === "waiting", `seed ${seed} ${saleId}: PAID but ${s.state}`).toBe(false);
    else expect(res, `seed ${seed} ${saleId}: released without a payment`).toBeUndefined();
  }
  await k.close();
  rig = undefined;
}

describe("kiosk contract: money rules on the engine-backed host", () => {
  it("hold for random sequences with restarts (Glase's ledger)", async () => {
    for (let seed = 1; seed <= 8; seed++) await campaign(seed);
    // One sale driven to delivered on purpose, so the coverage below never hangs on how the
    // random part fell on a loaded machine (CI saw none delivered twice).
    rig = await openKioskRig({ releaseTimeoutMs: 60_000 });
    const sale = await rig.host.requestSale({ point: 9, amountMinor: 500, currency: "SEK", reference: "sure" });
    const inv = await new Promise<string>((res) => {
      const look = () => {
        const i = rig!.sim.sim.dump().invoices.find((x) => x.invoice.clientInvoiceId === sale.saleId && x.status === "ISSUED");
        if (i) res(i.invoiceReference);
        else setTimeout(look, 50);
      };
      look();
    });
    rig.sim.sim.customerConfirm({ invoiceReference: inv });
    await rig.waitSale(sale.saleId, (x) => x.state === "paid", "the sure sale paid", 20_000);
    await rig.host.reportRelease(sale.saleId, { outcome: "delivered" });
    const done = await rig.waitSale(sale.saleId, (x) => x.state === "delivered", "the sure sale delivered", 20_000);
    reached.set(done.state, (reached.get(done.state) ?? 0) + 1);
    for (const state of ["delivered", "refunded", "cancelled", "attention"]) expect(reached.get(state) ?? 0, `${state} reached (${JSON.stringify([...reached])})`).toBeGreaterThan(0);
  }, 240_000);
});
