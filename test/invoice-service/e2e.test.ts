// End to end on real parts: the Glase simulator with the Invoice Service mounted on its port
// (issuers from its provisioning), the agent issuer, the real ESC/POS driver printing over TCP to
// the virtual printer. The QR is read back from the printed slip, paid, notified, fetched,
// released once, and the paid receipt comes out of the printer.
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { openInvoiceIssuer, type InvoiceIssuer } from "../../agent/invoice-service/issuer.ts";
import type { InvoiceRecord } from "../../agent/invoice-service/store.ts";
import { createReceiptPrinter } from "../../drivers/printer/printer-factory.ts";
import type { ReceiptPrinter } from "../../drivers/printer/contract.ts";
import { SimClock } from "../../simulator/clock.ts";
import { VirtualPrinter } from "../../simulator/devices/virtual-printer.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { mountInvoiceService } from "../../simulator/invoice-service/index.ts";
import { freePort, silentLog, tempDir, TOKEN, waitFor, writeSecret, writeToken } from "./helpers.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

it("issues a QR slip, gets paid through the simulator, releases once and prints the receipt", async () => {
  const dir = await tempDir();
  cleanups.push(dir.remove);
  const virtualPrinter = await VirtualPrinter.listen();
  cleanups.push(() => virtualPrinter.close());
  const printer: ReceiptPrinter = createReceiptPrinter({ kind: "tcp", host: "127.0.0.1", port: virtualPrinter.port, width: 58 });
  cleanups.push(() => printer.close());

  const agentPort = await freePort();
  const secret = "wash-secret-9f2c";
  const clock = new SimClock({ manual: true, start: Date.UTC(2024, 2, 15, 13, 22, 9) });
  const glase: RunningGlaseSimulator = await startGlaseSimulator({
    clock,
    provision: parseProvisioning({ issuers: [{ name: "example-wash", secret, notificationUrl: `http://127.0.0.1:${agentPort}/glase/notify/${TOKEN}` }] }),
  });
  cleanups.push(() => glase.close());
  const invoiceService = mountInvoiceService(glase);
  cleanups.push(async () => invoiceService.close());

  const released: InvoiceRecord[] = [];
  const agent: InvoiceIssuer = await openInvoiceIssuer(
    {
      issuerName: "example-wash",
      secretFile: await writeSecret(dir.path, secret),
      notificationTokenFile: await writeToken(dir.path),
      listen: `127.0.0.1:${agentPort}`,
      publicUrl: "https://wash.example/glase/notify",
      detailsBaseUrl: glase.url,
    },
    {
      journalPath: join(dir.path, "invoices.sqlite"),
      printer,
      release: async (invoice) => void released.push(invoice),
      receiptHeader: { stationName: "Example Wash", terminalId: "wash-1" },
      log: silentLog,
    },
  );
  cleanups.push(() => agent.close());

  const slipPrinted = virtualPrinter.nextReceipt(20_000);
  const invoice = await agent.issue({ amountMinor: 14_900, currency: "SEK", description: "Wash program 3", reference: "WASH-2024-0042" });
  const slip = await slipPrinted;
  expect(slip.qrCodes).toEqual([invoice.qr]);
  expect(slip.text).toContain("WASH-2024-0042");

  // The customer scans the printed code and pays it.
  const receiptPrinted = virtualPrinter.nextReceipt(20_000);
  const pay = await fetch(`${glase.url}/__sim/invoice/pay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ qr: slip.qrCodes[0] }) });
  expect(pay.status).toBe(200);
  const { invoiceId, ersReference } = (await pay.json()) as { invoiceId: number; ersReference: string };

  const receipt = await receiptPrinted;
  expect(receipt.text).toContain(ersReference);
  expect(receipt.text).toContain("149.00");
  expect(receipt.qrCodes).toEqual([]);
  await agent.settled();
  expect(released).toHaveLength(1);
  expect(released[0]).toMatchObject({ reference: "WASH-2024-0042", glaseInvoiceId: invoiceId, ersReference });
  expect(await agent.listInvoices()).toEqual([
    expect.objectContaining({ reference: "WASH-2024-0042", state: "released", qrPrint: "printed", receiptPrint: "printed", glaseInvoiceId: invoiceId }),
  ]);

  // The simulator saw one successful notification and schedules nothing more.
  clock.advance(48 * 3600 * 1000);
  const state = (await (await fetch(`${glase.url}/__sim/invoice/state`)).json()) as { invoices: { notification: { state: string; attempts: { status: number }[] } }[] };
  expect(state.invoices[0]!.notification).toMatchObject({ state: "delivered", attempts: [{ status: 200 }] });
  expect(released).toHaveLength(1);
  expect(virtualPrinter.receipts).toHaveLength(2);
});

it("retries on the Glase simulator's clock: agent down at payment, up for attempt 2 (POST /__sim/clock)", async () => {
  const dir = await tempDir();
  cleanups.push(dir.remove);
  const agentPort = await freePort();
  const secret = "wash-secret-9f2c";
  const glase = await startGlaseSimulator({
    clock: new SimClock({ manual: true }),
    provision: parseProvisioning({ issuers: [{ name: "example-wash", secret, notificationUrl: `http://127.0.0.1:${agentPort}/glase/notify/${TOKEN}` }] }),
  });
  cleanups.push(() => glase.close());
  const invoiceService = mountInvoiceService(glase);
  cleanups.push(async () => invoiceService.close());
  const released: InvoiceRecord[] = [];
  const open = async () =>
    openInvoiceIssuer(
      { issuerName: "example-wash", secretFile: await writeSecret(dir.path, secret), notificationTokenFile: await writeToken(dir.path), listen: `127.0.0.1:${agentPort}`, publicUrl: "https://wash.example/glase/notify", detailsBaseUrl: glase.url },
      { journalPath: join(dir.path, "invoices.sqlite"), release: async (i) => void released.push(i), log: silentLog },
    );
  let agent = await open();
  const invoice = await agent.issue({ amountMinor: 2_000, currency: "SEK", description: "Vacuum 10 min", reference: "VAC-9" });
  await agent.close();

  const post = (path: string, body: unknown) => fetch(`${glase.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const attempts = async () =>
    ((await (await fetch(`${glase.url}/__sim/invoice/state`)).json()) as { invoices: { notification: { attempts: { status: number | null }[] } }[] }).invoices[0]!.notification.attempts;
  expect((await post("/__sim/invoice/pay", { qr: invoice.qr })).status).toBe(200);
  await waitFor("attempt 1", async () => (await attempts()).length === 1);
  expect((await attempts())[0]!.status).toBeNull();

  agent = await open();
  cleanups.push(() => agent.close());
  expect((await post("/__sim/clock", { advanceSeconds: 10 })).status).toBe(200);
  await waitFor("attempt 2", async () => (await attempts()).length === 2);
  expect((await attempts())[1]!.status).toBe(200);
  await waitFor("release", () => released.length === 1);
  await agent.settled();
  expect(released).toEqual([expect.objectContaining({ reference: "VAC-9", state: "releasing" })]);
});
