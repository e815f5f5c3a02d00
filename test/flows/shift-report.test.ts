// Review 2 of issue 9, G, over SOAP against the strict simulator: a refund's pre-mark whose answer
// is lost (applied, then dropped) closed a period holding the shift's first sale, and nobody knows
// its id. The refund itself goes on (nothing was sent: it marks again). The terminal's close then
// reads every period it knows — and must not call that "reported": outcome partial, alarm
// shift-report-partial naming the refund, the result saying what is missing.
import { afterEach, beforeEach, expect, it } from "vitest";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import type { RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { TERMINALS, until, type Station } from "./harness/station.ts";
import { closeStrictStation, openStrictStation } from "./harness/strict-station.ts";

let dir: string, sim: RunningGlaseSimulator, station: Station;
beforeEach(async () => void ({ dir, sim, station } = await openStrictStation({ dirPrefix: "shift-report-", dispenser: new InMemoryDispenser({ points: 2 }), confirmAfterMs: 150, settings: { glaseCallTimeoutMs: 1000 } })));
afterEach(() => closeStrictStation({ dir, sim, station }));
const flows = () => station.engine.snapshot().flows;
const terminal = TERMINALS[2]!.terminalId;

async function pay(minor: number): Promise<string> {
  const flowId = await station.engine.startPosPayment(9, minor);
  await until("paid", () => flows().find((f) => f.flowId === flowId && f.finished));
  return sim.sim.dump().invoices.filter((i) => i.terminalId === terminal && i.status === "PAID").at(-1)!.ersReference!;
}

it("a refund's pre-mark lost after it was applied: the refund is made once, the next close ends partial with alarm shift-report-partial", async () => {
  const ers = await pay(5000);
  sim.sim.injectFault({ operation: "markTransactionPeriod", count: 1, kind: "drop", afterProcessing: true });
  const r = await station.engine.startRefund({ point: 9, ersReference: ers, amountMinor: 1000 });
  expect(r.refundErsReference).toBeTruthy();
  expect(sim.sim.dump().refunds).toHaveLength(1);
  await pay(3000);
  const close = await station.engine.startReconciliation({ scope: "terminal", terminal, reportId: "Reconciliation/STD_RECON_007.xml" });
  expect(close.partial).toContain(r.flowId);
  // What it could read is there: the refund's period, then the close's own with the 30.00 sale.
  const text = (close.reports ?? []).map((x) => x.report).join("\n");
  expect(text).toContain("30.00000");
  expect(close.periods).toHaveLength(2);
  const alarm = station.engine.snapshot().alarms.find((a) => a.code === "shift-report-partial");
  expect(alarm?.message).toContain(r.flowId);
  // The next close starts a new shift: whole again.
  await pay(2000);
  const next = await station.engine.startReconciliation({ scope: "terminal", terminal, reportId: "Reconciliation/STD_RECON_007.xml" });
  expect(next.partial).toBeUndefined();
  expect(next.periods).toBeUndefined();
  expect(next.report).toContain("20.00000");
}, 30000);
