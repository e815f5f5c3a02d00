// Conformance: a *fresh* `soap` client built from the simulator's published ?wsdl (not our client
// code) completes the merchant flows of §6.14: terminal set-up, POS payment with receipt, a
// preliminary (reservation) payment committed with a lower amount, a refund, reconciliation.
import soap from "soap";
import { describe, expect, it } from "vitest";
import { startSim } from "./helpers.ts";

const shopContext = { clientId: "conformance", clientRequestTimeout: 0, initiatorPrincipalId: { id: "reseller", type: "RESELLERUSER", userId: "9900" }, password: "2009" };
const terminalContext = (id: string, password: string) => ({
  channel: "WS",
  clientId: "conformance",
  clientReference: `c-${Math.random().toString(36).slice(2, 10)}`,
  clientRequestTimeout: 0,
  initiatorPrincipalId: { id, type: "TERMINALID" },
  password,
});

describe("fresh soap client against the published WSDL", () => {
  it("completes registration, a POS payment, a reservation, a refund and a report", async () => {
    const s = await startSim();
    const client = await soap.createClientAsync(`${s.r.endpoint}?wsdl`);
    const call = async (op: string, args: object) => {
      const [result] = await (client as any)[`${op}Async`](args);
      return result.return as Record<string, any>;
    };

    // A. set-up
    const reg = await call("registerTerminal", { context: shopContext, externalTerminalId: "Pump 1", password: "s3cretPw4Till1", name: "Station, pump 1" });
    expect(reg.resultCode).toBe(0);
    const terminalId = reg.terminalId as string;
    expect(terminalId).toMatch(/^[0-9a-f]{32}$/);
    const ctx = () => terminalContext(terminalId, "s3cretPw4Till1");
    expect((await call("assignSeqrId", { context: ctx(), seqrId: "PUMP0001" })).resultCode).toBe(0);

    // B. POS payment to PAID, customer via the control surface
    const sent = await call("sendInvoice", {
      context: ctx(),
      invoice: {
        paymentMode: "IMMEDIATE_DEBIT",
        acknowledgmentMode: "NO_ACKNOWLEDGMENT",
        issueDate: "2024-03-15T10:15:20",
        title: "Fuel",
        clientInvoiceId: "R-1",
        invoiceRows: { invoiceRow: [{ itemDescription: "Diesel", itemQuantity: "20.000", itemTotalAmount: { currency: "SEK", value: "412.50" } }] },
        totalAmount: { currency: "SEK", value: "412.50" },
        cashierId: "pump-1",
        footer: "Thanks",
      },
    });
    expect(sent.resultCode).toBe(0);
    const ref = sent.invoiceReference as string;
    expect((await s.control("/__sim/customer/scan", { seqrId: "PUMP0001" })).json.invoiceReference).toBe(ref);
    const issued = await call("getPaymentStatus", { context: ctx(), invoiceReference: ref, invoiceVersion: 0 });
    expect([issued.status, issued.version]).toEqual(["ISSUED", 1]);
    expect((await s.control("/__sim/customer/confirm", { invoiceReference: ref })).status).toBe(200);
    const paid = await call("getPaymentStatus", { context: ctx(), invoiceReference: ref, invoiceVersion: issued.version });
    expect(paid.status).toBe("PAID");
    expect(paid.ersReference).toMatch(/^\d{25}$/);
    expect(paid.receipt.paymentReference).toBe(paid.ersReference);
    expect(Number(paid.receipt.invoice.totalAmount.value)).toBe(412.5); // soap parses xs:decimal to a number
    const receipt = await call("submitPaymentReceipt", {
      context: ctx(),
      ersReference: paid.ersReference,
      receiptDocument: { mimeType: "text/html", receiptData: Buffer.from("<html>Kvitto</html>").toString("base64"), receiptType: "PAYMENT_RECEIPT" },
    });
    expect(receipt.resultCode).toBe(0);

    // C. preliminary payment → RESERVED → updateInvoice → commit lower amount → PAID
    const prelim = await call("sendInvoice", {
      context: ctx(),
      invoice: {
        paymentMode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
        acknowledgmentMode: "NO_ACKNOWLEDGMENT",
        title: "Fuel (preliminary)",
        totalAmount: { currency: "SEK", value: "1000.00" },
        commitReservationTimeout: 600,
      },
    });
    expect(prelim.resultCode).toBe(0);
    const pref = prelim.invoiceReference as string;
    await s.control("/__sim/customer/confirm", { invoiceReference: pref });
    const reservedStatus = await call("getPaymentStatus", { context: ctx(), invoiceReference: pref, invoiceVersion: 0 });
    expect(reservedStatus.status).toBe("RESERVED");
    const update = await call("updateInvoice", {
      context: ctx(),
      invoiceReference: pref,
      invoice: {
        paymentMode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
        acknowledgmentMode: "NO_ACKNOWLEDGMENT",
        title: "Fuel",
        invoiceRows: { invoiceRow: [{ itemDescription: "Petrol 95", itemQuantity: "31.250", itemTotalAmount: { currency: "SEK", value: "587.19" } }] },
        totalAmount: { currency: "SEK", value: "587.19" },
        commitReservationTimeout: 600,
      },
    });
    expect(update.resultCode).toBe(0);
    const commit = await call("commitReservation", { context: ctx(), amount: { currency: "SEK", value: "587.19" }, invoiceReference: pref });
    expect(commit.resultCode).toBe(0);
    const committed = await call("getPaymentStatus", { context: ctx(), invoiceReference: pref, invoiceVersion: reservedStatus.version });
    expect(committed.status).toBe("PAID");
    expect(Number(committed.receipt.invoice.totalAmount.value)).toBe(587.19);
    expect(s.r.sim.invoice(pref)!.paidMinor).toBe(58719);

    // refund part of the first payment
    const refund = await call("refundPayment", { context: ctx(), ersReference: paid.ersReference, invoice: { title: "Refund", totalAmount: { currency: "SEK", value: "12.50" } } });
    expect(refund.resultCode).toBe(0);
    expect(refund.ersReference).toMatch(/^\d{25}$/);

    // E. reconciliation: mark, REPORT_NOT_READY, then the report
    s.clock.advance(1000);
    const mark = await call("markTransactionPeriod", { context: shopContext, parameters: { parameter: { entry: [{ key: "TERMINALID", value: terminalId }] } } });
    expect(mark.resultCode).toBe(0);
    const reportArgs = {
      context: shopContext,
      reportId: "Reconciliation/STD_RECON_006.xml",
      language: "en",
      parameters: { parameter: { entry: [{ key: "transactionPeriodId", value: mark.transactionPeriodId }, { key: "TERMINALID", value: terminalId }] } },
    };
    const notReady = await call("executeReport", reportArgs);
    expect(notReady.resultCode).toBe(2);
    const report = await call("executeReport", reportArgs);
    expect(report.resultCode).toBe(0);
    expect(report.report.title).toBe(`STD_RECON_006_${mark.transactionPeriodId}.xml`);
    // node-soap parses the XML inside the CDATA of contentString into an object.
    expect(report.report.contentString.TerminalTransactionSummary.Row).toEqual({ SalesCount: "2", SalesTotal: "987.19000" }); // 412.50 + 587.19 − 12.50
    const content = Buffer.from(report.report.content, "base64").toString("utf8");
    expect(content).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<TerminalTransactionSummary>/);
    expect(content).toContain("<SalesTotal>987.19000</SalesTotal>");

    // benchmarkingNop through the same client
    expect((await call("benchmarkingNop", {})).resultCode).toBe(0);
  });
});
