// Issue 9 review 6 #4: after a restart, the lost sends whose watch never started (a crash between
// the flow's finish and its watch's start) are found in the journal. b25f978 looked only at the
// newest 200 finished sales station-wide (send-watches.ts RECOVERY_WINDOW), so on a busy station a
// lost send inside its 15-min horizon, more than 200 sales back, was never watched — silently: a late
// invoice of it could open and be paid with nothing released and nobody told. The hand-overs are
// now read by time (every sale finished within the horizon).
// Real journal file, SOAP loopback to the strict simulator; the journal is written as the crash left it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { startPos } from "../../agent/core/pos.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { ctxAt } from "../core/helpers.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "../flows/harness/station.ts";

let dir: string | undefined;
let sim: RunningGlaseSimulator | undefined;
let station: Station | undefined;
afterEach(async () => {
  await station?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  station = sim = dir = undefined;
});

it.each([199, 250])("a lost send handed over by no watch is watched after a restart, with %i sales finished after it", async (later) => {
  dir = mkdtempSync(join(tmpdir(), "rv9-6-4-"));
  const journalPath = join(dir, "journal.db");
  const now = Date.now();
  const kiosk = TERMINALS[2]!.terminalId;
  // Sale L on the kiosk (point 9): its sendInvoice of 60 s ago was never answered; the flow ended
  // (cancelled) with it as a lost send, and the process died before L's watch started.
  const base = startPos({ flowId: "L", point: 9, terminalId: kiosk, currency: "SEK", stationName: "Test Kiosk", amountMinor: 500 }, ctxAt(now - 60_000)).state;
  const lost = { ...base, phase: "finished", outcome: "canceled", pending: undefined, sendUnanswered: true, lostSends: [now - 60_000] };
  const journal = await openJournal({ path: journalPath });
  await journal.append({ flowId: "L", kind: "pos", point: 9, terminalId: kiosk, at: now - 50_000, input: { type: "start" }, state: lost, stateName: "finished", finished: true, parked: false, effects: [] });
  // Then the other pumps' sales (a busy evening: one a second on 12 pumps), all finished, newer than L.
  for (let i = 0; i < later; i++) {
    const state = { ...base, flowId: `OTHER-${i}`, point: 3, terminalId: "T-OTHER-PUMP", phase: "finished", outcome: "paid", pending: undefined, ersReference: `E-OTHER-${i}` };
    await journal.append({ flowId: `OTHER-${i}`, kind: "pos", point: 3, terminalId: "T-OTHER-PUMP", at: now - 40_000 + i, input: { type: "start" }, state, stateName: "finished", finished: true, parked: false, effects: [] });
  }
  await journal.close();

  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  station = await openStation({ journalPath, endpoint: sim.endpoint, pointIds: [9] });
  await station.engine.start();
  // b25f978 with 250: L is outside the newest 200 — no watch, and no alarm either.
  const watch = await until("L's watch", () => station!.engine.snapshot().flows.find((f) => f.kind === "send-watch" && f.flowId === "WL"), 5000).catch(() => undefined);
  expect(watch, `alarms: ${JSON.stringify(station.engine.snapshot().alarms.map((a) => a.code))}`).toBeDefined();
}, 30000);
