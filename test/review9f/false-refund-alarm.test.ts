// Review 5 (issue 9) #2 MEDIUM: review 4 P's fix alarms a PAID without receipt.clientInvoiceId
// (§4.7 0..1) that the watch reads on the idle till, unless its ersReference is "claimed" — but a
// watch learns claims only from flows that END WHILE IT RUNS (send-watches.ts ended(): `claimed` is
// fed to a running watch only). When the lost send's flow ended without an invoice of its own
// replacing the terminal's current one (the customer cancelled while its sendInvoice hung), the
// current invoice is still the PREVIOUS customer's sale — paid, released, finished before the watch
// started. The watch's first read shows it, and it is alarmed paid-unclaimed: "no sale claims it and
// nothing was released for it … refund it: ctl refund E-B 9.90". A technician who follows it refunds
// a sale whose product went out (money out twice: product + refund).
// SOAP loopback, strict profile. Non-wire part: a Glase whose receipts carry no clientInvoiceId (the
// premise of review 4 P) — the proxy strips it from every getPaymentStatus answer.
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

it("the previous customer's released sale is not alarmed as an unclaimed payment to refund", async () => {
  dir = mkdtempSync(join(tmpdir(), "rv9-5-2-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });
  await station.engine.start();

  // Sale B: paid, released, finished (no watch runs yet).
  const b = await station.engine.startPosPayment(9, 990);
  await until("B paid", () => flows().find((x) => x.flowId === b && x.finished), 10000);
  const bFlow = flows().find((x) => x.flowId === b)!;
  expect(bFlow.outcome).toBe("paid");
  const ersB = (await station.journal.flows({ kind: "pos", limit: 10 })).map((f) => f.state as { flowId: string; ersReference?: string }).find((s) => s.flowId === b)!.ersReference!;
  expect(ersB).toBeTruthy();
  sim.sim.setAutoCustomer({ enabled: false });

  // Sale C: its sendInvoice hangs (applied 3 s late); the customer cancels at once. C ends cancelled
  // with the send lost; B's PAID invoice is still the terminal's current one. The watch starts.
  sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 3000, count: 1 });
  const c = await station.engine.startPosPayment(9, 500);
  await station.engine.cancelPosPayment(c);
  await until("C ended", () => flows().find((x) => x.flowId === c && x.finished), 5000);
  await until("watch read", () => flows().find((x) => x.kind === "send-watch"), 3000);
  // By the time C's late invoice lands (~3 s) the watch has read the current invoice (B's) many times.
  await until("C's late invoice", () => sim!.sim.dump().invoices.some((i) => i.invoice.clientInvoiceId === c), 6000);

  const told = station.engine.snapshot().alarms.filter((a) => a.code === "paid-unclaimed" && a.message.includes(ersB));
  // On this code: "…was paid (E-B, 9.90 SEK) … no sale claims it and nothing was released for it; check it in Glase, then refund it: ctl refund E-B 9.90".
  expect(told.map((a) => a.message)).toEqual([]);
}, 30000);
