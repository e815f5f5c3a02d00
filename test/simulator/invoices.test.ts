// Invoice lifecycle (§6.1–§6.6): versions, one open invoice per cash register, validation codes,
// acknowledgement modes (§9 A8/A9), the 20-s reversal, cancellation codes. Time is driven with the
// manual SimClock.
import { describe, expect, it } from "vitest";
import { parseProvisioning } from "../../simulator/glase/index.ts";
import { amount, invoiceXml, startSim, termCtx, TERMINAL } from "./helpers.ts";

describe("lifecycle and version (§6.1, §6.2)", () => {
  it("starts ISSUED at version 1; confirm ⇒ PAID with ersReference, receipt and version 2", async () => {
    const s = await startSim();
    const ref = await s.invoice({ total: "81.00", cashierId: "Anna" });
    const first = await s.status(ref, 0);
    expect([first.get("status"), first.get("version"), first.get("ersReference")]).toEqual(["ISSUED", "1", undefined]);
    const confirm = await s.control("/__sim/customer/confirm", { invoiceReference: ref });
    expect(confirm.status).toBe(200);
    expect(confirm.json.status).toBe("PAID");
    const paid = await s.status(ref, 1);
    expect(paid.get("status")).toBe("PAID");
    expect(paid.get("version")).toBe("2");
    expect(paid.get("ersReference")).toMatch(/^\d{25}$/);
    expect(paid.text).toContain(`<paymentReference>${paid.get("ersReference")}</paymentReference>`);
    expect(paid.text).toContain("<cashierId>Anna</cashierId>");
    expect(paid.text).toMatch(/<receipt><terminalId>0460000300002010<\/terminalId><paymentDate>2024-03-15T10:00:00.000Z<\/paymentDate>/);
    const dump = s.r.sim.dump().invoices[0]!;
    expect(dump).toMatchObject({ invoiceReference: ref, status: "PAID", paidMinor: 8100, totalMinor: 8100, currency: "SEK", reversed: false });
  });

  it("reverses a PAID invoice that is not polled within 20 s (§6.3): CANCELED, reversed, version bumped", async () => {
    const s = await startSim();
    const ref = await s.invoice();
    s.r.sim.customerConfirm({ invoiceReference: ref });
    s.clock.advance(19_999);
    expect(s.r.sim.invoice(ref)!.status).toBe("PAID");
    s.clock.advance(1);
    const inv = s.r.sim.invoice(ref)!;
    expect([inv.status, inv.reversed, inv.version, inv.cancelReason]).toEqual(["CANCELED", true, 3, "reversed"]);
    const late = await s.status(ref, 2);
    expect(late.get("status")).toBe("CANCELED");
    expect(late.get("ersReference")).toBeUndefined();
    expect(s.r.sim.dump().payments[0]!.reversed).toBe(true);
  });

  it("a poll of the PAID status stops the reversal; the deadline is configurable and 0 disables it", async () => {
    const s = await startSim();
    const ref = await s.invoice();
    s.r.sim.customerConfirm({ invoiceReference: ref });
    s.clock.advance(10_000);
    await s.status(ref, 2);
    s.clock.advance(60_000);
    expect(s.r.sim.invoice(ref)!.status).toBe("PAID");

    const fast = await startSim({ settings: { ackTimeoutSeconds: 5 } });
    const r2 = await fast.invoice();
    fast.r.sim.customerConfirm({ invoiceReference: r2 });
    fast.clock.advance(5_000);
    expect(fast.r.sim.invoice(r2)!.status).toBe("CANCELED");

    const never = await startSim({ settings: { ackTimeoutSeconds: 0 } });
    const r3 = await never.invoice();
    never.r.sim.customerConfirm({ invoiceReference: r3 });
    never.clock.advance(3_600_000);
    expect(never.r.sim.invoice(r3)!.status).toBe("PAID");
  });

  it("answers 54 for an unknown reference or another terminal's invoice, with version 0 (§3.5)", async () => {
    const s = await startSim();
    const ref = await s.invoice({}, { id: "0460000100001002", password: "2009" });
    const other = await s.status(ref, 0);
    expect(other.code).toBe(54);
    expect(other.get("version")).toBe("0");
    expect(other.get("status")).toBeUndefined();
    expect((await s.status("20240315000000001")).code).toBe(54);
  });

  it("uses the terminal's latest invoice when invoiceReference is absent (§9 A12)", async () => {
    const s = await startSim();
    const poll = () => s.call("getPaymentStatus", termCtx() + "<invoiceVersion>0</invoiceVersion>");
    expect((await poll()).code).toBe(54);
    await s.invoice();
    const ref2 = await s.invoice({ total: "5.00" });
    s.r.sim.customerConfirm({ invoiceReference: ref2 });
    const r = await poll();
    expect(r.get("status")).toBe("PAID");
    expect(r.text).toContain(`<invoiceReference>${ref2}</invoiceReference>`);
  });
});

describe("one open invoice per cash register (§6.4)", () => {
  it("a new sendInvoice cancels the open one (superseded); webshop terminals keep many", async () => {
    const s = await startSim({
      provision: parseProvisioning({
        terminals: [
          { id: "0460000300002010", password: "2009" },
          { id: "webshop1", password: "secret", cashRegister: false },
        ],
      }),
    });
    const a = await s.invoice();
    const b = await s.invoice();
    expect((await s.status(a, 1)).get("status")).toBe("CANCELED");
    expect(s.r.sim.invoice(a)!.version).toBe(2);
    expect(s.r.sim.invoice(a)!.cancelReason).toBe("superseded");
    expect((await s.status(b)).get("status")).toBe("ISSUED");
    const web = { id: "webshop1", password: "secret" };
    const w1 = await s.invoice({}, web);
    const w2 = await s.invoice({}, web);
    expect((await s.status(w1, 0, web)).get("status")).toBe("ISSUED");
    expect((await s.status(w2, 0, web)).get("status")).toBe("ISSUED");
    expect(s.r.sim.dump().terminals.find((t) => t.terminalId === TERMINAL.id)!.invoiceReferences).toEqual([a, b]);
  });

  it("does not touch a PAID invoice", async () => {
    const s = await startSim();
    const a = await s.invoice();
    s.r.sim.customerConfirm({ invoiceReference: a });
    await s.status(a, 2);
    await s.invoice();
    expect(s.r.sim.invoice(a)!.status).toBe("PAID");
  });
});

describe("sendInvoice / updateInvoice validation (§6.5)", () => {
  const cases: [string, string, number][] = [
    ["wrong currency", invoiceXml({ currency: "EUR" }), 49],
    ["rows do not sum to the total", invoiceXml({ total: "100.00", rows: ["60.00", "30.00"] }), 49],
    ["rows in another currency", `<invoice><acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode><invoiceRows><invoiceRow>${amount("itemTotalAmount", "10.00", "EUR")}</invoiceRow></invoiceRows>${amount("totalAmount", "10.00")}</invoice>`, 49],
    ["more than two decimals", invoiceXml({ total: "10.005" }), 49],
    ["no total", `<invoice><acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode><title>x</title></invoice>`, 49],
    ["total without currency", `<invoice><totalAmount><value>10</value></totalAmount></invoice>`, 49],
    ["no invoice at all", "", 49],
    ["unknown paymentMode", invoiceXml({ mode: "LATER" }), 49],
    ["preliminary amount without timeout", invoiceXml({ mode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT" }), 49],
    ["itemQuantity 0", `<invoice><acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode><invoiceRows><invoiceRow><itemQuantity>0</itemQuantity></invoiceRow></invoiceRows>${amount("totalAmount", "10.00")}</invoice>`, 49],
    ["bad issueDate", invoiceXml({}).replace("2024-03-15T10:15:20", "15/03/2024"), 49],
    ["zero total", invoiceXml({ total: "0.00" }), 11],
    ["negative total", invoiceXml({ total: "-5.00" }), 11],
    ["notificationUrl not http", invoiceXml({ notificationUrl: "ftp://x/y" }), 64],
    ["backURL not http", invoiceXml({ extra: "<backURL>javascript:x</backURL>" }), 49],
  ];
  it.each(cases)("sendInvoice: %s ⇒ %s", async (_name, inv, code) => {
    const s = await startSim();
    expect((await s.call("sendInvoice", termCtx() + inv)).code).toBe(code);
  });

  it("accepts negative rows that balance the total, and rows without itemTotalAmount (§9 A31)", async () => {
    const s = await startSim();
    expect((await s.call("sendInvoice", termCtx() + invoiceXml({ total: "81.00", rows: ["90.00", "-9.00"] }))).code).toBe(0);
    const noTotals = `<invoice><acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode><invoiceRows><invoiceRow><itemDescription>x</itemDescription></invoiceRow></invoiceRows>${amount("totalAmount", "10")}</invoice>`;
    expect((await s.call("sendInvoice", termCtx() + noTotals)).code).toBe(0);
  });

  it("updateInvoice: 54 unknown, validation codes, 48 once paid, 49 once canceled", async () => {
    const s = await startSim();
    const ref = await s.invoice();
    const update = (inv: string, r = ref) => s.call("updateInvoice", termCtx() + `<invoiceReference>${r}</invoiceReference>` + inv);
    expect((await update(invoiceXml(), "123")).code).toBe(54);
    expect((await update(invoiceXml({ total: "0" }))).code).toBe(11);
    expect((await update(invoiceXml({ currency: "NOK" }))).code).toBe(49);
    expect((await update(invoiceXml({ notificationUrl: "mailto:x" }))).code).toBe(64);
    expect((await update(invoiceXml({ total: "90.00" }))).code).toBe(0);
    s.r.sim.customerConfirm({ invoiceReference: ref });
    expect(s.r.sim.invoice(ref)!.paidMinor).toBe(9000);
    expect((await update(invoiceXml())).code).toBe(48);
    const other = await s.invoice();
    await s.call("cancelInvoice", termCtx() + `<invoiceReference>${other}</invoiceReference>`);
    expect((await update(invoiceXml(), other)).code).toBe(49);
    expect(s.r.sim.invoice(ref)!.updateCalls).toBe(5); // every request naming the invoice, whatever its result
  });
});

describe("acknowledgement modes (§5.3, §6.10, §9 A8/A9)", () => {
  it("REQUIRE: scan ⇒ PENDING with the customer's token; polling the latest version acknowledges", async () => {
    const s = await startSim();
    const ref = await s.invoice({ ack: "REQUIRE_ACKNOWLEDGMENT" });
    const scan = await s.control("/__sim/customer/scan", { invoiceReference: ref, tokens: [{ id: "DEMO_CLUB_CARD", value: "6001234500017", description: "Club" }] });
    expect(scan.json).toMatchObject({ status: "PENDING_ISSUER_ACKNOWLEDGE", version: 2 });
    const stale = await s.status(ref, 1);
    expect(stale.get("status")).toBe("PENDING_ISSUER_ACKNOWLEDGE");
    expect(stale.text).toContain("<customerTokens><token><description>Club</description><id>DEMO_CLUB_CARD</id><status>0</status><value>6001234500017</value></token></customerTokens><version>2</version>");
    expect((await s.control("/__sim/customer/confirm", { invoiceReference: ref })).status).toBe(409);
    const ack = await s.status(ref, 2);
    expect([ack.get("status"), ack.get("version")]).toEqual(["ISSUED", "3"]);
    // scanning again without new tokens asks nothing new
    expect(s.r.sim.customerScan({ invoiceReference: ref })).toMatchObject({ status: "ISSUED", version: 3 });
    expect((await s.control("/__sim/customer/confirm", { invoiceReference: ref })).json.status).toBe("PAID");
  });

  it("REQUIRE: updateInvoice acknowledges and the customer pays the updated amount", async () => {
    const s = await startSim();
    const ref = await s.invoice({ ack: "REQUIRE_ACKNOWLEDGMENT", total: "10.00" });
    s.r.sim.customerScan({ invoiceReference: ref, tokens: [{ id: "CARD", value: "1" }] });
    const tokens = "<tokens><id>CARD</id><status>1</status><value>1</value></tokens>";
    const upd = await s.call("updateInvoice", termCtx() + `<invoiceReference>${ref}</invoiceReference>` + invoiceXml({ ack: "REQUIRE_ACKNOWLEDGMENT", total: "9.00" }) + tokens);
    expect(upd.code).toBe(0);
    expect(s.r.sim.invoice(ref)!.status).toBe("ISSUED");
    expect(s.r.sim.invoice(ref)!.merchantTokens).toEqual([{ id: "CARD", status: 1, value: "1", description: undefined }]);
    expect(s.r.sim.customerConfirm({ invoiceReference: ref }).status).toBe("PAID");
    expect(s.r.sim.invoice(ref)!.paidMinor).toBe(900);
  });

  it("OPTIONAL asks only when the customer has tokens; NO_ACKNOWLEDGMENT never (tokens still bump the version)", async () => {
    const s = await startSim();
    const a = await s.invoice({ ack: "OPTIONAL_ACKNOWLEDGMENT" });
    expect(s.r.sim.customerScan({ invoiceReference: a }).status).toBe("ISSUED");
    const b = await s.invoice({ ack: "OPTIONAL_ACKNOWLEDGMENT" });
    expect(s.r.sim.customerScan({ invoiceReference: b, tokens: [{ id: "X" }] }).status).toBe("PENDING_ISSUER_ACKNOWLEDGE");
    const c = await s.invoice({ ack: "NO_ACKNOWLEDGMENT" });
    expect(s.r.sim.customerScan({ invoiceReference: c, tokens: [{ id: "X" }] })).toMatchObject({ status: "ISSUED", version: 2 });
  });

  it("absent acknowledgmentMode means REQUIRE on cashregister-2 but behaves as OPTIONAL on the legacy path", async () => {
    const s = await startSim();
    const ref = await s.invoice({ ack: null });
    expect(s.r.sim.invoice(ref)!.acknowledgmentMode).toBe("REQUIRE_ACKNOWLEDGMENT");
    expect(s.r.sim.customerScan({ invoiceReference: ref }).status).toBe("PENDING_ISSUER_ACKNOWLEDGE");
    // MPaymentFlowSample: REQUIRE_ACKNOWLEDGMENT on the legacy path reaches PAID directly.
    const legacy = await s.call("sendInvoice", termCtx() + invoiceXml({ ack: "REQUIRE_ACKNOWLEDGMENT" }), "/extclientproxy/service");
    const lref = legacy.get("invoiceReference")!;
    expect(s.r.sim.customerConfirm({ invoiceReference: lref }).status).toBe("PAID");
    const polled = await s.call("getPaymentStatus", termCtx() + `<invoiceReference>${lref}</invoiceReference><invoiceVersion>0</invoiceVersion>`, "/extclientproxy/service");
    expect(polled.get("status")).toBe("PAID");
  });

  it("scan by seqrId reaches the terminal's open invoice; unknown ids and tokens are rejected", async () => {
    const s = await startSim({ provision: parseProvisioning({ terminals: [{ id: "0460000300002010", password: "2009", seqrId: "STICKER1" }], tokens: [{ id: "CLUB" }] }) });
    expect((await s.control("/__sim/customer/scan", { seqrId: "STICKER1" })).status).toBe(404);
    const ref = await s.invoice();
    expect((await s.control("/__sim/customer/scan", { seqrId: "STICKER1" })).json.invoiceReference).toBe(ref);
    expect((await s.control("/__sim/customer/scan", { seqrId: "NOPE" })).status).toBe(404);
    const r2 = await s.invoice({ ack: "REQUIRE_ACKNOWLEDGMENT" });
    expect((await s.control("/__sim/customer/scan", { invoiceReference: r2, tokens: [{ id: "OTHER" }] })).status).toBe(400);
    expect((await s.control("/__sim/customer/scan", {})).status).toBe(400);
  });
});

describe("cancellation (§6.6) and the customer's side", () => {
  const cancel = (s: Awaited<ReturnType<typeof startSim>>, ref: string) => s.call("cancelInvoice", termCtx() + `<invoiceReference>${ref}</invoiceReference>`);

  it("0 while open, 95 when already canceled, 50 when paid, 54 unknown", async () => {
    const s = await startSim();
    const a = await s.invoice();
    expect((await cancel(s, a)).code).toBe(0);
    expect(s.r.sim.invoice(a)!).toMatchObject({ status: "CANCELED", version: 2, cancelReason: "merchant" });
    const again = await cancel(s, a);
    expect([again.code, again.get("resultDescription")]).toEqual([95, "INVOICE_ALREADY_CANCELED"]);
    const b = await s.invoice();
    s.r.sim.customerConfirm({ invoiceReference: b });
    expect((await cancel(s, b)).code).toBe(50);
    expect((await cancel(s, "999")).code).toBe(54);
  });

  it("payment in progress (confirm with hold): cancel ⇒ 51, update ⇒ 48, then settle ⇒ PAID", async () => {
    const s = await startSim();
    const ref = await s.invoice();
    const held = await s.control("/__sim/customer/confirm", { invoiceReference: ref, hold: true });
    expect(held.json).toMatchObject({ status: "ISSUED", paymentInProgress: true });
    expect((await cancel(s, ref)).code).toBe(51);
    expect((await s.call("updateInvoice", termCtx() + `<invoiceReference>${ref}</invoiceReference>` + invoiceXml())).code).toBe(48);
    expect((await s.status(ref)).get("status")).toBe("ISSUED");
    expect((await s.control("/__sim/customer/settle", { invoiceReference: ref })).json.status).toBe("PAID");
    expect((await s.control("/__sim/customer/settle", { invoiceReference: ref })).status).toBe(409);
  });

  it("customer cancel ⇒ CANCELED, customer fail ⇒ FAILED (cancel then 95), unknown invoice ⇒ 404", async () => {
    const s = await startSim();
    const a = await s.invoice();
    expect((await s.control("/__sim/customer/cancel", { invoiceReference: a })).json.status).toBe("CANCELED");
    const b = await s.invoice();
    expect((await s.control("/__sim/customer/fail", { invoiceReference: b })).json.status).toBe("FAILED");
    expect((await s.status(b, 1)).get("status")).toBe("FAILED");
    expect((await cancel(s, b)).code).toBe(95);
    expect((await s.control("/__sim/customer/fail", { invoiceReference: "nope" })).status).toBe(404);
    expect((await s.control("/__sim/customer/cancel", { invoiceReference: b })).status).toBe(409);
  });

  it("held payment can fail", async () => {
    const s = await startSim();
    const ref = await s.invoice();
    s.r.sim.customerConfirm({ invoiceReference: ref, hold: true });
    expect(s.r.sim.customerFail({ invoiceReference: ref }).status).toBe("FAILED");
  });
});
