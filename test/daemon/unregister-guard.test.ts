// Review 3 #6: the daemon's unregister looked only at the point's state, which a refund or a
// reconciliation never changes (only preliminary/pos runners make a point busy), so a running
// refund, or a parked refund-unknown that must re-read periods with this terminal, did not stop
// it. The guard asks the journal (a real file) for any unfinished flow of the point or its terminal.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sqlite3 from "sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isAgentError } from "../../agent/errors.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { Journal } from "../../agent/journal/types.ts";
import { assertNothingNeedsTerminal } from "../../agent/daemon/unregister-guard.ts";

let dir: string;
let path: string;
let journal: Journal | undefined;

async function step(flowId: string, kind: string, point: number | null, terminalId: string, finished: boolean, parked: boolean): Promise<void> {
  const db = new sqlite3.Database(path);
  await new Promise<void>((resolve, reject) =>
    db.run(
      "INSERT INTO steps(flow_id, kind, point, terminal_id, at, input, state, state_name, finished, parked, effects) VALUES (?, ?, ?, ?, ?, '{}', '{}', ?, ?, ?, '[]')",
      [flowId, kind, point, terminalId, Date.now(), finished ? "finished" : parked ? "refund-unknown" : "refunding", finished ? 1 : 0, parked ? 1 : 0],
      (e) => (e ? reject(e) : resolve()),
    ),
  );
  await new Promise<void>((r) => db.close(() => r()));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-unreg-guard-"));
  path = join(dir, "journal.sqlite");
  await (await openJournal({ path })).close();
});
afterEach(async () => {
  await journal?.close();
  journal = undefined;
  await rm(dir, { recursive: true, force: true });
});

const refused = (flow: RegExp) => (e: unknown) => isAgentError(e, "CONFLICT") && flow.test((e as Error).message);

describe("the daemon's unregister and the flows that need the terminal", () => {
  it("refuses while a refund of the point runs, or one is parked, naming it", async () => {
    await step("R-running", "refund", 1, "T1", false, false);
    await step("R-parked", "refund", 2, "T2", false, true);
    journal = await openJournal({ path });
    await expect(assertNothingNeedsTerminal(journal, 1, "T1")).rejects.toSatisfy(refused(/R-running \(refund, running: refunding\)/));
    await expect(assertNothingNeedsTerminal(journal, 2, "T2")).rejects.toSatisfy(refused(/R-parked \(refund, parked: refund-unknown\)/));
  });

  it("refuses while a reconciliation of the point's terminal runs (the flow carries only the terminal)", async () => {
    await step("C-1", "reconciliation", null, "T3", false, false);
    journal = await openJournal({ path });
    await expect(assertNothingNeedsTerminal(journal, 3, "T3")).rejects.toSatisfy(refused(/C-1 \(reconciliation/));
  });

  it("lets a point go whose flows are finished, or belong to other points and terminals", async () => {
    await step("R-done", "refund", 4, "T4", true, false);
    await step("R-other", "refund", 5, "T5", false, false);
    journal = await openJournal({ path });
    await expect(assertNothingNeedsTerminal(journal, 4, "T4")).resolves.toBeUndefined();
  });
});
