// Review 8 #1 (issue 9), the refund desk's side: a payment a kept alarm calls refundable is taken
// as printed only while its origin sale is not known to possibly own it — a sale in the journal
// that ended without knowing its own payment (settled-manually without its ersReference) makes the
// desk ask for --force.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { startPreliminary } from "../../agent/core/preliminary.ts";
import type { FlowState } from "../../agent/core/transition.ts";
import { RefundGuard } from "../../agent/daemon/refund-guard.ts";
import { checkedRefund } from "../../agent/daemon/refund-request.ts";
import { recordOf } from "../../agent/flows/runner.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import { startSendWatch } from "../../agent/core/send-watch.ts";
import { ctxAt } from "../core/helpers.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];

async function desk(originSettledWithoutErs: boolean) {
  dir = mkdtempSync(join(tmpdir(), "refund-origin-"));
  const journal = await openJournal({ path: join(dir, "journal.db") });
  if (originSettledWithoutErs) {
    const f = startPreliminary({ flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "S", unit: "L", grades: GRADES, gradeId: "95", reserveMinor: 50000 }, ctxAt(0)).state;
    await journal.append(recordOf({ ...f, phase: "finished", outcome: "settled-manually", commitSentAt: 10, commitMinor: 3798 } as FlowState, { type: "start" }, [], 100));
  }
  const w = startSendWatch({ flowId: "Wf1", terminalId: "T1", currency: "SEK", stationName: "S", lost: [], busy: false, claimed: [] }, ctxAt(0)).state as FlowState;
  const refundable = { ersReference: "E-P", amountMinor: 3798, currency: "SEK", point: 1, origin: "f1" };
  await journal.append(recordOf(w, { type: "start" }, [{ type: "alarm", code: "paid-unclaimed", message: "… refund it: ctl refund E-P 37.98", refundable }], 200));
  const started: unknown[] = [];
  const d = {
    engine: () => ({ receiptOf: async () => undefined, startRefund: async (req: unknown) => (started.push(req), { flowId: "R1" }) }) as never,
    guard: new RefundGuard(journal),
    logger: { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined } as never,
  };
  const answer = await checkedRefund(d, { ersReference: "E-P", amountMinor: 3798 }).then(() => "started", (e: { code?: string }) => e.code);
  await journal.close();
  return { answer, started: started.length };
}

it("the origin sale ended settled-manually without its ersReference: the alarm's payment is not taken as printed", async () => {
  expect(await desk(true)).toEqual({ answer: "NOT_FOUND", started: 0 });
});

it("the origin sale is not one that may own it: the alarm's payment is refunded as printed", async () => {
  expect(await desk(false)).toEqual({ answer: "started", started: 1 });
});
