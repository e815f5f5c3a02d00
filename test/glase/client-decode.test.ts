// How GlaseClient reads answers: the contract's example responses (and variations a real server
// produces) served by a real loopback HTTP server; non-zero result codes become GlaseError.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GlaseClient } from "../../agent/glase/client.ts";
import { GlaseError, isGlaseError } from "../../agent/glase/errors.ts";
import { RESULT_98_DESCRIPTION } from "../../agent/glase/result-codes.ts";
import type { ResellerCredentials, TerminalCredentials } from "../../agent/glase/types.ts";
import { OK, soapResponse, startCannedServer, type CannedServer } from "./canned-server.ts";
import { captureLogger } from "./capture-logger.ts";

const terminal: TerminalCredentials = { terminalId: "5f2b8c1e9a7d4e6f8b3c2a1d0e9f8a7b", password: "Kq7VnX2pLm9RtYs" };
const shop: ResellerCredentials = { resellerId: "demo_shop", userId: "9900", password: "demo-pass" };

let server: CannedServer;
let client: GlaseClient;
const log = captureLogger();

beforeAll(async () => {
  server = await startCannedServer();
  client = await GlaseClient.create({ endpoint: server.endpoint, clientId: "GlaseDaemon 1.0.0", timeoutMs: 10_000, logger: log.logger });
});
afterAll(async () => {
  client.close();
  await server.close();
});

const PAID = `
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <ns2:getPaymentStatusResponse xmlns:ns2="http://external.interfaces.ers.seamless.com/">
      <return>
        <ersReference>2024031510160347301000231</ersReference>
        <resultCode>0</resultCode>
        <resultDescription>SUCCESS</resultDescription>
        <status>PAID</status>
        <receipt>
          <terminalId>5f2b8c1e9a7d4e6f8b3c2a1d0e9f8a7b</terminalId>
          <paymentDate>2024-03-15T10:16:03.473+01:00</paymentDate>
          <clientInvoiceId>R-2024-000917</clientInvoiceId>
          <invoiceReference>20240315101520481</invoiceReference>
          <paymentReference>2024031510160347301000231</paymentReference>
          <payerTerminalId>c0ffee00d15ea5e0000000000000f00d</payerTerminalId>
          <receiverName>Demo Bakery, till 3</receiverName>
          <invoice>
            <paymentMode>IMMEDIATE_DEBIT</paymentMode>
            <acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode>
            <issueDate>2024-03-15T10:15:20+01:00</issueDate>
            <title>Demo Bakery</title>
            <clientInvoiceId>R-2024-000917</clientInvoiceId>
            <invoiceRows>
              <invoiceRow>
                <itemDescription>Diesel</itemDescription>
                <itemQuantity>23.456</itemQuantity>
                <itemTotalAmount><currency>SEK</currency><value>81</value></itemTotalAmount>
              </invoiceRow>
            </invoiceRows>
            <totalAmount>
              <currency>SEK</currency>
              <value>81.00</value>
            </totalAmount>
            <cashierId>Anna</cashierId>
          </invoice>
        </receipt>
        <version>3</version>
      </return>
    </ns2:getPaymentStatusResponse>
  </soap:Body>
</soap:Envelope>`;

describe("response decoding", () => {
  it("reads a PAID status with receipt, exact minor-unit amounts and a numeric version", async () => {
    server.answer({ body: PAID });
    const r = await client.getPaymentStatus(terminal, "20240315101520481", 2);
    expect(r.resultCode).toBe(0);
    expect(r.status).toBe("PAID");
    expect(r.ersReference).toBe("2024031510160347301000231");
    expect(r.version).toBe(3);
    expect(r.customerTokens).toEqual([]);
    expect(r.receipt?.paymentReference).toBe("2024031510160347301000231");
    expect(r.receipt?.paymentDate).toBe("2024-03-15T10:16:03.473+01:00");
    expect(r.receipt?.invoice?.totalAmount).toEqual({ currency: "SEK", minor: 8100 });
    expect(r.receipt?.invoice?.invoiceRows?.[0]).toEqual({
      itemDescription: "Diesel",
      itemQuantity: "23.456",
      itemTotalAmount: { currency: "SEK", minor: 8100 },
    });
    expect(r.clientReference).toMatch(/^[0-9a-f]{32}$/);
  });

  it("turns customerTokens into an array, one token or many", async () => {
    const token = (id: string) => `<token><description>Club</description><id>${id}</id><status>0</status><value>600</value></token>`;
    server.answer(
      { body: soapResponse("getPaymentStatus", `${OK}<status>PENDING_ISSUER_ACKNOWLEDGE</status><customerTokens>${token("A")}</customerTokens><version>2</version>`) },
      { body: soapResponse("getPaymentStatus", `${OK}<status>PENDING_ISSUER_ACKNOWLEDGE</status><customerTokens>${token("A")}${token("B")}</customerTokens><version>2</version>`) },
    );
    const one = await client.getPaymentStatus(terminal, "1", 1);
    expect(one.customerTokens).toEqual([{ description: "Club", id: "A", status: 0, value: "600" }]);
    const two = await client.getPaymentStatus(terminal, "1", 1);
    expect(two.customerTokens.map((t) => t.id)).toEqual(["A", "B"]);
  });

  it("passes unknown status strings through, ignores unknown elements and reads an empty version as 0", async () => {
    server.answer({
      body: soapResponse("getPaymentStatus", `${OK}<status>PARTIALLY_PAID</status><deliveryAddress><street>x</street></deliveryAddress><futureField>1</futureField><version/>`),
    });
    const r = await client.getPaymentStatus(terminal, "1", 0);
    expect(r.status).toBe("PARTIALLY_PAID");
    expect(r.version).toBe(0);
    expect(r).not.toHaveProperty("deliveryAddress");
  });

  it("does not care about envelope prefixes or element order inside return (Metro style, default namespaces)", async () => {
    server.answer({
      body:
        `<?xml version="1.0" ?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>` +
        `<sendInvoiceResponse xmlns="http://external.interfaces.ers.seamless.com/"><return xmlns="">` +
        `<invoiceReference>20240315101520481</invoiceReference><resultDescription>SUCCESS</resultDescription><resultCode>0</resultCode>` +
        `<invoiceQRCode>HTTP://SEQR.SE/R20240315101520481</invoiceQRCode></return></sendInvoiceResponse></S:Body></S:Envelope>`,
    });
    const r = await client.sendInvoice(terminal, { title: "x" });
    expect(r).toMatchObject({ resultCode: 0, invoiceReference: "20240315101520481", invoiceQRCode: "HTTP://SEQR.SE/R20240315101520481" });
  });

  it("reads registerTerminal, markTransactionPeriod and refundPayment results", async () => {
    server.answer({ body: soapResponse("registerTerminal", `${OK}<terminalId>87e791f9e24148a6892c52aa85bb0331</terminalId>`) });
    expect((await client.registerTerminal(shop, "Till 3", "pw-1234", "Till 3")).terminalId).toBe("87e791f9e24148a6892c52aa85bb0331");
    server.answer({ body: soapResponse("markTransactionPeriod", `${OK}<transactionPeriodId>2024031518000012701000077</transactionPeriodId>`) });
    expect((await client.markTransactionPeriod({ type: "TERMINALID", ...terminal })).transactionPeriodId).toBe("2024031518000012701000077");
    server.answer({ body: soapResponse("refundPayment", `<ersReference>2024031609021188201000009</ersReference>${OK}`) });
    expect((await client.refundPayment(terminal, "2024031510160347301000231", { title: "Refund" })).ersReference).toBe("2024031609021188201000009");
  });

  it("reads a report whose contentString is an XML document in CDATA", async () => {
    const doc = `<?xml version="1.0" encoding="UTF-8"?>\n<TerminalTransactionSummary>\n<Row>\n<SalesCount>2</SalesCount>\n</Row>\n</TerminalTransactionSummary>`;
    const b64 = Buffer.from(doc, "utf8").toString("base64");
    server.answer({
      body: soapResponse(
        "executeReport",
        `${OK}<report><title>STD_RECON_006_1.xml</title><mimeType>text/html</mimeType><content>${b64}</content><contentString><![CDATA[${doc}]]></contentString></report>`,
      ),
    });
    const r = await client.executeReport({ type: "RESELLERUSER", ...shop }, "Reconciliation/STD_RECON_006.xml", "en", { transactionPeriodId: "1" });
    expect(r.report.title).toBe("STD_RECON_006_1.xml");
    expect(r.report.mimeType).toBe("text/html");
    expect(Buffer.from(r.report.content!).toString("utf8")).toBe(doc);
    expect(r.report.contentString).toBe(doc);
  });

  it("reads a plain-text contentString as is", async () => {
    server.answer({ body: soapResponse("executeReport", `${OK}<report><title/><mimeType>text/plain</mimeType><contentString>hello world</contentString></report>`) });
    const r = await client.executeReport({ type: "RESELLERUSER", ...shop }, "Reconciliation/Shop.xml", undefined, {});
    expect(r.report.contentString).toBe("hello world");
    expect(r.report.content).toBeUndefined();
  });
});

describe("non-zero result codes", () => {
  it("throws GlaseError with number, name, class and the clientReference", async () => {
    server.answer({ body: soapResponse("cancelInvoice", `<resultCode>95</resultCode><resultDescription>INVOICE_ALREADY_CANCELED</resultDescription>`) });
    const err = await client.cancelInvoice(terminal, "20240315101520481", { clientReference: "tx-000486" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlaseError);
    const g = err as GlaseError;
    expect(g.code).toBe("GLASE_RESULT");
    expect(g.resultCode).toBe(95);
    expect(g.resultName).toBe("INVOICE_ALREADY_CANCELED");
    expect(g.resultClass).toBe("state");
    expect(g.operation).toBe("cancelInvoice");
    expect(g.context.clientReference).toBe("tx-000486");
  });

  it("keys on the number, not the description (98 carries a sentence)", async () => {
    server.answer({ body: soapResponse("refundPayment", `<resultCode>98</resultCode><resultDescription>${RESULT_98_DESCRIPTION}</resultDescription>`) });
    const err = await client.refundPayment(terminal, "e1", { title: "Refund" }).catch((e: unknown) => e);
    expect(isGlaseError(err, 98)).toBe(true);
    expect((err as GlaseError).resultName).toBe("SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION");
  });

  it("treats REPORT_NOT_READY (2) like every other non-zero code", async () => {
    server.answer({ body: soapResponse("executeReport", `<resultCode>2</resultCode><resultDescription>REPORT_NOT_READY</resultDescription>`) });
    const err = await client.executeReport({ type: "RESELLERUSER", ...shop }, "Reconciliation/Shop.xml", "en", {}).catch((e: unknown) => e);
    expect(isGlaseError(err, 2)).toBe(true);
    expect((err as GlaseError).resultClass).toBe("not-ready");
  });

  it("names codes outside the table like the jar does", async () => {
    server.answer({ body: soapResponse("getPaymentStatus", `<resultCode>77</resultCode><version>0</version>`) });
    const err = await client.getPaymentStatus(terminal, "1", 0).catch((e: unknown) => e);
    expect(isGlaseError(err, 77)).toBe(true);
    expect((err as GlaseError).resultName).toBe("UNKNOWN ERSWSResultCode = 77");
  });
});

describe("logging", () => {
  it("logs operation, clientReference, duration and resultCode but never a password", async () => {
    log.lines.length = 0;
    server.answer({ body: soapResponse("registerTerminal", `${OK}<terminalId>t</terminalId>`) });
    await client.registerTerminal(shop, "Till 3", "new-terminal-secret", "Till 3", { clientReference: "adm-000012" });
    server.answer({ body: soapResponse("sendInvoice", `<resultCode>20</resultCode>`) });
    await client.sendInvoice(terminal, { title: "x" }, undefined, { clientReference: "tx-1" }).catch(() => undefined);
    const all = log.lines.join("");
    expect(all).toMatch(/operation=registerTerminal clientReference=adm-000012 durationMs=[\d.]+ resultCode=0/);
    expect(all).toMatch(/operation=sendInvoice clientReference=tx-1 durationMs=[\d.]+ resultCode=20/);
    for (const secret of [shop.password, terminal.password, "new-terminal-secret"]) expect(all).not.toContain(secret);
  });
});
