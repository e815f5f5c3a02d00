// Review 7 (issue 9): a paid-unclaimed alarm — a customer paid a late invoice of a lost send, the
// watch's read kept the payment (§6.3: it is not reversed) and nothing was released — is the only
// record that the customer's money must be given back. It is raised in the same step that ends
// the watch (send-watch.ts paidLate :99-107 takes the lost send off; settleOrGo :92 finishes the
// watch), and alarms live in memory (agent/engine/alarm-log.ts; the daemon's book and the alert
// outbox too). Recovery re-raises the alarms of PARKED flows only (agent/core/transition.ts
// recover path), so a restart before a technician has read it (an update, a power cut; an
// unattended station is visited days apart) loses it for good: the watch is finished, its
// paidSeen is in the journal, nothing tells anyone. The customer paid and got nothing.
// SOAP loopback, strict profile, real journal file, restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import type { EngineSettings } from "../../agent/engine-api.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, openStation, until, type Station } from "../flows/harness/station.ts";

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

it("a paid-unclaimed alarm (a customer's payment to give back) is told again after a restart", async () => {
  dir = mkdtempSync(join(tmpdir(), "r7-restart-"));
  const journalPath = join(dir, "journal.db");
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  station = await openStation({ journalPath, endpoint: sim.endpoint, pointIds: [9], settings: SETTINGS });
  await station.engine.start();
  // Sale A: its first sendInvoice is applied 3 s late; A re-sends, is paid, released, ends: a watch.
  sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 3000, count: 1 });
  const a = await station.engine.startPosPayment(9, 990);
  await until("A paid", () => flows().find((x) => x.flowId === a && x.finished), 10000);
  await until("watch", () => flows().find((x) => x.kind === "send-watch" && !x.finished), 3000);
  // The watch's superseders are refused (Glase link trouble): a customer pays A's late invoice.
  sim.sim.injectFault({ operation: "sendInvoice", kind: "result", resultCode: 33, count: 50, afterProcessing: false });
  const alarm = await until("paid-unclaimed", () => station!.engine.snapshot().alarms.find((x) => x.code === "paid-unclaimed"), 10000);
  const ers = /ctl refund (\S+)/.exec(alarm.message)![1]!;
  await until("watch finished", () => flows().find((x) => x.kind === "send-watch")?.finished, 3000);
  // The agent restarts (an update, a power cut) before a technician has read the alarm.
  await station.close();
  station = await openStation({ journalPath, endpoint: sim.endpoint, pointIds: [9], settings: SETTINGS });
  await station.engine.start();
  const again = station.engine.snapshot().alarms.filter((x) => x.message.includes(ers));
  // On b25f978: [] — nothing anywhere says that payment is to be refunded.
  expect(again.length).toBeGreaterThan(0);
}, 30000);
