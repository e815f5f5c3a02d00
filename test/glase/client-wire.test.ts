// What GlaseClient puts on the wire: captured by a real loopback HTTP server and read back with an
// independent XML parser. Element order is asserted against the schema (contract Appendix A).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GlaseClient } from "../../agent/glase/client.ts";
import { GLASE_NAMESPACE, type Invoice, type TerminalCredentials, type ResellerCredentials } from "../../agent/glase/types.ts";
import { isAgentError } from "../../agent/errors.ts";
import { money } from "../../agent/core/money.ts";
import { OK, soapResponse, startCannedServer, type CannedServer } from "./canned-server.ts";
import { bodyElement, child, names } from "./xml-order.ts";
import { captureLogger } from "./capture-logger.ts";

const terminal: TerminalCredentials = { terminalId: "5f2b8c1e9a7d4e6f8b3c2a1d0e9f8a7b", password: "Kq7VnX2pLm9RtYs" };
const shop: ResellerCredentials = { resellerId: "demo_shop", userId: "9900", password: "demo-pass" };

const CONTEXT_TERMINAL = ["channel", "clientComment", "clientId", "clientReference", "clientRequestTimeout", "initiatorPrincipalId", "password"];
const INVOICE_ORDER = [
  "paymentMode",
  "acknowledgmentMode",
  "issueDate",
  "title",
  "clientInvoiceId",
  "invoiceRows",
  "totalAmount",
  "cashierId",
  "footer",
  "backURL",
  "notificationUrl",
  "commitReservationTimeout",
];
const ROW_ORDER = [
  "itemDescription",
  "itemDiscount",
  "itemEAN",
  "itemQuantity",
  "itemSKU",
  "itemTaxRate",
  "itemTotalAmount",
  "itemUnit",
  "itemUnitPrice",
];

const fullInvoice: Invoice = {
  // Deliberately not in wire order: the encoder must reorder.
  commitReservationTimeout: 3600,
  notificationUrl: "http://pos.example/notify",
  backURL: "http://pos.example/back",
  footer: "Org.nr 556000-0000",
  cashierId: "Anna",
  totalAmount: money("SEK", 8100),
  invoiceRows: [
    {
      itemUnitPrice: money("SEK", 4500),
      itemUnit: "pcs",
      itemTotalAmount: money("SEK", 9000),
      itemTaxRate: "12",
      itemSKU: "BRD-01",
      itemQuantity: "2",
      itemEAN: "7310865004703",
      itemDiscount: money("SEK", 0),
      itemDescription: "Sourdough loaf",
    },
    { itemDescription: "Member discount", itemQuantity: "1", itemTotalAmount: money("SEK", -900) },
  ],
  clientInvoiceId: "R-2024-000917",
  title: "Demo Bakery",
  issueDate: "2024-03-15T10:15:20",
  acknowledgmentMode: "REQUIRE_ACKNOWLEDGMENT",
  paymentMode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
};

let server: CannedServer;
let client: GlaseClient;

beforeAll(async () => {
  server = await startCannedServer();
  client = await GlaseClient.create({ endpoint: server.endpoint, clientId: "GlaseDaemon 1.0.0", clientComment: "till 3", timeoutMs: 10_000, logger: captureLogger().logger });
});
afterAll(async () => {
  client.close();
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

function lastBody(): string {
  const req = server.requests.at(-1);
  if (!req) throw new Error("no request recorded");
  return req.body;
}

describe("request encoding on the wire", () => {
  it("posts SOAP 1.1 with an empty SOAPAction, a qualified wrapper and unqualified children", async () => {
    server.answer({ body: soapResponse("getPaymentStatus", `${OK}<status>ISSUED</status><version>1</version>`) });
    await client.getPaymentStatus(terminal, "20240315101520481", 0);
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("/soap/merchant/cashregister-2");
    expect(req.headers["content-type"]).toMatch(/^text\/xml; charset=utf-8$/i);
    expect(req.headers.soapaction).toBe('""');
    const op = bodyElement(req.body);
    expect(op.local).toBe("getPaymentStatus");
    const prefix = op.name.split(":")[0]!;
    expect(req.body).toContain(`xmlns:${prefix}="${GLASE_NAMESPACE}"`);
    for (const c of op.children) expect(c.name).not.toContain(":");
  });

  it("builds a TERMINALID context in alphabetical order with clientRequestTimeout 0", async () => {
    server.answer({ body: soapResponse("getPaymentStatus", `${OK}<status>ISSUED</status><version>1</version>`) });
    await client.getPaymentStatus(terminal, "20240315101520481", 2);
    const op = bodyElement(lastBody());
    expect(names(op)).toEqual(["context", "invoiceReference", "invoiceVersion"]);
    const ctx = child(op, "context");
    expect(names(ctx)).toEqual(CONTEXT_TERMINAL);
    expect(child(ctx, "channel").text).toBe("WS");
    expect(child(ctx, "clientComment").text).toBe("till 3");
    expect(child(ctx, "clientId").text).toBe("GlaseDaemon 1.0.0");
    expect(child(ctx, "clientRequestTimeout").text).toBe("0");
    expect(child(ctx, "clientReference").text).toMatch(/^[0-9a-f]{32}$/);
    expect(names(child(ctx, "initiatorPrincipalId"))).toEqual(["id", "type"]);
    expect(child(ctx, "initiatorPrincipalId", "id").text).toBe(terminal.terminalId);
    expect(child(ctx, "initiatorPrincipalId", "type").text).toBe("TERMINALID");
    expect(child(ctx, "password").text).toBe(terminal.password);
    expect(child(op, "invoiceVersion").text).toBe("2");
  });

  it("builds a RESELLERUSER context with userId and the jar parameter-map shape", async () => {
    server.answer({ body: soapResponse("markTransactionPeriod", `${OK}<transactionPeriodId>2024031518000012701000077</transactionPeriodId>`) });
    await client.markTransactionPeriod({ type: "RESELLERUSER", ...shop }, { TERMINALID: terminal.terminalId });
    const op = bodyElement(lastBody());
    expect(names(op)).toEqual(["context", "parameters"]);
    const principal = child(op, "context", "initiatorPrincipalId");
    expect(names(principal)).toEqual(["id", "type", "userId"]);
    expect(principal.children.map((c) => c.text)).toEqual(["demo_shop", "RESELLERUSER", "9900"]);
    const entry = child(op, "parameters", "parameter", "entry");
    expect(names(entry)).toEqual(["key", "value"]);
    expect(entry.children.map((c) => c.text)).toEqual(["TERMINALID", terminal.terminalId]);
  });

  it("omits <parameters> entirely when there are none", async () => {
    server.answer({ body: soapResponse("markTransactionPeriod", `${OK}<transactionPeriodId>1</transactionPeriodId>`) });
    await client.markTransactionPeriod({ type: "RESELLERUSER", ...shop });
    expect(names(bodyElement(lastBody()))).toEqual(["context"]);
  });

  it("emits the invoice, rows and amounts in schema order with #.## amounts and repeated tokens", async () => {
    server.answer({ body: soapResponse("sendInvoice", `${OK}<invoiceQRCode>HTTP://SEQR.SE/R1</invoiceQRCode><invoiceReference>1</invoiceReference>`) });
    await client.sendInvoice(terminal, fullInvoice, [
      { value: "6001234500017", status: 1, id: "DEMO_CLUB_CARD", description: "Demo Bakery Club" },
      { id: "OTHER", status: 99 },
    ]);
    const op = bodyElement(lastBody());
    expect(names(op)).toEqual(["context", "invoice", "tokens", "tokens"]);
    const inv = child(op, "invoice");
    expect(names(inv)).toEqual(INVOICE_ORDER);
    expect(child(inv, "commitReservationTimeout").text).toBe("3600");
    const rows = child(inv, "invoiceRows").children;
    expect(rows.map((r) => r.name)).toEqual(["invoiceRow", "invoiceRow"]);
    expect(names(rows[0]!)).toEqual(ROW_ORDER);
    expect(names(rows[1]!)).toEqual(["itemDescription", "itemQuantity", "itemTotalAmount"]);
    expect(names(child(rows[0]!, "itemTotalAmount"))).toEqual(["currency", "value"]);
    expect(child(rows[0]!, "itemTotalAmount", "value").text).toBe("90.00");
    expect(child(rows[0]!, "itemDiscount", "value").text).toBe("0.00");
    expect(child(rows[1]!, "itemTotalAmount", "value").text).toBe("-9.00");
    expect(child(inv, "totalAmount", "value").text).toBe("81.00");
    const tokens = op.children.filter((c) => c.local === "tokens");
    expect(names(tokens[0]!)).toEqual(["description", "id", "status", "value"]);
    expect(child(tokens[0]!, "status").text).toBe("1");
    expect(names(tokens[1]!)).toEqual(["id", "status"]);
  });

  it("always sends paymentMode and acknowledgmentMode (defaults IMMEDIATE_DEBIT / NO_ACKNOWLEDGMENT)", async () => {
    server.answer({ body: soapResponse("sendInvoice", `${OK}<invoiceReference>1</invoiceReference>`) });
    await client.sendInvoice(terminal, { title: "Pump 3", totalAmount: money("SEK", 41250) });
    const inv = child(bodyElement(lastBody()), "invoice");
    expect(names(inv)).toEqual(["paymentMode", "acknowledgmentMode", "title", "totalAmount"]);
    expect(child(inv, "paymentMode").text).toBe("IMMEDIATE_DEBIT");
    expect(child(inv, "acknowledgmentMode").text).toBe("NO_ACKNOWLEDGMENT");
    expect(child(inv, "totalAmount", "value").text).toBe("412.50");
  });

  it("orders every operation's children as Appendix A says", async () => {
    const inv: Invoice = { title: "T", totalAmount: money("SEK", 100) };
    const cases: Array<[string, () => Promise<unknown>, string[], string]> = [
      ["registerTerminal", () => client.registerTerminal(shop, "Store 7/Till 3", "pw-1234", "Till 3"), ["context", "externalTerminalId", "password", "name"], "<terminalId>t</terminalId>"],
      ["assignSeqrId", () => client.assignSeqrId(terminal, "glasedemo000123"), ["context", "seqrId"], ""],
      ["unregisterTerminal", () => client.unregisterTerminal(terminal), ["context"], ""],
      ["updateInvoice", () => client.updateInvoice(terminal, "20240315101520481", inv, [{ id: "A", status: 1 }]), ["context", "invoiceReference", "invoice", "tokens"], ""],
      ["cancelInvoice", () => client.cancelInvoice(terminal, "20240315101520481"), ["context", "invoiceReference"], ""],
      ["commitReservation", () => client.commitReservation(terminal, "20240315113000112", money("SEK", 41250)), ["context", "amount", "invoiceReference"], ""],
      ["submitPaymentReceipt", () => client.submitPaymentReceipt(terminal, "2024031510160347301000231", { mimeType: "text/html", receiptData: new TextEncoder().encode("<html><body>Kvitto</body></html>"), receiptType: "PAYMENT_RECEIPT" }), ["context", "ersReference", "receiptDocument"], ""],
      ["refundPayment", () => client.refundPayment(terminal, "2024031510160347301000231", inv), ["context", "ersReference", "invoice"], "<ersReference>r</ersReference>"],
      ["executeReport", () => client.executeReport({ type: "RESELLERUSER", ...shop }, "Reconciliation/STD_RECON_006.xml", "en", { transactionPeriodId: "p", TERMINALID: "t" }), ["context", "reportId", "language", "parameters"], "<report><title>x</title></report>"],
      ["benchmarkingNop", () => client.benchmarkingNop(), [], ""],
    ];
    for (const [operation, call, expected, extra] of cases) {
      server.answer({ body: soapResponse(operation, `${OK}${extra}`) });
      await call();
      const op = bodyElement(lastBody());
      expect(op.local, operation).toBe(operation);
      expect(names(op), operation).toEqual(expected);
    }
  });

  it("commits with the final amount before the reference, or without amount when none is given", async () => {
    server.answer({ body: soapResponse("commitReservation", OK) });
    await client.commitReservation(terminal, "20240315113000112", money("SEK", 41250));
    const op = bodyElement(lastBody());
    expect(child(op, "amount", "value").text).toBe("412.50");
    expect(child(op, "amount", "currency").text).toBe("SEK");
    await client.commitReservation(terminal, "20240315113000112");
    expect(names(bodyElement(lastBody()))).toEqual(["context", "invoiceReference"]);
  });

  it("sends receipt bytes as base64 and the receipt document fields in order", async () => {
    server.answer({ body: soapResponse("submitPaymentReceipt", OK) });
    await client.submitPaymentReceipt(terminal, "e1", { mimeType: "text/html", receiptData: new TextEncoder().encode("<html><body>Kvitto</body></html>"), receiptType: "PAYMENT_RECEIPT" });
    const doc = child(bodyElement(lastBody()), "receiptDocument");
    expect(names(doc)).toEqual(["mimeType", "receiptData", "receiptType"]);
    expect(child(doc, "receiptData").text).toBe("PGh0bWw+PGJvZHk+S3ZpdHRvPC9ib2R5PjwvaHRtbD4=");
  });

  it("omits invoiceReference when polling the terminal's current invoice", async () => {
    server.answer({ body: soapResponse("getPaymentStatus", `${OK}<status>ISSUED</status><version>1</version>`) });
    await client.getPaymentStatus(terminal, undefined, 0);
    expect(names(bodyElement(lastBody()))).toEqual(["context", "invoiceVersion"]);
  });

  it("escapes XML special characters in text", async () => {
    server.answer({ body: soapResponse("sendInvoice", `${OK}<invoiceReference>1</invoiceReference>`) });
    await client.sendInvoice(terminal, { title: `Fish & "Chips" <deluxe>`, totalAmount: money("SEK", 100) });
    expect(lastBody()).toContain("<title>Fish &amp; ");
    expect(child(bodyElement(lastBody()), "invoice", "title").text).toBe(`Fish & "Chips" <deluxe>`);
  });

  it("uses a fresh clientReference per call, or exactly the one the caller journaled", async () => {
    server.answer({ body: soapResponse("cancelInvoice", OK) });
    const a = await client.cancelInvoice(terminal, "1");
    const b = await client.cancelInvoice(terminal, "1");
    const c = await client.cancelInvoice(terminal, "1", { clientReference: "tx-000486" });
    const sent = server.requests.map((r) => child(bodyElement(r.body), "context", "clientReference").text);
    expect(sent[0]).not.toBe(sent[1]);
    expect(sent[2]).toBe("tx-000486");
    expect([a.clientReference, b.clientReference, c.clientReference]).toEqual(sent);
  });

  it("rejects bad input before anything is sent", async () => {
    const attempts: Array<() => Promise<unknown>> = [
      () => client.cancelInvoice(terminal, "1", { clientReference: "x".repeat(33) }),
      () => client.getPaymentStatus(terminal, "1", 1.5),
      () => client.sendInvoice(terminal, { totalAmount: { currency: "SEK", minor: 1.5 } }),
      () => client.sendInvoice(terminal, { commitReservationTimeout: -1 }),
    ];
    for (const attempt of attempts) {
      const err = await attempt().catch((e: unknown) => e);
      expect(isAgentError(err, "INPUT_INVALID")).toBe(true);
    }
    expect(server.requests).toHaveLength(0);
  });
});
