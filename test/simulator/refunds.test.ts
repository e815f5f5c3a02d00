// refundPayment (§6.8, §9 A16/A17) and submitPaymentReceipt (§3.9, §6.9).
import { describe, expect, it } from "vitest";
import { parseProvisioning } from "../../simulator/glase/index.ts";
import { invoiceXml, startSim, termCtx } from "./helpers.ts";

type Sim = Awaited<ReturnType<typeof startSim>>;

/** A PAID payment that the POS has read (acknowledged); returns its ersReference. */
async function paid(s: Sim, total = "100.00"): Promise<string> {
  const ref = await s.invoice({ total });
  s.r.sim.customerConfirm({ invoiceReference: ref });
  return (await s.status(ref, 2)).get("ersReference")!;
}

const refund = (s: Sim, ers: string, total: string, opts: Parameters<typeof invoiceXml>[0] = {}) =>
  s.call("refundPayment", termCtx() + `<ersReference>${ers}</ersReference>` + invoiceXml({ total, ...opts }));

describe("refundPayment", () => {
  it("partial refunds up to the original, each with its own ersReference; then 98", async () => {
    const s = await startSim();
    const ers = await paid(s);
    const r1 = await refund(s, ers, "40.00");
    expect(r1.code).toBe(0);
    expect(r1.get("ersReference")).toMatch(/^\d{25}$/);
    expect(r1.get("ersReference")).not.toBe(ers);
    expect((await refund(s, ers, "60.00")).code).toBe(0);
    const over = await refund(s, ers, "0.01");
    expect(over.code).toBe(98);
    expect(over.get("resultDescription")).toBe("Sum of refunds can not be more than original transaction");
    expect(s.r.sim.dump().payments[0]!.refundedMinor).toBe(10000);
    expect(s.r.sim.dump().refunds).toHaveLength(2);
    // the payment stays PAID (§9 A17)
    expect(s.r.sim.dump().invoices[0]!.status).toBe("PAID");
  });

  it("23 for unknown, reversed or another terminal's payment; 48 while PAID is unread", async () => {
    const s = await startSim();
    expect((await refund(s, "2024031510160347301000231", "1.00")).code).toBe(23);
    const ref = await s.invoice();
    const ers = s.r.sim.customerConfirm({ invoiceReference: ref }).ersReference!;
    expect((await refund(s, ers, "1.00")).code).toBe(48);
    s.clock.advance(20_000); // reversed
    expect((await refund(s, ers, "1.00")).code).toBe(23);
    const other = { id: "0460000100001002", password: "2009" };
    const oref = await s.invoice({}, other);
    s.r.sim.customerConfirm({ invoiceReference: oref });
    const oers = (await s.status(oref, 2, other)).get("ersReference")!;
    expect((await refund(s, oers, "1.00")).code).toBe(23);
  });

  it("validates the refund invoice: 11 for ≤ 0, 49 for another currency, 64 for a bad notificationUrl", async () => {
    const s = await startSim();
    const ers = await paid(s);
    expect((await refund(s, ers, "0.00")).code).toBe(11);
    expect((await refund(s, ers, "1.00", { currency: "EUR" })).code).toBe(49);
    expect((await refund(s, ers, "1.00", { notificationUrl: "x" })).code).toBe(64);
  });

  it("97 when the shop may not refund, 99 when the receiver's account provider refuses", async () => {
    const provision = (flags: object) =>
      parseProvisioning({ shops: [{ resellerId: "reseller", password: "2009", ...flags }], terminals: [{ id: "0460000300002010", password: "2009" }] });
    const no = await startSim({ provision: provision({ allowRefunds: false }) });
    expect((await refund(no, await paid(no), "1.00")).code).toBe(97);
    const bank = await startSim({ provision: provision({ receiverAllowsRefunds: false }) });
    expect((await refund(bank, await paid(bank), "1.00")).code).toBe(99);
  });
});

describe("submitPaymentReceipt", () => {
  const submit = (s: Sim, ers: string, doc = "<receiptDocument><mimeType>text/html</mimeType><receiptData>PGh0bWw+PC9odG1sPg==</receiptData><receiptType>PAYMENT_RECEIPT</receiptType></receiptDocument>") =>
    s.call("submitPaymentReceipt", termCtx() + `<ersReference>${ers}</ersReference>` + doc);

  it("attaches documents to a payment or a refund; 23 for an unknown reference; response without ersReference", async () => {
    const s = await startSim();
    const ers = await paid(s);
    const r = await submit(s, ers);
    expect(r.code).toBe(0);
    expect(r.get("ersReference")).toBeUndefined();
    expect((await submit(s, ers, "")).code).toBe(0); // an empty call is accepted (certification)
    const rf = (await refund(s, ers, "5.00")).get("ersReference")!;
    expect((await submit(s, rf)).code).toBe(0);
    expect((await submit(s, "nope")).code).toBe(23);
    const dump = s.r.sim.dump();
    expect(dump.payments[0]!.receipts).toEqual([
      { mimeType: "text/html", receiptType: "PAYMENT_RECEIPT", bytes: 13, at: dump.now },
      { mimeType: undefined, receiptType: undefined, bytes: 0, at: dump.now },
    ]);
    expect(dump.refunds[0]!.receipts).toHaveLength(1);
  });
});
