// GlaseClient against the embedded Glase simulator over real HTTP on loopback: every operation,
// every result code the client must handle (provoked through real simulator state where the
// simulator has it, through its fault injection otherwise), and every transport failure kind
// with its definite/indefinite classification.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GlaseClient } from "../../agent/glase/client.ts";
import { GlaseError, TransportError } from "../../agent/glase/errors.ts";
import type { Invoice, Principal, ResellerCredentials, TerminalCredentials } from "../../agent/glase/types.ts";
import { money } from "../../agent/core/money.ts";
import { configureLogging } from "../../agent/log.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { captureLogger } from "./capture-logger.ts";

const shop: ResellerCredentials = { resellerId: "reseller", userId: "9900", password: "2009" };
const shopPrincipal: Principal = { type: "RESELLERUSER", ...shop };
const terminal: TerminalCredentials = { terminalId: "0460000300002010", password: "2009" };

const bakery: Invoice = {
  issueDate: "2024-03-15T10:15:20",
  title: "Demo Bakery",
  clientInvoiceId: "R-2024-000917",
  invoiceRows: [
    { itemDescription: "Sourdough loaf", itemQuantity: "2", itemTaxRate: "12", itemTotalAmount: money("SEK", 9000), itemUnitPrice: money("SEK", 4500) },
    { itemDescription: "Member discount", itemQuantity: "1", itemTotalAmount: money("SEK", -900) },
  ],
  totalAmount: money("SEK", 8100),
  cashierId: "Anna",
  footer: "Org.nr 556000-0000",
};

let running: RunningGlaseSimulator;
let client: GlaseClient;

async function start(provision?: unknown): Promise<void> {
  running = await startGlaseSimulator({ port: 0, ...(provision !== undefined ? { provision: parseProvisioning(provision) } : {}) });
  client = await GlaseClient.create({ endpoint: running.endpoint, clientId: "GlaseDaemon test", timeoutMs: 10_000, logger: captureLogger().logger });
}

beforeAll(() => configureLogging({ level: "error" })); // the simulator logs every injected fault
afterEach(async () => {
  client.close();
  await running.close();
});

async function glaseError(p: Promise<unknown>): Promise<GlaseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GlaseError);
  return err as GlaseError;
}

async function expectCode(p: Promise<unknown>, code: number): Promise<void> {
  expect((await glaseError(p)).resultCode).toBe(code);
}

async function transportError(p: Promise<unknown>): Promise<TransportError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  return err as TransportError;
}

/** sendInvoice + customer confirms + the POS polls PAID (which acknowledges it, §6.3). */
async function paidInvoice(invoice: Invoice = bakery): Promise<{ invoiceReference: string; ersReference: string }> {
  const { invoiceReference } = await client.sendInvoice(terminal, invoice);
  running.sim.customerConfirm({ invoiceReference });
  const status = await client.getPaymentStatus(terminal, invoiceReference, 1);
  expect(status.status).toBe("PAID");
  return { invoiceReference, ersReference: status.ersReference! };
}

describe("client ↔ simulator: operations", () => {
  beforeEach(() => start());

  it("benchmarkingNop answers success", async () => {
    expect((await client.benchmarkingNop()).resultCode).toBe(0);
  });

  it("registers a terminal, assigns a Glase ID and unregisters it", async () => {
    const reg = await client.registerTerminal(shop, "Store 7/Till 3", "Kq7VnX2pLm9RtYs", "Demo Bakery, till 3");
    expect(reg.terminalId).toMatch(/^[0-9a-f]{32}$/);
    const till: TerminalCredentials = { terminalId: reg.terminalId, password: "Kq7VnX2pLm9RtYs" };
    expect((await client.assignSeqrId(till, "glasedemo000123")).resultCode).toBe(0);
    await expectCode(client.assignSeqrId(terminal, "glasedemo000123"), 53); // taken by another terminal
    await expectCode(client.assignSeqrId(till, "not-alphanumeric!"), 53);
    expect((await client.unregisterTerminal(till)).resultCode).toBe(0);
    await expectCode(client.sendInvoice(till, bakery), 29); // it no longer exists
  });

  it("runs a POS payment to PAID with receipt, refunds part of it and rejects over-refunds", async () => {
    const sent = await client.sendInvoice(terminal, bakery);
    expect(sent.invoiceQRCode).toBe(`HTTP://SEQR.SE/R${sent.invoiceReference}`);
    const issued = await client.getPaymentStatus(terminal, sent.invoiceReference, 0);
    expect(issued).toMatchObject({ status: "ISSUED", customerTokens: [] });
    expect(typeof issued.version).toBe("number");

    running.sim.customerConfirm({ invoiceReference: sent.invoiceReference });
    const paid = await client.getPaymentStatus(terminal, sent.invoiceReference, issued.version);
    expect(paid.status).toBe("PAID");
    expect(paid.ersReference).toMatch(/^\d{25}$/);
    expect(paid.receipt?.paymentReference).toBe(paid.ersReference);
    expect(paid.receipt?.invoice?.totalAmount).toEqual({ currency: "SEK", minor: 8100 });
    expect(paid.version).toBeGreaterThan(issued.version);

    const receipt = await client.submitPaymentReceipt(terminal, paid.ersReference!, {
      mimeType: "text/html",
      receiptData: new TextEncoder().encode("<html><body>Kvitto</body></html>"),
      receiptType: "PAYMENT_RECEIPT",
    });
    expect(receipt.resultCode).toBe(0);
    await expectCode(client.cancelInvoice(terminal, sent.invoiceReference), 50);

    const refund = await client.refundPayment(terminal, paid.ersReference!, { title: "Refund", totalAmount: money("SEK", 4500) });
    expect(refund.ersReference).toMatch(/^\d{25}$/);
    expect(refund.ersReference).not.toBe(paid.ersReference);
    await expectCode(client.refundPayment(terminal, paid.ersReference!, { title: "Refund", totalAmount: money("SEK", 3601) }), 98);
    await expectCode(client.refundPayment(terminal, "2099010100000000000000000", { title: "Refund", totalAmount: money("SEK", 100) }), 23);
    await expectCode(client.submitPaymentReceipt(terminal, "2099010100000000000000000", { mimeType: "text/plain", receiptData: new Uint8Array([65]), receiptType: "OTHER" }), 23);
  });

  it("refuses a refund while PAID has not been acknowledged yet (48)", async () => {
    const { invoiceReference } = await client.sendInvoice(terminal, bakery);
    running.sim.customerConfirm({ invoiceReference });
    const ersReference = running.sim.invoice(invoiceReference)!.ersReference!;
    await expectCode(client.refundPayment(terminal, ersReference, { title: "Refund", totalAmount: money("SEK", 100) }), 48);
  });

  it("polls the terminal's current invoice when no reference is given", async () => {
    const { invoiceReference } = await client.sendInvoice(terminal, bakery);
    expect((await client.getPaymentStatus(terminal, undefined, 0)).status).toBe("ISSUED");
    await expectCode(client.getPaymentStatus(terminal, "20990101000000001", 0), 54);
    expect(invoiceReference).toBeTruthy();
  });

  it("cancels an open invoice (0), then 95; a payment in progress cannot be cancelled (51) or updated (48)", async () => {
    const first = await client.sendInvoice(terminal, bakery);
    expect((await client.cancelInvoice(terminal, first.invoiceReference)).resultCode).toBe(0);
    await expectCode(client.cancelInvoice(terminal, first.invoiceReference), 95);
    expect((await client.getPaymentStatus(terminal, first.invoiceReference, 0)).status).toBe("CANCELED");

    const second = await client.sendInvoice(terminal, bakery);
    running.sim.customerConfirm({ invoiceReference: second.invoiceReference, hold: true });
    await expectCode(client.cancelInvoice(terminal, second.invoiceReference), 51);
    await expectCode(client.updateInvoice(terminal, second.invoiceReference, bakery), 48);
  });

  it("rejects bad invoices with 49 (rows do not sum up, wrong currency), 11 (non-positive total) and 64 (notificationUrl)", async () => {
    await expectCode(client.sendInvoice(terminal, { ...bakery, totalAmount: money("SEK", 8000) }), 49);
    await expectCode(client.sendInvoice(terminal, { title: "x", totalAmount: money("EUR", 100) }), 49);
    await expectCode(client.sendInvoice(terminal, { title: "x", totalAmount: money("SEK", 0) }), 11);
    await expectCode(client.sendInvoice(terminal, { title: "x", totalAmount: money("SEK", 100), notificationUrl: "ftp://pos.example/n" }), 64);
  });

  it("runs the loyalty acknowledgement: PENDING_ISSUER_ACKNOWLEDGE with offered tokens, updateInvoice applies one", async () => {
    const { invoiceReference } = await client.sendInvoice(terminal, { ...bakery, acknowledgmentMode: "REQUIRE_ACKNOWLEDGMENT" });
    running.sim.customerScan({ invoiceReference, tokens: [{ id: "DEMO_CLUB_CARD", value: "6001234500017", description: "Demo Bakery Club" }] });
    const pending = await client.getPaymentStatus(terminal, invoiceReference, 1);
    expect(pending.status).toBe("PENDING_ISSUER_ACKNOWLEDGE");
    expect(pending.customerTokens).toEqual([{ description: "Demo Bakery Club", id: "DEMO_CLUB_CARD", status: 0, value: "6001234500017" }]);
    const discounted: Invoice = { ...bakery, acknowledgmentMode: "REQUIRE_ACKNOWLEDGMENT", invoiceRows: undefined, totalAmount: money("SEK", 7290) };
    const applied = [{ ...pending.customerTokens[0]!, status: 1 }];
    expect((await client.updateInvoice(terminal, invoiceReference, discounted, applied)).resultCode).toBe(0);
    expect((await client.getPaymentStatus(terminal, invoiceReference, pending.version)).status).toBe("ISSUED");
  });

  it("reserves a preliminary amount, updates the invoice and commits a lower final amount", async () => {
    const preliminary: Invoice = {
      paymentMode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
      title: "Pump 3",
      totalAmount: money("SEK", 50000),
      commitReservationTimeout: 3600,
    };
    const { invoiceReference } = await client.sendInvoice(terminal, preliminary);
    running.sim.customerConfirm({ invoiceReference });
    const reserved = await client.getPaymentStatus(terminal, invoiceReference, 1);
    expect(reserved.status).toBe("RESERVED");
    expect(reserved.ersReference).toBeUndefined();
    const final: Invoice = { ...preliminary, invoiceRows: [{ itemDescription: "Diesel", itemQuantity: "23.456", itemTotalAmount: money("SEK", 41250) }], totalAmount: money("SEK", 41250) };
    expect((await client.updateInvoice(terminal, invoiceReference, final)).resultCode).toBe(0);
    await expectCode(client.commitReservation(terminal, invoiceReference, money("SEK", 50001)), 11);
    expect((await client.commitReservation(terminal, invoiceReference, money("SEK", 41250))).resultCode).toBe(0);
    const paid = await client.getPaymentStatus(terminal, invoiceReference, reserved.version);
    expect(paid.status).toBe("PAID");
    expect(paid.receipt?.invoice?.totalAmount).toEqual({ currency: "SEK", minor: 41250 });
    await expectCode(client.commitReservation(terminal, invoiceReference), 96);
  });

  it("lets a reservation lapse to CANCELED when it is not committed in time", async () => {
    const { invoiceReference } = await client.sendInvoice(terminal, { paymentMode: "RESERVATION_REQUIRED", title: "x", totalAmount: money("SEK", 100), commitReservationTimeout: 60 });
    running.sim.customerConfirm({ invoiceReference });
    running.sim.advanceClock(61);
    expect((await client.getPaymentStatus(terminal, invoiceReference, 0)).status).toBe("CANCELED");
    await expectCode(client.commitReservation(terminal, invoiceReference), 96);
  });

  it("closes a reconciliation period and reads its reports (REPORT_NOT_READY first)", async () => {
    await paidInvoice();
    const period = await client.markTransactionPeriod(shopPrincipal);
    expect(period.transactionPeriodId).toMatch(/^\d{25}$/);
    const params = { transactionPeriodId: period.transactionPeriodId };
    const notReady = await glaseError(client.executeReport(shopPrincipal, "Reconciliation/Shop.xml", "en", params));
    expect(notReady.resultCode).toBe(2);
    expect(notReady.resultClass).toBe("not-ready");
    const report = await client.executeReport(shopPrincipal, "Reconciliation/Shop.xml", "en", params);
    expect(report.report.contentString).toContain("<SalesCount>1</SalesCount>");
    expect(Buffer.from(report.report.content!).toString("utf8")).toBe(report.report.contentString);
    await expectCode(client.executeReport(shopPrincipal, "Reconciliation/STD_RECON_005.xml", "en", params), 91);

    const tillPeriod = await client.markTransactionPeriod(shopPrincipal, { TERMINALID: terminal.terminalId });
    const tillParams = { transactionPeriodId: tillPeriod.transactionPeriodId, TERMINALID: terminal.terminalId };
    await expectCode(client.executeReport(shopPrincipal, "Reconciliation/STD_RECON_006.xml", "en", tillParams), 2);
    expect((await client.executeReport(shopPrincipal, "Reconciliation/STD_RECON_006.xml", "en", tillParams)).report.title).toContain("STD_RECON_006");
  });
});

describe("client ↔ simulator: credential and account codes", () => {
  beforeEach(() =>
    start({
      shops: [
        { resellerId: "reseller", password: "2009" },
        { resellerId: "norefunds", password: "2009", allowRefunds: false },
        { resellerId: "bankrefuses", password: "2009", receiverAllowsRefunds: false },
      ],
      terminals: [
        { id: "0460000300002010", password: "2009" },
        { id: "shortpw", password: "abc" },
        { id: "blocked", password: "2009", blocked: true },
        { id: "nr", password: "2009", resellerId: "norefunds" },
        { id: "br", password: "2009", resellerId: "bankrefuses" },
      ],
    }),
  );

  it("maps 20/21/29/33/37 to GlaseError with the credentials class", async () => {
    const cases: Array<[Promise<unknown>, number]> = [
      [client.sendInvoice({ ...terminal, password: "wrong" }, bakery), 20],
      [client.getPaymentStatus({ terminalId: "shortpw", password: "abc" }, undefined, 0), 21],
      [client.cancelInvoice({ terminalId: "unknown", password: "2009" }, "1"), 29],
      [client.sendInvoice({ terminalId: "blocked", password: "2009" }, bakery), 33],
      [client.registerTerminal({ ...shop, resellerId: "nobody" }, "x", "pw-1234", "x"), 37],
    ];
    for (const [call, code] of cases) {
      const err = await glaseError(call);
      expect(err.resultCode).toBe(code);
      expect(err.resultClass).toBe("credentials");
    }
  });

  it("reports refunds refused by the shop (97) and by the receiver's bank (99)", async () => {
    for (const [terminalId, code] of [["nr", 97], ["br", 99]] as const) {
      const till = { terminalId, password: "2009" };
      const { invoiceReference } = await client.sendInvoice(till, bakery);
      running.sim.customerConfirm({ invoiceReference });
      const { ersReference } = await client.getPaymentStatus(till, invoiceReference, 1);
      await expectCode(client.refundPayment(till, ersReference!, { title: "Refund", totalAmount: money("SEK", 100) }), code);
    }
  });
});

describe("client ↔ simulator: injected faults", () => {
  beforeEach(() => start());

  it("surfaces the temporary codes 90/93/94 as GlaseError (class temporary), then works again", async () => {
    for (const code of [90, 93, 94]) {
      running.sim.injectFault({ operation: "sendInvoice", resultCode: code, count: 1 });
      const err = await glaseError(client.sendInvoice(terminal, bakery));
      expect([err.resultCode, err.resultClass]).toEqual([code, "temporary"]);
    }
    expect((await client.sendInvoice(terminal, bakery)).resultCode).toBe(0);
  });

  it("a dropped connection is reset/indefinite, and with afterProcessing the server state shows it happened", async () => {
    running.sim.injectFault({ operation: "sendInvoice", kind: "drop", count: 1 });
    const lost = await transportError(client.sendInvoice(terminal, bakery, undefined, { clientReference: "tx-drop-1" }));
    expect([lost.kind, lost.indefinite, lost.context.clientReference]).toEqual(["reset", true, "tx-drop-1"]);

    const { invoiceReference } = await client.sendInvoice(terminal, { paymentMode: "RESERVATION_REQUIRED", title: "x", totalAmount: money("SEK", 100), commitReservationTimeout: 60 });
    running.sim.customerConfirm({ invoiceReference });
    running.sim.injectFault({ operation: "commitReservation", kind: "drop", count: 1, afterProcessing: true });
    const commit = await transportError(client.commitReservation(terminal, invoiceReference));
    expect([commit.kind, commit.indefinite]).toEqual(["reset", true]);
    // "We do not know" is resolved by reading state, not by re-sending (§6.15).
    expect((await client.getPaymentStatus(terminal, invoiceReference, 0)).status).toBe("PAID");
  });

  it("a latency beyond the call's timeout is a timeout/indefinite", async () => {
    running.sim.injectFault({ operation: "getPaymentStatus", kind: "latency", latencyMs: 3000, count: 1 });
    const err = await transportError(client.getPaymentStatus(terminal, undefined, 0, { timeoutMs: 300 }));
    expect([err.kind, err.indefinite]).toEqual(["timeout", true]);
  });

  it("HTTP 500 is http-status/indefinite", async () => {
    running.sim.injectFault({ operation: "cancelInvoice", kind: "http500", count: 1 });
    const err = await transportError(client.cancelInvoice(terminal, "1"));
    expect([err.kind, err.indefinite, err.context.httpStatus]).toEqual(["http-status", true, 500]);
  });

  it("malformed XML is unparsable/indefinite", async () => {
    running.sim.injectFault({ operation: "refundPayment", kind: "malformed", count: 1 });
    const err = await transportError(client.refundPayment(terminal, "1", { title: "r", totalAmount: money("SEK", 100) }));
    expect([err.kind, err.indefinite]).toEqual(["unparsable", true]);
  });

  it("a refused connection (closed port) is refused/definite", async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const closed = await GlaseClient.create({ endpoint: `http://127.0.0.1:${port}/soap/merchant/cashregister-2`, clientId: "t", timeoutMs: 10_000, logger: captureLogger().logger });
    const err = await transportError(closed.sendInvoice(terminal, bakery));
    closed.close();
    expect([err.kind, err.indefinite]).toEqual(["refused", false]);
  });
});
