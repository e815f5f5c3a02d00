// The client reads responses with its own parser (agent/glase/client-parse.ts) instead of soap's
// sax-based WSDL.xmlToObject. These tests decode the same answers through both and require the
// same typed result, then pin down the syntax errors that must make an answer "unparsable".
import { beforeAll, describe, expect, it } from "vitest";
import soap from "soap";
import type { Client } from "soap";
import { buildWsdl, XSD_PATH } from "../../agent/glase/wsdl.ts";
import { parseSoapEnvelope, parseXmlDocument } from "../../agent/glase/client-parse.ts";
import { decode, decodeBase } from "../../agent/glase/client-decode.ts";
import { OK, soapResponse } from "./canned-server.ts";

const keep = (t: string): string => t;
let reference: Client;

beforeAll(async () => {
  // soap's own parser, told to keep typed leaves as text (it would otherwise turn amounts into
  // floats and dates into Date objects, which is exactly what the client must not do).
  reference = await soap.createClientAsync(buildWsdl("http://127.0.0.1:9/soap/merchant/cashregister-2", XSD_PATH), {
    customDeserializer: { int: keep, long: keep, decimal: keep, dateTime: keep },
  });
});

type Decoder = (ret: Record<string, unknown>, base: ReturnType<typeof decodeBase>["base"]) => unknown;

function decodeWith(envelope: unknown, operation: string, decoder: Decoder): unknown {
  const body = (envelope as { Body: Record<string, unknown> }).Body;
  const { ret, base } = decodeBase(body[`${operation}Response`]);
  return decoder(ret, base);
}

const token = (id: string): string => `<token><description>Club &amp; Co</description><id>${id}</id><status>0</status><value>600</value></token>`;
const CASES: Array<[string, string, Decoder]> = [
  ["getPaymentStatus", `${OK}<status>ISSUED</status><version>1</version>`, decode.getPaymentStatus],
  [
    "getPaymentStatus",
    `<ersReference>2024031510160347301000231</ersReference>${OK}<status>PAID</status><receipt><terminalId>t</terminalId>` +
      `<paymentDate>2024-03-15T10:16:03.473+01:00</paymentDate><invoiceReference>20240315101520481</invoiceReference>` +
      `<paymentReference>2024031510160347301000231</paymentReference><receiverName>Demo Bakery, till 3</receiverName>` +
      `<invoice><paymentMode>IMMEDIATE_DEBIT</paymentMode><title>Demo Bakery</title><invoiceRows><invoiceRow><itemDescription>Loaf</itemDescription>` +
      `<itemQuantity>2</itemQuantity><itemTotalAmount><currency>SEK</currency><value>90.00</value></itemTotalAmount></invoiceRow>` +
      `<invoiceRow><itemDescription>Discount</itemDescription><itemTotalAmount><currency>SEK</currency><value>-9</value></itemTotalAmount></invoiceRow></invoiceRows>` +
      `<totalAmount><currency>SEK</currency><value>81.00</value></totalAmount></invoice></receipt><version>3</version>`,
    decode.getPaymentStatus,
  ],
  ["getPaymentStatus", `${OK}<status>PENDING_ISSUER_ACKNOWLEDGE</status><customerTokens>${token("A")}</customerTokens><version>2</version>`, decode.getPaymentStatus],
  ["getPaymentStatus", `${OK}<status>PENDING_ISSUER_ACKNOWLEDGE</status><customerTokens>${token("A")}${token("B")}</customerTokens><version>2</version>`, decode.getPaymentStatus],
  ["sendInvoice", `${OK}<invoiceQRCode>HTTP://SEQR.SE/R20240315101520481</invoiceQRCode><invoiceReference>20240315101520481</invoiceReference>`, decode.sendInvoice],
  ["registerTerminal", `${OK}<terminalId>5f2b8c1e9a7d4e6f8b3c2a1d0e9f8a7b</terminalId>`, decode.registerTerminal],
  ["markTransactionPeriod", `${OK}<transactionPeriodId>2024031518000012701000077</transactionPeriodId>`, decode.markTransactionPeriod],
  ["executeReport", `${OK}<report><title>STD_RECON_003_1.xml</title><mimeType>text/html</mimeType><content>PD94bWw+</content><contentString>plain &lt;text&gt;</contentString></report>`, decode.executeReport],
  ["refundPayment", `<ersReference>2024031609021188201000009</ersReference>${OK}`, decode.plain],
  ["cancelInvoice", `<resultCode>95</resultCode><resultDescription>INVOICE_ALREADY_CANCELED</resultDescription>`, decode.plain],
];

describe("response parser", () => {
  it("decodes every example to the same typed result as soap's own parser", () => {
    for (const [operation, ret, decoder] of CASES) {
      for (const xml of [soapResponse(operation, ret), `<?xml version="1.0"?>\n<!-- metro -->\n${soapResponse(operation, ret).replace(/></g, ">\n  <")}`]) {
        const ours = decodeWith(parseSoapEnvelope(xml), operation, decoder);
        const theirs = decodeWith(reference.wsdl.xmlToObject(xml), operation, decoder);
        expect(ours, `${operation}: ${ret.slice(0, 60)}`).toEqual(theirs);
      }
    }
  });

  it("keeps a CDATA document as text (soap would replace it by a parsed object)", () => {
    const doc = `<?xml version="1.0" encoding="UTF-8"?>\n<TerminalTransactionSummary><Row><SalesTotal>153.90000</SalesTotal></Row></TerminalTransactionSummary>`;
    const env = parseSoapEnvelope(soapResponse("executeReport", `${OK}<report><contentString><![CDATA[${doc}]]></contentString></report>`));
    expect(decodeWith(env, "executeReport", decode.executeReport)).toMatchObject({ report: { contentString: doc } });
  });

  it("decodes entities and character references, keeps CDATA raw, skips comments and attributes", () => {
    const { root } = parseXmlDocument(
      `\uFEFF<?xml version="1.0"?><r a="x>y" b='1'><!-- c --><t>a &amp; b &lt;c&gt; &quot;&apos; &#65;&#x42;</t><d><![CDATA[<&>]]></d><e/><n xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/><m>1</m><m>2</m></r>`,
    );
    expect(root).toEqual({ t: `a & b <c> "' AB`, d: "<&>", e: "", m: ["1", "2"] });
  });

  it("rejects malformed documents", () => {
    const bad = [
      "",
      "just text",
      "<a><b>1</a>",
      "<a><b>1</b>",
      "<a>1</a><b/>",
      "<a>1</a>trailing",
      "<a>x &nbsp; y</a>",
      "<a>x & y</a>",
      "<a>&#0;</a>",
      "<a",
      '<a b="1>',
      "<a><!-- x</a>",
      "<a><![CDATA[x</a>",
      '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
      "<a></a></a>",
    ];
    for (const xml of bad) expect(() => parseXmlDocument(xml), JSON.stringify(xml)).toThrow();
  });

  it("refuses a document that is not a SOAP envelope, and reports a SOAP Fault as an error", () => {
    expect(() => parseSoapEnvelope("<return><resultCode>0</resultCode></return>")).toThrow(/not a SOAP Envelope/);
    expect(() =>
      parseSoapEnvelope(
        `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>boom</faultstring></soap:Fault></soap:Body></soap:Envelope>`,
      ),
    ).toThrow("soap:Server: boom");
  });
});
