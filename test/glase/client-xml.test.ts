// The client serialises request bodies itself (agent/glase/client-xml.ts) instead of through
// soap's schema-driven objectToXML. This proves the two produce the same bytes for every
// operation, so the shortcut changes speed, not the wire.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "soap";
import { createSoapClient } from "../../agent/glase/client-soap.ts";
import { KeepAliveHttpClient } from "../../agent/glase/client-transport.ts";
import { serializeOperation } from "../../agent/glase/client-xml.ts";
import { encode } from "../../agent/glase/client-encode.ts";
import { buildContext } from "../../agent/glase/client-context.ts";
import { GLASE_NAMESPACE, MERCHANT_OPERATIONS, type Invoice } from "../../agent/glase/types.ts";
import { money } from "../../agent/core/money.ts";
import { bodyElement } from "./xml-order.ts";

const settings = { clientId: "GlaseDaemon 1.0.0", channel: "WS", clientComment: "till 3 & 4" };
const terminalCtx = buildContext(settings, { type: "TERMINALID", terminalId: "5f2b8c1e9a7d4e6f8b3c2a1d0e9f8a7b", password: `p<&>"'` }, "tx-000483");
const shopCtx = buildContext(settings, { type: "RESELLERUSER", resellerId: "demo_shop", userId: "9900", password: "demo-pass" }, "adm-000012");
const invoice: Invoice = {
  paymentMode: "IMMEDIATE_DEBIT",
  issueDate: "2024-03-15T10:15:20",
  title: "Demo\tBakery\nline 2",
  clientInvoiceId: "R-2024-000917",
  invoiceRows: [
    { itemDescription: "Sourdough loaf", itemEAN: "7310865004703", itemQuantity: "2", itemTaxRate: "12", itemTotalAmount: money("SEK", 9000), itemUnitPrice: money("SEK", 4500) },
    { itemDescription: "Member discount", itemTotalAmount: money("SEK", -900), itemDiscount: money("SEK", 900) },
  ],
  totalAmount: money("SEK", 8100),
  cashierId: "Anna",
  footer: "Org.nr 556000-0000",
  commitReservationTimeout: 3600,
};
const tokens = [{ description: "Club", id: "DEMO_CLUB_CARD", status: 1, value: "6001234500017" }, { id: "X", status: 99 }];

const bodies: Record<(typeof MERCHANT_OPERATIONS)[number], Record<string, unknown>> = {
  registerTerminal: encode.registerTerminal(shopCtx, "Store 7/Till 3", "Kq7VnX2pLm9RtYs", "Demo Bakery, till 3"),
  assignSeqrId: encode.assignSeqrId(terminalCtx, "glasedemo000123"),
  unregisterTerminal: encode.unregisterTerminal(terminalCtx),
  sendInvoice: encode.sendInvoice(terminalCtx, invoice, tokens),
  getPaymentStatus: encode.getPaymentStatus(terminalCtx, "20240315101520481", 3),
  updateInvoice: encode.updateInvoice(terminalCtx, "20240315101520481", invoice, tokens),
  cancelInvoice: encode.cancelInvoice(terminalCtx, "20240315101520481"),
  commitReservation: encode.commitReservation(terminalCtx, "20240315113000112", money("SEK", 41250)),
  submitPaymentReceipt: encode.submitPaymentReceipt(terminalCtx, "2024031510160347301000231", {
    mimeType: "text/html",
    receiptData: new TextEncoder().encode("<html>Kvitto</html>"),
    receiptType: "PAYMENT_RECEIPT",
  }),
  refundPayment: encode.refundPayment(terminalCtx, "2024031510160347301000231", { title: "Refund", totalAmount: money("SEK", 4500) }),
  markTransactionPeriod: encode.markTransactionPeriod(shopCtx, { TERMINALID: "5f2b8c1e9a7d4e6f8b3c2a1d0e9f8a7b" }),
  executeReport: encode.executeReport(shopCtx, "Reconciliation/STD_RECON_006.xml", "en", { transactionPeriodId: "2024031518000012701000077", TERMINALID: "t" }),
  benchmarkingNop: encode.benchmarkingNop(),
};

let http: KeepAliveHttpClient;
let soapClient: Client;

beforeAll(async () => {
  http = new KeepAliveHttpClient();
  soapClient = await createSoapClient("http://127.0.0.1:9/soap/merchant/cashregister-2", http);
});
afterAll(() => http.close());

describe("request body serialisation", () => {
  it("is byte-identical to soap's own serialiser for every operation", () => {
    for (const operation of MERCHANT_OPERATIONS) {
      // A deep copy: soap's serialiser must see exactly what ours saw.
      const args = structuredClone(bodies[operation]);
      const viaSoap = soapClient.wsdl.objectToDocumentXML(operation, args, "tns", GLASE_NAMESPACE, operation);
      expect(serializeOperation(operation, bodies[operation]), operation).toBe(viaSoap);
    }
  });

  it("binds the wrapper prefix on the envelope soap builds", () => {
    // soap declares the WSDL's namespace aliases on <soap:Envelope>; the fragment relies on `tns`.
    expect((soapClient.wsdl as unknown as { xmlnsInEnvelope: string }).xmlnsInEnvelope).toContain(`xmlns:tns="${GLASE_NAMESPACE}"`);
  });

  it("escapes text that looks like CDATA (soap would pass it through and let it inject elements)", () => {
    const xml = serializeOperation("sendInvoice", encode.sendInvoice(terminalCtx, { title: "<![CDATA[</title><cashierId>evil</cashierId>]]>" }));
    const envelope = `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tns="${GLASE_NAMESPACE}"><e:Body>${xml}</e:Body></e:Envelope>`;
    const invoiceEl = bodyElement(envelope).children.find((c) => c.local === "invoice")!;
    expect(invoiceEl.children.map((c) => c.local)).toEqual(["paymentMode", "acknowledgmentMode", "title"]);
  });
});
