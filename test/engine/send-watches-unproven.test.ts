// Review 8 #1 (issue 9), the engine's side: a sale that finished on a terminal without knowing its
// own payment (settled-manually without its ersReference) is a claim for that terminal's lost-send
// watch — told to a watch started later, in this run and after a restart (from the journal).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import { startPos } from "../../agent/core/pos.ts";
import { startPreliminary } from "../../agent/core/preliminary.ts";
import type { SendWatchState } from "../../agent/core/send-watch.ts";
import type { FlowState } from "../../agent/core/transition.ts";
import { SendWatches } from "../../agent/engine/send-watches.ts";
import { recordOf } from "../../agent/flows/runner.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { Journal } from "../../agent/journal/types.ts";
import { ctxAt } from "../core/helpers.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const NOW = 10_000_000;
const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const settledWithoutErs = (): FlowState => {
  const f = startPreliminary({ flowId: "P1-f0", point: 1, terminalId: "T1", currency: "SEK", stationName: "S", unit: "L", grades: GRADES, gradeId: "95", reserveMinor: 50000 }, ctxAt(NOW - 60_000)).state;
  return { ...f, phase: "finished", outcome: "settled-manually", commitSentAt: NOW - 30_000, commitMinor: 3798 } as FlowState;
};
const lostSendSale = (): FlowState => {
  const p = startPos({ flowId: "P1-f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "S", amountMinor: 990 }, ctxAt(NOW - 10_000)).state;
  return { ...p, phase: "finished", outcome: "failed", lostSends: [NOW - 10_000] } as FlowState;
};

function host(journal: Journal | undefined) {
  const launched: SendWatchState[] = [];
  const watches = new SendWatches({
    flows: { running: () => [] } as never,
    journal: journal as never,
    logger: { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined } as never,
    ctx: () => ctxAt(NOW),
    launch: async (state: FlowState, _effects: readonly Effect[]) => (launched.push(state as SendWatchState), {} as never),
    alarm: () => undefined,
  });
  return { watches, launched };
}

it("a sale ended settled-manually without its ersReference in this run is told to the terminal's next watch", () => {
  const { watches, launched } = host(undefined);
  watches.ended(settledWithoutErs());
  watches.ended(lostSendSale());
  expect(launched.map((w) => w.unproven)).toEqual([["P1-f0"]]);
});

it("after a restart the journal's such sale is told to the terminal's watch", async () => {
  dir = mkdtempSync(join(tmpdir(), "unproven-"));
  const journal = await openJournal({ path: join(dir, "journal.db") });
  await journal.append(recordOf(settledWithoutErs(), { type: "start" }, [], NOW - 20_000));
  const { watches, launched } = host(journal);
  await watches.recoverHandOvers(NOW);
  watches.ended(lostSendSale());
  await journal.close();
  expect(launched.map((w) => w.unproven)).toEqual([["P1-f0"]]);
});
