// Raw SOAP over real HTTP on loopback: the lenient parsing rules of contract §1.4, the example
// requests of §3 verbatim, the suds capture of §8.2, faults for malformed input (§1.1).
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseProvisioning } from "../../simulator/glase/index.ts";
import { amount, envelope, invoiceXml, NS, shopCtx, startSim, termCtx, TERMINAL } from "./helpers.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");

// The contract examples use these ids; the simulator is provisioned with them so the fixtures
// stay verbatim, and the references of invoices/payments are swapped for live ones.
const CONTRACT_PROVISION = parseProvisioning({
  shops: [{ resellerId: "demo_shop", userId: "9900", password: "demo-pass" }],
  terminals: [{ id: "5f2b8c1e9a7d4e6f8b3c2a1d0e9f8a7b", password: "Kq7VnX2pLm9RtYs", name: "Demo Bakery, till 3" }],
  settings: { reportNotReadyCalls: 0 },
});
const EX_TERMINAL = { id: "5f2b8c1e9a7d4e6f8b3c2a1d0e9f8a7b", password: "Kq7VnX2pLm9RtYs" };

describe("contract §3 example requests", () => {
  // unregisterTerminal last: the other examples use the same terminal.
  const files = readdirSync(new URL("contract/", FIXTURES))
    .sort()
    .sort((a, b) => Number(a.includes("unregister")) - Number(b.includes("unregister")));

  it("has one fixture per merchant operation", () => {
    expect(files).toHaveLength(13);
  });

  it("accepts every example request and answers it in the documented style", async () => {
    const s = await startSim({ provision: CONTRACT_PROVISION });
    const codes: Record<string, number> = {};
    let paidInvoice = "";
    let ersReference = "";
    let periodId = "";
    for (const file of files) {
      let xml = fixture(`contract/${file}`);
      const op = /<ext:(\w+)/.exec(xml)![1]!;
      if (op === "getPaymentStatus" || op === "updateInvoice" || op === "cancelInvoice") {
        paidInvoice ||= await s.invoice({ total: "81.00" }, EX_TERMINAL);
        xml = xml.replace("20240315101520481", paidInvoice);
      }
      if (op === "commitReservation") {
        const ref = await s.invoice({ mode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT", total: "500.00", timeout: 600 }, EX_TERMINAL);
        s.r.sim.customerConfirm({ invoiceReference: ref });
        xml = xml.replace("20240315113000112", ref);
      }
      if (op === "submitPaymentReceipt" || op === "refundPayment") {
        if (!ersReference) {
          const ref = await s.invoice({ total: "81.00" }, EX_TERMINAL);
          ersReference = s.r.sim.customerConfirm({ invoiceReference: ref }).ersReference!;
          await s.status(ref, 2, EX_TERMINAL); // read PAID: acknowledges it
        }
        xml = xml.replace("2024031510160347301000231", ersReference);
      }
      if (op === "executeReport") xml = xml.replace("2024031518000012701000077", periodId);
      const reply = await s.post(xml);
      expect(reply.httpStatus, `${file}: ${reply.text}`).toBe(200);
      expect(reply.text).toContain(`<ns2:${op}Response xmlns:ns2="${NS}"><return>`);
      codes[op] = reply.code;
      if (op === "markTransactionPeriod") periodId = reply.get("transactionPeriodId")!;
      if (op === "executeReport") expect(reply.text).toContain("<contentString><![CDATA[<?xml");
    }
    expect(codes).toEqual({
      registerTerminal: 0,
      assignSeqrId: 0,
      unregisterTerminal: 0,
      sendInvoice: 0,
      getPaymentStatus: 0,
      updateInvoice: 0, // REQUIRE_ACKNOWLEDGMENT, new total 72.90 — allowed while ISSUED
      cancelInvoice: 0,
      commitReservation: 0,
      submitPaymentReceipt: 0,
      refundPayment: 0,
      markTransactionPeriod: 0,
      executeReport: 0,
      benchmarkingNop: 0,
    });
    // unregisterTerminal ran on the example terminal: it no longer exists afterwards (§9 A44).
    expect((await s.status(paidInvoice, 0, EX_TERMINAL)).code).toBe(29);
  });
});

describe("suds capture (§8.2): SOAP-ENV and ns0 both bound to the envelope namespace", () => {
  it("registers, sends an invoice with empty amount elements and polls with <invoiceVersion/>", async () => {
    const s = await startSim();
    const reg = await s.post(fixture("suds/registerTerminal.xml"));
    expect(reg.code).toBe(0);
    expect(reg.get("terminalId")).toMatch(/^[0-9a-f]{32}$/);
    const send = await s.post(fixture("suds/sendInvoice.xml"));
    expect(send.code).toBe(0);
    const ref = send.get("invoiceReference")!;
    expect(ref).toMatch(/^\d{17}$/);
    expect(send.get("invoiceQRCode")).toBe(`HTTP://SEQR.SE/R${ref}`);
    const status = await s.post(fixture("suds/getPaymentStatus.xml").replace("@REF@", ref));
    expect(status.code).toBe(0);
    expect(status.get("status")).toBe("ISSUED");
    expect(status.get("version")).toBe("1");
    // once paid, the receipt echoes the invoice as received (§9 A30): "500", empty amounts absent
    s.r.sim.customerConfirm({ invoiceReference: ref });
    const paid = await s.post(fixture("suds/getPaymentStatus.xml").replace("@REF@", ref));
    expect(paid.text).toContain(
      "<invoice><paymentMode>IMMEDIATE_DEBIT</paymentMode><acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode><title>Grand Cinema</title>" +
        "<invoiceRows><invoiceRow><itemDescription>Movie Tickets</itemDescription><itemTotalAmount><currency>SEK</currency><value>500</value></itemTotalAmount></invoiceRow></invoiceRows>" +
        "<totalAmount><currency>SEK</currency><value>500</value></totalAmount></invoice>",
    );
  });
});

describe("lenient parsing (§1.4)", () => {
  it("accepts children in any order, including inside context and invoice", async () => {
    const s = await startSim();
    const inner =
      `<invoice><totalAmount><value>12.50</value><currency>SEK</currency></totalAmount><title>x</title>` +
      `<acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode><paymentMode>IMMEDIATE_DEBIT</paymentMode></invoice>` +
      `<context><password>2009</password><initiatorPrincipalId><type>TERMINALID</type><id>${TERMINAL.id}</id></initiatorPrincipalId><clientRequestTimeout>0</clientRequestTimeout></context>`;
    const send = await s.call("sendInvoice", inner);
    expect(send.code).toBe(0);
    const ref = send.get("invoiceReference")!;
    const status = await s.call("getPaymentStatus", `<invoiceVersion>0</invoiceVersion><invoiceReference>${ref}</invoiceReference>${termCtx()}`);
    expect(status.get("status")).toBe("ISSUED");
  });

  it("accepts a context without channel/clientId/clientReference and an invoice without the 'required' fields", async () => {
    const s = await startSim();
    const ctx = `<context><clientRequestTimeout>0</clientRequestTimeout><initiatorPrincipalId><id>${TERMINAL.id}</id><type>TERMINALID</type></initiatorPrincipalId><password>2009</password></context>`;
    const send = await s.call("sendInvoice", ctx + `<invoice><acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode>${amount("totalAmount", "10")}</invoice>`);
    expect(send.code).toBe(0);
  });

  it("treats an empty <invoiceVersion/> as 0 and an absent one as 0", async () => {
    const s = await startSim();
    const ref = await s.invoice();
    for (const v of ["<invoiceVersion/>", "<invoiceVersion></invoiceVersion>", ""]) {
      const r = await s.call("getPaymentStatus", termCtx() + `<invoiceReference>${ref}</invoiceReference>${v}`);
      expect(r.code).toBe(0);
      expect(r.get("version")).toBe("1");
    }
  });

  it("accepts a date-only issueDate, ignores unknown elements, reads rows named after their type (suds 1.x)", async () => {
    const s = await startSim();
    const inv =
      `<invoice><paymentMode>IMMEDIATE_DEBIT</paymentMode><acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode><issueDate>2013-04-22</issueDate>` +
      `<user>9900</user><invoiceRows><paymentInvoiceRow>${amount("itemTotalAmount", "7.00")}</paymentInvoiceRow><invoiceRow>${amount("itemTotalAmount", "3.00")}</invoiceRow></invoiceRows>` +
      `${amount("totalAmount", "10.00")}<somethingNew>1</somethingNew></invoice>`;
    expect((await s.call("sendInvoice", termCtx() + inv)).code).toBe(0);
    // the rows were read: a wrong sum is rejected
    expect((await s.call("sendInvoice", termCtx() + inv.replace("7.00", "8.00"))).code).toBe(49);
  });

  it("accepts the flat parameter-map variants (§9 A25)", async () => {
    const s = await startSim({ settings: { reportNotReadyCalls: 0 } });
    const mark = await s.call("markTransactionPeriod", shopCtx());
    const id = mark.get("transactionPeriodId")!;
    const report = "<reportId>Reconciliation/Shop.xml</reportId>";
    const shapes = [
      `<parameters><parameter><entry><key>transactionPeriodId</key><value>${id}</value></entry></parameter></parameters>`,
      `<parameters><entry><key>transactionPeriodId</key><value>${id}</value></entry></parameters>`,
      `<entry><key>transactionPeriodId</key><value>${id}</value></entry>`,
    ];
    for (const p of shapes) expect((await s.call("executeReport", shopCtx() + report + p)).code).toBe(0);
  });

  it("accepts the alias operation unRegisterTerminal and the glaseId alias of seqrId (§9 A1/A2)", async () => {
    const s = await startSim();
    expect((await s.call("assignSeqrId", termCtx() + "<glaseId>GLASE42</glaseId>")).code).toBe(0);
    expect(s.r.sim.state.terminals.get(TERMINAL.id)!.seqrId).toBe("GLASE42");
    expect((await s.call("unRegisterTerminal", termCtx())).code).toBe(0);
    expect((await s.status("x")).code).toBe(29);
  });

  it("ignores SOAPAction and routes on the namespace URI, whatever the prefixes", async () => {
    const s = await startSim();
    const body = `<a:Envelope xmlns:a="http://schemas.xmlsoap.org/soap/envelope/"><a:Body><q:benchmarkingNop xmlns:q="${NS}"/></a:Body></a:Envelope>`;
    const res = await fetch(s.r.endpoint, { method: "POST", body, headers: { SOAPAction: `"${NS}ERSWSExternalClientService/benchmarkingNopRequest"` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<resultCode>0</resultCode>");
    const defaultNs = `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><benchmarkingNop xmlns="${NS}"/></Body></Envelope>`;
    expect((await s.post(defaultNs)).code).toBe(0);
  });
});

describe("protocol errors (§1.1)", () => {
  it("answers malformed XML with a soap:Client fault and keeps serving", async () => {
    const s = await startSim();
    for (const bad of ["<soapenv:Envelope", "not xml at all", `<a><b></a></b>`, envelope("sendInvoice", "<context>").replace("</ext:sendInvoice>", ""), "<!DOCTYPE x [<!ENTITY e 'x'>]><x>&e;</x>", ""]) {
      const r = await s.post(bad);
      expect(r.httpStatus).toBe(500);
      expect(r.faultcode).toBe("soap:Client");
      expect(r.text).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    }
    expect((await s.call("benchmarkingNop", "")).code).toBe(0);
  });

  it("answers an unknown operation, a foreign namespace and a non-SOAP root with soap:Client", async () => {
    const s = await startSim();
    expect((await s.call("doSomethingElse", "")).faultcode).toBe("soap:Client");
    const foreign = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><x:sendInvoice xmlns:x="urn:other"/></soapenv:Body></soapenv:Envelope>`;
    expect((await s.post(foreign)).faultcode).toBe("soap:Client");
    expect((await s.post(`<Envelope><Body/></Envelope>`)).faultcode).toBe("soap:Client");
  });

  it("answers a non-numeric invoiceVersion with an Unmarshalling soap:Client fault", async () => {
    const s = await startSim();
    const r = await s.call("getPaymentStatus", termCtx() + "<invoiceReference>1</invoiceReference><invoiceVersion>abc</invoiceVersion>");
    expect(r.faultcode).toBe("soap:Client");
    expect(r.text).toContain("Unmarshalling Error");
  });

  it("rejects a body above the size limit with 413 and a fault", async () => {
    const s = await startSim({ settings: { maxBodyBytes: 2048 } });
    const r = await s.call("sendInvoice", termCtx() + invoiceXml({ extra: `<footer>${"x".repeat(4096)}</footer>` }));
    expect(r.httpStatus).toBe(413);
    expect(r.faultcode).toBe("soap:Client");
    expect((await s.call("benchmarkingNop", "")).code).toBe(0);
  });

  it("answers the six ERS-only operations with 91 (§8.4)", async () => {
    const s = await startSim();
    for (const op of ["requestTopup", "requestTransfer", "requestPrincipalInformation", "changePrincipalPassword", "requestPurchase", "confirmCustomerRegistration"]) {
      const r = await s.call(op, termCtx());
      expect(r.code).toBe(91);
      expect(r.text).toContain(`<ns2:${op}Response`);
      expect(r.get("resultDescription")).toBe("UNSUPPORTED_OPERATION");
    }
  });
});

describe("WSDL and schema publication (§1.3)", () => {
  it("serves ?wsdl with the address and schema import built from the Host header, and ?xsd=1", async () => {
    const s = await startSim();
    // fetch may not set Host; node:http can.
    const { request } = await import("node:http");
    const wsdl = await new Promise<string>((resolve, reject) => {
      const req = request(s.r.endpoint + "?wsdl", { headers: { Host: "glase.example:8443" } }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => resolve(text));
      });
      req.on("error", reject).end();
    });
    expect(wsdl).toContain('schemaLocation="http://glase.example:8443/soap/merchant/cashregister-2?xsd=1"');
    expect(wsdl).toContain('<soap:address location="http://glase.example:8443/soap/merchant/cashregister-2"/>');
    const legacy = await (await fetch(s.r.url + "/extclientproxy/service?wsdl")).text();
    expect(legacy).toContain(`location="${s.r.url}/extclientproxy/service"`);
    const xsd = await (await fetch(s.r.endpoint + "?xsd=1")).text();
    expect(xsd).toContain('<xs:element name="sendInvoice" type="tns:sendInvoice"/>');
    expect(xsd).not.toContain('value="EXPIRED"');
  });

  it("publishes EXPIRED only at API level 2.10 and above (§5.1)", async () => {
    const s = await startSim({ settings: { apiLevel: "2.10" } });
    expect(await (await fetch(s.r.endpoint + "?xsd=1")).text()).toContain('<xs:enumeration value="EXPIRED"/>');
  });

  it("keeps connections alive across requests", async () => {
    const s = await startSim();
    const { request } = await import("node:http");
    const { Agent } = await import("node:http");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request(s.r.endpoint, { method: "POST", agent }, (res) => {
          ports.add(res.socket.localPort!);
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", reject);
        req.end(envelope("benchmarkingNop", ""));
      });
    }
    agent.destroy();
    expect(ports.size).toBe(1);
  });
});

describe("strict unmarshalling (optional, §1.4)", () => {
  it("rejects undeclared elements like a default CXF server, accepts the schema's elements in any order", async () => {
    const s = await startSim({ settings: { strictUnmarshalling: true } });
    expect((await s.call("sendInvoice", termCtx() + invoiceXml())).code).toBe(0);
    const typo = await s.call("sendInvoice", termCtx() + invoiceXml({ extra: "<user>9900</user>" }));
    expect(typo.faultcode).toBe("soap:Client");
    expect(typo.faultstring).toContain('Unmarshalling Error: unexpected element (uri:"", local:"user")');
    expect((await s.call("assignSeqrId", termCtx() + "<glaseId>A1</glaseId>")).faultcode).toBe("soap:Client");
    expect((await s.call("getPaymentStatus", "<invoiceVersion>0</invoiceVersion>" + termCtx())).code).toBe(0); // latest invoice
    const qualified = `<ext:context>${termCtx().slice(9, -10)}</ext:context>`;
    expect((await s.call("cancelInvoice", qualified)).faultcode).toBe("soap:Client");
    // every contract example is schema-clean
    for (const f of readdirSync(new URL("contract/", FIXTURES))) {
      expect((await s.post(fixture(`contract/${f}`))).httpStatus, f).toBe(200);
    }
  });
});
