// Review 2 of issue 9, finding G (the second "left" item of notes/issue-9.md, reproduced): a refund
// check marks the terminal's period (to read its details report). The technician's close-period at
// the end of the shift then reports only what came after the check — the shift's sales before it
// are in a period nobody reports, and the outcome says "reported" with no alarm (issue 9 #4 and
// "reconciliation checks compare the report's contents with the sales of the period").
import { afterEach, beforeEach, expect, it } from "vitest";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import type { RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { TERMINALS, until, type Station } from "../flows/harness/station.ts";
import { closeStrictStation, openStrictStation } from "../flows/harness/strict-station.ts";

let dir: string, sim: RunningGlaseSimulator, station: Station;
beforeEach(async () => void ({ dir, sim, station } = await openStrictStation({ dirPrefix: "shift-split-", dispenser: new InMemoryDispenser({ points: 2 }), confirmAfterMs: 150, settings: { glaseCallTimeoutMs: 1000 } })));
afterEach(() => closeStrictStation({ dir, sim, station }));
const flows = () => station.engine.snapshot().flows;

it("close-period after a refund check reports the whole shift (or says it cannot)", async () => {
  const pay = async (minor: number) => {
    const flowId = await station.engine.startPosPayment(9, minor);
    await until("paid", () => flows().find((f) => f.flowId === flowId && f.finished));
    return sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[2]!.terminalId && i.status === "PAID").at(-1)!.ersReference!;
  };
  const ers = await pay(5000);
  await pay(7000);
  // The refund is applied, its answer lost (strict: drop is applied): the check marks the period and finds it.
  sim.sim.injectFault({ operation: "refundPayment", count: 1, kind: "drop", afterProcessing: true });
  const r = await station.engine.startRefund({ point: 9, ersReference: ers, amountMinor: 1000 });
  expect(r.refundErsReference).toBeTruthy();
  await pay(3000);
  const shift = await station.engine.startReconciliation({ scope: "terminal", terminal: TERMINALS[2]!.terminalId, reportId: "Reconciliation/STD_RECON_007.xml" });
  const text = (shift.reports ?? []).map((x) => x.report).join("\n") + (shift.report ?? "");
  console.log("REPORT", text.replace(/\s+/g, " ").slice(0, 600));
  // The shift sold 50.00 + 70.00 + 30.00 and refunded 10.00: all of it must be in what close-period reports.
  expect(text).toContain("50.00000");
  expect(text).toContain("70.00000");
  expect(text).toContain("30.00000");
}, 30000);
