// Review 7 #1 (issue 9): an alarm that tells a technician to move money is kept in the journal with
// the step that raised it and raised again at every start until acknowledged — also for a flow that
// finished in that step (paid-twice of a kiosk sale, paid-amount-mismatch: the flow ends after
// them, and only parked flows raise theirs again at recovery). Real journal file, the engine's own
// start; the ack is the journal's (the daemon's `ctl ack` calls it: agent/daemon/station.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { recordOf } from "../../agent/flows/runner.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { FlowState } from "../../agent/core/transition.ts";
import { startPos } from "../../agent/core/pos.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, openStation, type Station } from "../flows/harness/station.ts";
import { ctxAt } from "../core/helpers.ts";

let dir: string | undefined;
let sim: RunningGlaseSimulator | undefined;
let station: Station | undefined;
afterEach(async () => {
  await station?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  station = sim = dir = undefined;
});

it("a money alarm of a finished flow is raised again at each start until acknowledged; others are not kept", async () => {
  dir = mkdtempSync(join(tmpdir(), "r7-kept-"));
  const journalPath = join(dir, "journal.db");
  const pos = startPos({ flowId: "K9-a", point: 9, terminalId: "T9", currency: "SEK", stationName: "K", amountMinor: 990 } as never, ctxAt(0)).state as FlowState;
  const finished = { ...pos, phase: "finished", outcome: "released" } as FlowState;
  const journal = await openJournal({ path: journalPath });
  const paidTwice = { type: "alarm" as const, code: "paid-twice", message: "point 9: a late invoice of this sale was paid too (E-2, 9.90 SEK) — refund it: ctl refund E-2 9.90", refundable: { ersReference: "E-2", amountMinor: 990, currency: "SEK", point: 9 } };
  await journal.append(recordOf(finished, { type: "start" }, [paidTwice, { type: "alarm", code: "late-invoice", message: "not kept" }], 1000));
  expect(await journal.unclaimedPayment("E-2")).toEqual({ ersReference: "E-2", amountMinor: 990, currency: "SEK", point: 9 });
  await journal.close();
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  const told = async () => {
    station = await openStation({ journalPath, endpoint: sim!.endpoint, pointIds: [9] });
    await station.engine.start();
    const codes = station.engine.snapshot().alarms.filter((a) => a.flowId === "K9-a").map((a) => a.code);
    return codes;
  };
  expect(await told()).toEqual(["paid-twice"]);
  await station!.close();
  expect(await told()).toEqual(["paid-twice"]); // a second restart: still there
  await station!.journal.ackAlarms("K9-a", "paid-twice", paidTwice.message, 5000);
  await station!.close();
  expect(await told()).toEqual([]);
}, 30000);
