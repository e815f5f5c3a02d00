// Review 4: the offline CLI paths (register/unregister with the agent stopped) ignore the
// restore-in-progress marker. During an interrupted restore — exactly when the daemon refuses to
// start, so every CLI run takes the "agent stopped" path — the journal may be aside in
// replaced-*/: unregister's guard (unfinishedFlowsOf) then sees "no journal, no flows" and lets the
// terminal of a point with a reservation still to commit be unregistered at Glase.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openJournal } from "../../agent/journal/journal.ts";
import { unfinishedFlowsOf } from "../../agent/journal/unfinished.ts";
import { RESTORE_MARKER } from "../../agent/backup/restore-swap.ts";
import { step } from "../backup/journal-steps.ts";

let dir = "";
afterAll(async () => void (dir && (await rm(dir, { recursive: true, force: true }))));

it("unregister's unfinished-flow guard refuses while a restore is interrupted (the journal aside)", async () => {
  dir = await mkdtemp(join(tmpdir(), "rv4-offline-"));
  const state = join(dir, "state");
  const rep = join(state, "replaced-T");
  await mkdir(rep, { recursive: true });
  const j = await openJournal({ path: join(rep, "journal.sqlite") });
  await j.append(step("f-running", 1));
  await j.close();
  await writeFile(join(state, RESTORE_MARKER), JSON.stringify({ format: "glase-agent-restore", startedAt: "x", backup: { file: "b", createdAt: "c", station: "s" }, replacedDirs: ["replaced-T"], groups: [{ target: "journal.sqlite", aside: [["journal.sqlite", "replaced-T/journal.sqlite"]], staged: ".journal.sqlite.restore-1" }] }));
  // The flow is there, in the journal that went aside:
  expect((await unfinishedFlowsOf(join(rep, "journal.sqlite"), 1)).map((f) => f.flowId)).toEqual(["f-running"]);
  let result: unknown;
  try {
    result = await unfinishedFlowsOf(join(state, "journal.sqlite"), 1);
  } catch (e) {
    result = e;
  }
  // Today: [] — "nothing unfinished", and `glase-agent unregister --point 1` goes ahead.
  expect(result).not.toEqual([]);
});
