// Review 7 (issue 9) LOW: the lost-send watch's paid-unclaimed alarm for a late invoice of a lost
// send (send-watch.ts:106, paidLate) tells the technician "nothing was released for it — refund it:
// ctl refund ERS AMOUNT". That exact command goes through the daemon's checked refund
// (agent/daemon/refund-request.ts:32-41), which looks the payment up among the journal's receipts —
// and a late invoice nothing was released for has no receipt. So the printed command is refused
// NOT_FOUND "no payment ... is known to this agent ... check the reference"; only `--force --point 9`
// sends it. The alarm's command (and lost-send-unresolved's, :84) does not work as printed.
// SOAP loopback, strict profile, real journal file; the refund desk is the daemon's own
// (checkedRefund + RefundGuard on the station's journal and engine).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import type { EngineSettings } from "../../agent/engine-api.ts";
import { checkedRefund } from "../../agent/daemon/refund-request.ts";
import { RefundGuard } from "../../agent/daemon/refund-guard.ts";
import { createLogger } from "../../base/log.ts";
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

it("the refund command a paid-unclaimed alarm prints is accepted as printed", async () => {
  dir = mkdtempSync(join(tmpdir(), "r7-cmd-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, pointIds: [9], settings: SETTINGS });
  await station.engine.start();
  // Sale A: its first sendInvoice is applied 3 s late; A re-sends, is paid, released, ends: a watch.
  sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 3000, count: 1 });
  const a = await station.engine.startPosPayment(9, 990);
  await until("A paid", () => flows().find((x) => x.flowId === a && x.finished), 10000);
  await until("watch", () => flows().find((x) => x.kind === "send-watch" && !x.finished), 3000);
  // The watch's superseders are refused (Glase link trouble): a customer pays A's late invoice.
  sim.sim.injectFault({ operation: "sendInvoice", kind: "result", resultCode: 33, count: 50, afterProcessing: false });
  const alarm = await until("paid-unclaimed", () => station!.engine.snapshot().alarms.find((x) => x.code === "paid-unclaimed"), 10000);
  const m = /ctl refund (\S+) (\d+\.\d\d)/.exec(alarm.message);
  expect(m, alarm.message).not.toBeNull();
  const [, ers, amount] = m!;
  // The technician runs exactly that command (the daemon's checked refund).
  const desk = { engine: () => station!.engine, guard: new RefundGuard(station.journal), logger: createLogger("test.refund") };
  const r = await checkedRefund(desk, { ersReference: ers!, amountMinor: Math.round(Number(amount) * 100) }).then(
    (x) => ({ ok: x.refundErsReference }),
    (e: unknown) => ({ refused: `${(e as { code?: string }).code}: ${(e as Error).message}` }),
  );
  // On b25f978: { refused: "NOT_FOUND: no payment <ers> is known to this agent (no receipt in the journal, ...) ... run again with --force --point N" }.
  expect(r).toEqual({ ok: expect.any(String) });
}, 30000);
