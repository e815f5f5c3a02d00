// A refund is checked against the payment it refunds before anything reaches Glase — the real
// daemon against the simulator. Two technicians racing partial refunds of one payment (one of
// them with the reference pasted with blanks around it) get one refund, not two; an Invoice
// Service payment (it has no receipt in the payment journal, only in invoices.sqlite) is checked
// too; a reference the agent has no record of (a typo could be another customer's payment) is
// refused unless --force, and a forced one is journaled as forced.
import { writeFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import type { FlowSummary, JournalEntry, StoredReceipt } from "../../agent/engine-api.ts";
import { mountInvoiceService } from "../../simulator/invoice-service/index.ts";
import { AgentProcess, eventually, Site } from "../durability/site.ts";
import { freePort } from "../support/free-port.ts";
import { writeNotificationToken } from "./station-config.ts";

const TOKEN = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
let site: Site;
let agent: AgentProcess;
let status: ControlClient;
const admins: ControlClient[] = [];

beforeAll(async () => {
  site = await Site.open();
  const state = join(site.dir, "state");
  const configFile = await site.config("refunds", state);
  const secretFile = join(site.dir, "issuer.secret");
  await writeFile(secretFile, "refund-kiosk-secret\n", { mode: 0o600 });
  const port = await freePort();
  const doc = parse(await readFile(configFile, "utf8"));
  doc.invoiceService = {
    issuerName: "refund-kiosk",
    secretFile,
    notificationTokenFile: await writeNotificationToken(site.dir, TOKEN),
    listen: `127.0.0.1:${port}`,
    publicUrl: `http://127.0.0.1:${port}/glase/notify`,
    detailsBaseUrl: site.sim.url,
  };
  await writeFile(configFile, stringify(doc));
  mountInvoiceService(site.sim, { issuers: [{ name: "refund-kiosk", secret: "refund-kiosk-secret", notificationUrl: `http://127.0.0.1:${port}/glase/notify/${TOKEN}` }] });
  agent = await AgentProcess.start(configFile);
  await agent.ready(60_000);
  const run = site.socketDir("refunds", state);
  status = await ControlClient.connect(join(run, "status.sock"));
  for (let i = 0; i < 2; i++) admins.push(await ControlClient.connect(join(run, "admin.sock")));
}, 120_000);

afterAll(async () => {
  status?.close();
  for (const a of admins) a.close();
  await agent?.dispose();
  await site?.close();
});

const refundFlows = async () => (await status.request<FlowSummary[]>("flows", { all: true })).filter((f) => f.kind === "refund");

describe("refunds are checked before anything is sent", () => {
  it("two racing partial refunds of one payment (one reference pasted with blanks): one is sent, the other refused", async () => {
    await site.sale(status, 1, 3_000);
    const [receipt] = await status.request<StoredReceipt[]>("receipts");
    const paid = receipt!.content.amountMinor;
    const part = Math.floor(paid * 0.6);
    const results = await Promise.allSettled([
      admins[0]!.request("refund", { ersReference: receipt!.ersReference, amountMinor: part }),
      admins[1]!.request("refund", { ersReference: `  ${receipt!.ersReference} `, amountMinor: part, point: 1 }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(String(refused.reason)).toMatch(new RegExp(`exceeds what is left of payment ${receipt!.ersReference}: paid .*, refunded .*, left `));
    expect(await refundFlows()).toEqual([expect.objectContaining({ outcome: "refunded", amountMinor: part })]);
  }, 120_000);

  it("an Invoice Service payment is checked against invoices.sqlite (and names the terminal to use)", async () => {
    const issued = await admins[0]!.request<{ qr: string }>("issue-invoice", { amountMinor: 4_900, description: "Car wash", reference: "WASH-R1" });
    const pay = await fetch(`${site.sim.url}/__sim/invoice/pay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ qr: issued.qr }) });
    expect(pay.status).toBe(200);
    const invoice = await eventually(
      async () => (await status.request<{ invoices: Array<{ reference: string; state: string; ersReference: string | null }> }>("invoices")).invoices.find((i) => i.reference === "WASH-R1" && i.state === "released"),
      60_000,
      "the invoice released",
    );
    const before = (await refundFlows()).length;
    await expect(admins[0]!.request("refund", { ersReference: invoice.ersReference!, amountMinor: 100 })).rejects.toThrow(/Invoice Service payment: give --point/);
    await expect(admins[0]!.request("refund", { ersReference: invoice.ersReference!, amountMinor: 4_901, point: 1 })).rejects.toThrow(/refund of 49\.01 SEK exceeds what is left of payment .*: paid 49\.00, refunded 0\.00/);
    expect(await refundFlows()).toHaveLength(before); // nothing was sent
  }, 120_000);

  it("a reference the agent has no record of is refused unless --force; a forced one is journaled as forced", async () => {
    const before = (await refundFlows()).length;
    await expect(admins[0]!.request("refund", { ersReference: "991234567", amountMinor: 100, point: 1 })).rejects.toThrow(/no payment 991234567 is known to this agent .*--force/);
    await expect(admins[0]!.request("refund", { ersReference: "99 1234567", amountMinor: 100, point: 1 })).rejects.toThrow(/not a payment reference/);
    expect(await refundFlows()).toHaveLength(before);
    // Forced: sent (Glase does not know it either, so it fails there) — and the audit trail says it was forced.
    await admins[0]!.request("refund", { ersReference: "991234567", amountMinor: 100, point: 1, force: true }).catch(() => undefined);
    expect(await refundFlows()).toHaveLength(before + 1);
    const journal = await status.request<JournalEntry[]>("journal", { n: 50 });
    expect(journal.some((e) => /^admin refund ersReference=991234567 amountMinor=100 point=1 force=true by /.test(e.input))).toBe(true);
    expect(agent.output).toMatch(/refund-forced ersReference=991234567/);
  }, 120_000);
});
