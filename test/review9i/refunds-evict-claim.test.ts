// Review 7 (issue 9): the claims a lost-send watch judges a PAID without clientInvoiceId by are a
// bounded list per terminal (send-watches.ts CLAIMS_KEPT = 20, :29/:72; the watch's own CLAIMED_KEPT
// = 20, send-watch.ts:44/:304), and a REFUND flow's claim (claimOf, :45: the refunded sale's
// ersReference) is pushed onto it like a sale's (:108, :111). FINAL-1's fix stopped a refund from
// marking the terminal known, but it still evicts: after 20 refunds (of 20 distinct earlier sales:
// a price correction of a day's kiosk sales) the terminal's LAST sale B — its current invoice
// (§9 A12; a refund sends no invoice) — is no longer claimed while the terminal stays "known". The
// next lost send's watch then reads B's PAID and alarms "no sale of this terminal in the journal
// claims it, so nothing was released for it ... refund it: ctl refund E-B 9.90" for a released sale.
// SOAP loopback, strict profile, real journal file, no restart. Receipts without clientInvoiceId
// (§4.7 0..1, review 4 P's premise) through the shared wrapper.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import type { EngineSettings } from "../../agent/engine-api.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, openStation, until, type Station } from "../flows/harness/station.ts";
import { noClientInvoiceId } from "../flows/harness/no-client-invoice-id.ts";

let dir: string | undefined;
let sim: RunningGlaseSimulator | undefined;
let station: Station | undefined;
const SETTINGS: Partial<EngineSettings> = { glaseCallTimeoutMs: 300, statusCallTimeoutMs: 3000 };
afterEach(async () => {
  await station?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  station = sim = dir = undefined;
});
const flows = () => station!.engine.snapshot().flows;

it("20 refunds of earlier sales do not push the terminal's last released sale out of the watch's claims", async () => {
  dir = mkdtempSync(join(tmpdir(), "r7-evict-"));
  const journalPath = join(dir, "journal.db");
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 50 });
  station = await openStation({ journalPath, endpoint: sim.endpoint, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });
  await station.engine.start();
  const ersOf = async (id: string) => (((await station!.journal.flows({ kind: "pos", limit: 100 })).find((f) => f.flowId === id)!.state) as { ersReference?: string }).ersReference!;
  // 20 sales of the day, then B, the kiosk's last sale: all paid and released.
  const day: string[] = [];
  const n = Number(process.env.R7_REFUNDS ?? 20); // control: R7_REFUNDS=19 passes
  for (let i = 0; i < n; i++) {
    const s = await station.engine.startPosPayment(9, 500 + i);
    await until(`sale ${i}`, () => flows().find((x) => x.flowId === s && x.finished), 10000);
    day.push(await ersOf(s));
  }
  const b = await station.engine.startPosPayment(9, 990);
  await until("B paid", () => flows().find((x) => x.flowId === b && x.finished), 10000);
  expect(flows().find((x) => x.flowId === b)!.outcome).toBe("paid");
  const ersB = await ersOf(b);
  sim.sim.setAutoCustomer({ enabled: false });
  // A price correction: the technician refunds 1.00 of each of the day's 20 earlier sales. No invoice goes to the terminal.
  for (const ers of day) {
    const r = await station.engine.startRefund({ point: 9, ersReference: ers, amountMinor: 100 });
    expect(r.refundErsReference).toBeTruthy();
  }
  // Sale C: its sendInvoice hangs (lands 3 s late), the customer cancels: C's watch reads B's PAID (the current invoice).
  sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 3000, count: 1 });
  const c = await station.engine.startPosPayment(9, 500);
  await station.engine.cancelPosPayment(c);
  await until("C ended", () => flows().find((x) => x.flowId === c && x.finished), 5000);
  await until("watch", () => flows().find((x) => x.kind === "send-watch"), 3000);
  await until("C's late invoice", () => sim!.sim.dump().invoices.some((i) => i.invoice.clientInvoiceId === c), 6000);
  const told = station.engine.snapshot().alarms.filter((x) => x.code === "paid-unclaimed" && x.message.includes(ersB) && x.message.includes("ctl refund"));
  // On b25f978: "... no sale of this terminal in the journal claims it, so nothing was released for it; ... ctl refund <E-B> 9.90".
  expect(told.map((x) => x.message)).toEqual([]);
}, 120000);
