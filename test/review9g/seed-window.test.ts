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

it("a released sale older than the station's last 200 sales is not alarmed as an unclaimed payment to refund", async () => {
  dir = mkdtempSync(join(tmpdir(), "rv9-6-1-"));
  const journalPath = join(dir, "journal.db");
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  station = await openStation({ journalPath, endpoint: sim.endpoint, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });
  await station.engine.start();

  // Sale B on the kiosk (point 9): paid, released, finished.
  const b = await station.engine.startPosPayment(9, 990);
  await until("B paid", () => flows().find((x) => x.flowId === b && x.finished), 10000);
  expect(flows().find((x) => x.flowId === b)!.outcome).toBe("paid");
  const rec = (await station.journal.flows({ kind: "pos", limit: 10 })).find((f) => f.flowId === b)!;
  const ersB = (rec.state as { ersReference?: string }).ersReference!;
  expect(ersB).toBeTruthy();
  sim.sim.setAutoCustomer({ enabled: false });

  // Overnight the other pumps sell 200 times (finished flows on another terminal, newer than B).
  const at0 = Date.now() + 1000;
  for (let i = 0; i < 200; i++) {
    const flowId = `OTHER-${i}`;
    const state = { ...(rec.state as object), flowId, point: 3, terminalId: "T-OTHER-PUMP", ersReference: `E-OTHER-${i}` };
    await station.journal.append({ flowId, kind: "pos", point: 3, terminalId: "T-OTHER-PUMP", at: at0 + i, input: { type: "start" }, state, stateName: rec.stateName, finished: true, parked: false, effects: [] });
  }

  // Restart (an update at 03:00).
  await station.close();
  station = await openStation({ journalPath, endpoint: sim.endpoint, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });
  await station.engine.start();

  // Sale C on the kiosk: its sendInvoice hangs (applied 3 s late); the customer cancels. B's PAID is
  // still the terminal's current invoice; C's watch reads it.
  sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 3000, count: 1 });
  const c = await station.engine.startPosPayment(9, 500);
  await station.engine.cancelPosPayment(c);
  await until("C ended", () => flows().find((x) => x.flowId === c && x.finished), 5000);
  await until("watch", () => flows().find((x) => x.kind === "send-watch"), 3000);
  await until("C's late invoice", () => sim!.sim.dump().invoices.some((i) => i.invoice.clientInvoiceId === c), 6000);

  const told = station.engine.snapshot().alarms.filter((a) => a.code === "paid-unclaimed" && a.message.includes(ersB) && a.message.includes("ctl refund"));
  // On this code: "... was paid (E-B, 9.90 SEK) ... no sale of this terminal in the journal claims it, so nothing was released for it; check it in Glase, then refund it: ctl refund E-B 9.90".
  expect(told.map((a) => a.message)).toEqual([]);
}, 40000);
