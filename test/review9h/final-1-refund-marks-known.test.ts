// Review 6 (issue 9) HIGH: review 5 #2's fix seeds a watch's claims from the journal at start —
// send-watches.ts recoverHandOvers reads the newest RECOVERY_WINDOW (200) finished pos/preliminary
// flows STATION-WIDE (:114) and then marks claimsLoaded = true (:125). A terminal whose last sale is
// older than the station's last 200 sales (a quiet kiosk overnight while the pumps sell) gets
// `claimed: []` with claimsUnknown unset, so a PAID of its current invoice (that old, released sale;
// §9 A12) without receipt.clientInvoiceId is alarmed "no sale of this terminal in the journal claims
// it, so nothing was released for it; ... refund it: ctl refund E-B 9.90" — though the journal holds
// that very sale. A technician who follows it refunds a released sale (money out twice).
// SOAP loopback, strict profile, real journal file; the 200 later sales of the other pumps are
// written into the journal as finished flows (copies of B's finished state, other terminal/point/ERS),
// then the station restarts. Same Glase proxy as review 5's test (receipts without clientInvoiceId).
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


// FINAL-1 (HIGH): send-watches.ts:68 — remember() marks a terminal KNOWN whenever a flow with an
// ersReference ends on it in this run (ended():104), and a refund flow's claimOf() is the REFUNDED
// sale's ersReference (:44-46). A refund of an older sale A is no sale on the terminal (no invoice
// sent): B, the terminal's last released sale, outside the 200-sale window, is still unknown — but
// the terminal is now "known" with claims [A], and the next watch (launch():157) tells B's PAID
// "no sale of this terminal in the journal claims it ... refund it: ctl refund E-B".
it("a refund of an older sale does not make a quiet terminal's recent sales 'known'", async () => {
  dir = mkdtempSync(join(tmpdir(), "final-1-"));
  const journalPath = join(dir, "journal.db");
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  station = await openStation({ journalPath, endpoint: sim.endpoint, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });
  await station.engine.start();
  const ersOf = async (id: string) => (((await station!.journal.flows({ kind: "pos", limit: 10 })).find((f) => f.flowId === id)!.state) as { ersReference?: string }).ersReference!;
  // Sale A, then sale B on the kiosk: both paid and released. B's PAID is the terminal's current invoice.
  const a = await station.engine.startPosPayment(9, 700);
  await until("A paid", () => flows().find((x) => x.flowId === a && x.finished), 10000);
  const b = await station.engine.startPosPayment(9, 990);
  await until("B paid", () => flows().find((x) => x.flowId === b && x.finished), 10000);
  expect(flows().find((x) => x.flowId === b)!.outcome).toBe("paid");
  const ersA = await ersOf(a);
  const ersB = await ersOf(b);
  const rec = (await station.journal.flows({ kind: "pos", limit: 10 })).find((f) => f.flowId === b)!;
  sim.sim.setAutoCustomer({ enabled: false });
  // 200 later sales of the pumps (other terminal) push A and B out of the recovery window.
  const at0 = Date.now() + 1000;
  for (let i = 0; i < 200; i++) {
    const flowId = `OTHER-${i}`;
    const state = { ...(rec.state as object), flowId, point: 3, terminalId: "T-OTHER-PUMP", ersReference: `E-OTHER-${i}` };
    await station.journal.append({ flowId, kind: "pos", point: 3, terminalId: "T-OTHER-PUMP", at: at0 + i, input: { type: "start" }, state, stateName: rec.stateName, finished: true, parked: false, effects: [] });
  }
  await station.close();
  station = await openStation({ journalPath, endpoint: sim.endpoint, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });
  await station.engine.start();
  // A technician refunds part of the OLDER sale A (a customer complaint). No invoice goes to the terminal.
  const refund = await station.engine.startRefund({ point: 9, ersReference: ersA, amountMinor: 100 });
  expect(refund.refundErsReference).toBeTruthy();
  // Sale C: its sendInvoice hangs (lands 3 s late), the customer cancels: C's watch reads B's PAID.
  sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 3000, count: 1 });
  const c = await station.engine.startPosPayment(9, 500);
  await station.engine.cancelPosPayment(c);
  await until("C ended", () => flows().find((x) => x.flowId === c && x.finished), 5000);
  await until("watch", () => flows().find((x) => x.kind === "send-watch"), 3000);
  await until("C's late invoice", () => sim!.sim.dump().invoices.some((i) => i.invoice.clientInvoiceId === c), 6000);
  const told = station.engine.snapshot().alarms.filter((x) => x.code === "paid-unclaimed" && x.message.includes(ersB) && x.message.includes("ctl refund"));
  // On this code: "... no sale of this terminal in the journal claims it, so nothing was released for it; ... refund it: ctl refund E-B 9.90".
  expect(told.map((x) => x.message)).toEqual([]);
}, 60000);
