// The vendor's Java samples (§8.3) replayed as the JAXB/CXF requests they put on the wire, on the
// legacy path `/extclientproxy/service` with the provisioned sample terminals: the basic flow must
// reach PAID although every JAXB invoice carries REQUIRE_ACKNOWLEDGMENT (§9 A8), and the loyalty
// flow must go through PENDING_ISSUER_ACKNOWLEDGE → updateInvoice → PAID with the new total.
import { describe, expect, it } from "vitest";
import { envelope, startSim } from "./helpers.ts";

const LEGACY = "/extclientproxy/service";

// What CXF marshals for the samples' context: alphabetical properties, channel WEBSERVICE.
const ctx = (terminalId: string) =>
  `<context><channel>WEBSERVICE</channel><clientComment>test purchase</clientComment><clientId>ers-extclientproxy</clientId>` +
  `<clientReference>${Date.UTC(2024, 2, 15)}</clientReference><clientRequestTimeout>0</clientRequestTimeout>` +
  `<initiatorPrincipalId><id>${terminalId}</id><type>TERMINALID</type></initiatorPrincipalId><password>2009</password></context>`;

const invoice = (total: string) =>
  `<invoice><acknowledgmentMode>REQUIRE_ACKNOWLEDGMENT</acknowledgmentMode><title>sample title</title>` +
  `<totalAmount><currency>SEK</currency><value>${total}</value></totalAmount><cashierId>Bob</cashierId></invoice>`;

describe("Java samples on the legacy path", () => {
  it("MPaymentFlowSample: sendInvoice, poll while ISSUED, 'Invoice was paid.'", async () => {
    const s = await startSim();
    s.r.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 3000 });
    const terminal = "0460000300002010";
    const sent = await s.post(envelope("sendInvoice", ctx(terminal) + invoice("10")), LEGACY);
    expect(sent.code).toBe(0);
    const ref = sent.get("invoiceReference")!;
    let version = 0;
    let status = "ISSUED";
    for (let second = 0; status === "ISSUED" && second < 30; second++) {
      const r = await s.post(envelope("getPaymentStatus", ctx(terminal) + `<invoiceReference>${ref}</invoiceReference><invoiceVersion>${version}</invoiceVersion>`), LEGACY);
      status = r.get("status")!;
      version = Number(r.get("version"));
      s.clock.advance(1000); // the sample sleeps one second between polls
    }
    expect(status).toBe("PAID");
  });

  it("MPaymentFlowWithLoyaltySample: token offered, updateInvoice 10.00 → 9.00 with tokens=null, PAID 9.00", async () => {
    const s = await startSim();
    const terminal = "0460000100001002";
    const ref = (await s.post(envelope("sendInvoice", ctx(terminal) + invoice("10.00")), LEGACY)).get("invoiceReference")!;
    s.r.sim.customerScan({ invoiceReference: ref, tokens: [{ id: "SAMPLE_CARD", value: "1234", description: "Sample card" }] });
    const seen = new Set<string>();
    let version = 0;
    let status = "ISSUED";
    for (let second = 0; (status === "ISSUED" || status === "PENDING_ISSUER_ACKNOWLEDGE") && second < 30; second++) {
      const r = await s.post(envelope("getPaymentStatus", ctx(terminal) + `<invoiceReference>${ref}</invoiceReference><invoiceVersion>${version}</invoiceVersion>`), LEGACY);
      status = r.get("status")!;
      version = Number(r.get("version"));
      for (const token of r.text.match(/<token>.*?<\/token>/g) ?? []) {
        if (seen.has(token)) continue;
        seen.add(token);
        const upd = await s.post(envelope("updateInvoice", ctx(terminal) + `<invoiceReference>${ref}</invoiceReference>` + invoice("9.00")), LEGACY);
        expect(upd.code).toBe(0);
        // the customer now sees 9.00 and confirms
        s.r.sim.customerConfirm({ invoiceReference: ref });
      }
      s.clock.advance(1000);
    }
    expect(status).toBe("PAID");
    expect(seen.size).toBe(1);
    expect(s.r.sim.invoice(ref)!.paidMinor).toBe(900);
  });
});
