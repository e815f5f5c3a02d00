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


// FINAL-2 (HIGH): send-watches.ts:136 — `finished.length < RECOVERY_WINDOW ? "all"` takes "the
// journal holds fewer than 200 finished sales" for "the window held every sale". Compaction
// (engine/compaction.ts:37, retentionDays) deletes finished flows: a kiosk whose last sale B is
// older than the retention is marked known with claims [] and its watch tells B's PAID (still the
// terminal's current invoice, §9 A12) "nothing was released for it ... ctl refund E-B".
it("a released sale compacted out of the journal is not alarmed as an unclaimed payment to refund", async () => {
  dir = mkdtempSync(join(tmpdir(), "final-2-"));
  const journalPath = join(dir, "journal.db");
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  station = await openStation({ journalPath, endpoint: sim.endpoint, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });
  await station.engine.start();
  const b = await station.engine.startPosPayment(9, 990);
  await until("B paid", () => flows().find((x) => x.flowId === b && x.finished), 10000);
  expect(flows().find((x) => x.flowId === b)!.outcome).toBe("paid");
  const ersB = (((await station.journal.flows({ kind: "pos", limit: 10 })).find((f) => f.flowId === b)!.state) as { ersReference?: string }).ersReference!;
  sim.sim.setAutoCustomer({ enabled: false });
  // The quiet kiosk sells nothing for longer than the retention: compaction (the journal's own) removes B.
  expect(await station.journal.compact(Date.now() + 1)).toBeGreaterThan(0);
  expect((await station.journal.flows({ kinds: ["pos", "preliminary"], finished: true, limit: 200 })).length).toBe(0);
  await station.close();
  station = await openStation({ journalPath, endpoint: sim.endpoint, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });
  await station.engine.start();
  sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 3000, count: 1 });
  const c = await station.engine.startPosPayment(9, 500);
  await station.engine.cancelPosPayment(c);
  await until("C ended", () => flows().find((x) => x.flowId === c && x.finished), 5000);
  await until("watch", () => flows().find((x) => x.kind === "send-watch"), 3000);
  await until("C's late invoice", () => sim!.sim.dump().invoices.some((i) => i.invoice.clientInvoiceId === c), 6000);
  const told = station.engine.snapshot().alarms.filter((x) => x.code === "paid-unclaimed" && x.message.includes(ersB) && x.message.includes("ctl refund"));
  expect(told.map((x) => x.message)).toEqual([]);
}, 60000);
