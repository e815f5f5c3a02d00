// What a hostile or broken peer can put into XML, in both directions: element names that are
// Object.prototype's own (`__proto__`, `constructor`, `toString`) are just names when we decode,
// and characters XML forbids never leave the agent in a request (checked with an independent
// parser, fast-xml-parser's validator).
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { parseSoapEnvelope, parseXmlDocument } from "../../agent/glase/client-parse.ts";
import { escapeXml, serializeOperation, xmlSafe } from "../../agent/glase/client-xml.ts";

const envelope = (body: string) =>
  `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ns2:getPaymentStatusResponse xmlns:ns2="http://external.interfaces.ers.seamless.com/"><return>${body}</return></ns2:getPaymentStatusResponse></soap:Body></soap:Envelope>`;

describe("decoding builds nodes without prototypes", () => {
  it("an element named __proto__ is an own key, not the node's prototype", () => {
    const root = parseSoapEnvelope(envelope("<resultCode>0</resultCode><__proto__><polluted>yes</polluted></__proto__>")) as any;
    const ret = root.Body.getPaymentStatusResponse.return;
    expect(Object.hasOwn(ret, "__proto__")).toBe(true);
    expect(ret.polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(ret, "__proto__")!.value).toMatchObject({ polluted: "yes" });
    expect(({} as any).polluted).toBeUndefined();
  });

  it("constructor, toString and hasOwnProperty elements are plain values (repeated ones an array)", () => {
    const { root } = parseXmlDocument("<r><constructor>a</constructor><constructor>b</constructor><toString>1</toString><hasOwnProperty>x</hasOwnProperty></r>") as any;
    expect(root.constructor).toEqual(["a", "b"]);
    expect(root.toString).toBe("1");
    expect(root.hasOwnProperty).toBe("x");
    expect(Object.keys(root)).toEqual(["constructor", "toString", "hasOwnProperty"]);
  });
});

describe("our requests never carry characters XML forbids", () => {
  const hostile = "Pump\u0000 1\u0001\u0008\u000b\u000c\u001b\u001f \uffff\ufffe \ud800x \udc00y 😀 tab\tcr\rlf\n";

  it("strips C0 controls (other than tab, CR, LF), U+FFFE/U+FFFF and unpaired surrogates", () => {
    expect(xmlSafe(hostile)).toBe("Pump 1  x y 😀 tab\tcr\rlf\n");
    expect(escapeXml("a\u0002<b>")).toBe("a&lt;b&gt;");
  });

  it("a request built from hostile text is well-formed XML for an independent parser", () => {
    const body = serializeOperation("sendInvoice", { context: { clientId: hostile }, invoice: { title: hostile, invoiceRows: [{ itemDescription: hostile }] } });
    const doc = `<?xml version="1.0" encoding="UTF-8"?><tns:root xmlns:tns="urn:x">${body}</tns:root>`;
    expect(XMLValidator.validate(doc)).toBe(true);
    expect(body).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/);
    expect(body).toContain("Pump 1  x y 😀 tab&#x9;cr&#xD;lf&#xA;");
  });
});
