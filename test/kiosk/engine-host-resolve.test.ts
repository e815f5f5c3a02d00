// A technician settles a kiosk sale whose release result never came (issue 13): before, the sale sat
// in `attention` with its POS flow waiting, the point refused every new sale, and no command moved
// it. resolveSale journals the decision (who, when), then carries it out: delivered → receipt, no
// refund; failed → one refund of what was not delivered (Glase's ledger), also across a restart.
// The point then takes a new sale; a result the kiosk reports afterwards is refused (CONFLICT).
import { afterEach, describe, expect, it } from "vitest";
import type { KioskSale } from "../../contracts/kiosk.ts";
import { isAgentError } from "../../base/errors.ts";
import { openKioskRig, type KioskRig } from "./engine-host-rig.ts";

let rig: KioskRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const req = (reference: string) => ({ point: 9, amountMinor: 4500, currency: "SEK", reference });
const conflictOf = (e: unknown) => (isAgentError(e, "CONFLICT") ? (e.context as { conflict: string }).conflict : String(e));

async function missing(r: KioskRig): Promise<KioskSale> {
  const s = await r.host.requestSale(req("wash-1"));
  return r.waitSale(s.saleId, (x) => x.state === "attention", "attention (release result missing)");
}

/** The POS flow of the settled sale ends: the point is free again. */
async function pointFree(r: KioskRig): Promise<void> {
  for (let i = 0; i < 250 && r.station.engine.snapshot().points.find((p) => p.point === 9)?.flowId !== undefined; i++) await new Promise((res) => setTimeout(res, 20));
}

describe("technician settles a kiosk sale in attention", () => {
  it("failed (2000 delivered): journaled with who, refund of the rest once, the point sells again, a late kiosk result is refused", async () => {
    rig = await openKioskRig({ autoPayMs: 100, releaseTimeoutMs: 300 });
    const a = await missing(rig);
    await expect(rig.host.requestSale(req("wash-2"))).rejects.toSatisfy((e) => conflictOf(e) === "point-busy");
    const r = await rig.host.resolveSale(a.saleId, { outcome: "failed", deliveredMinor: 2000 }, "uid 0 (alice)");
    expect(r).toMatchObject({ state: "refunding", refund: { amountMinor: 2500 } });
    await rig.waitSale(a.saleId, (s) => s.state === "refunded", "refunded");
    expect(rig.refundsOf(a.ersReference!).map((x) => x.amountMinor)).toEqual([2500]);
    const rows = await rig.station.journal.tail(50);
    expect(rows.some((x) => x.flowId === `S-${a.saleId}` && JSON.stringify(x.input).includes("alice"))).toBe(true);
    await expect(rig.host.reportRelease(a.saleId, { outcome: "delivered" })).rejects.toSatisfy((e) => conflictOf(e) === "not-releasable");
    await expect(rig.host.resolveSale(a.saleId, { outcome: "delivered" }, "bob")).rejects.toSatisfy((e) => conflictOf(e) === "not-releasable");
    await pointFree(rig);
    const next = await rig.host.requestSale(req("wash-2"));
    expect(next.saleId).not.toBe(a.saleId);
  });

  it("delivered: no refund, the receipt printed, the point sells again", async () => {
    rig = await openKioskRig({ autoPayMs: 100, releaseTimeoutMs: 300 });
    const a = await missing(rig);
    expect(await rig.host.resolveSale(a.saleId, { outcome: "delivered" }, "alice")).toMatchObject({ state: "delivered" });
    await pointFree(rig);
    expect((await rig.station.engine.receipts()).map((x) => x.content.ersReference)).toEqual([a.ersReference]);
    expect(rig.refundsOf(a.ersReference!)).toEqual([]);
    await rig.host.requestSale(req("wash-2"));
  });

  it("a restart right after the decision refunds exactly once; a bad delivered amount is refused naming the field", async () => {
    rig = await openKioskRig({ autoPayMs: 100, releaseTimeoutMs: 300 });
    const a = await missing(rig);
    await expect(rig.host.resolveSale(a.saleId, { outcome: "failed", deliveredMinor: 4500 }, "alice")).rejects.toSatisfy(
      (e) => isAgentError(e, "INPUT_INVALID") && (e.context as { field: string }).field === "deliveredMinor",
    );
    await rig.host.resolveSale(a.saleId, { outcome: "failed" }, "alice");
    await rig.restart();
    await rig.waitSale(a.saleId, (s) => s.state === "refunded", "refunded after restart");
    expect(rig.refundsOf(a.ersReference!).map((x) => x.amountMinor)).toEqual([4500]);
  });

  it("delivered with a partial amount (deliveredMinor) is refused naming the field, not settled as a full delivery (review 2 #7)", async () => {
    rig = await openKioskRig({ autoPayMs: 100, releaseTimeoutMs: 300 });
    const a = await missing(rig);
    await expect(rig.host.resolveSale(a.saleId, { outcome: "delivered", deliveredMinor: 300 }, "alice")).rejects.toSatisfy(
      (e) => isAgentError(e, "INPUT_INVALID") && (e.context as { field: string }).field === "deliveredMinor",
    );
    expect((await rig.host.getSale(a.saleId))?.state).toBe("attention");
  });
});
