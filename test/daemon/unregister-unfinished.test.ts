// The direct `glase-agent unregister` (agent stopped) must not delete the credentials an
// unfinished flow needs (review 2 #8): after a power cut with a reservation unrecovered, the next
// start commits or cancels it with that point's terminal. It now reads the journal (read-only)
// and refuses while the point has an unfinished flow, naming it.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sqlite3 from "sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../agent/cli/exit-codes.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import { writeStationConfig } from "./station-config.ts";

const exec = promisify(execFile);
let dir: string;
let config: string;

async function step(journalPath: string, flowId: string, point: number, finished: boolean): Promise<void> {
  const db = new sqlite3.Database(journalPath);
  await new Promise<void>((resolve, reject) =>
    db.run(
      "INSERT INTO steps(flow_id, kind, point, terminal_id, at, input, state, state_name, finished, parked, effects) VALUES (?, 'preliminary', ?, 'T1', ?, '{}', '{}', ?, ?, 0, '[]')",
      [flowId, point, Date.now(), finished ? "done" : "reserved", finished ? 1 : 0],
      (e) => (e ? reject(e) : resolve()),
    ),
  );
  await new Promise<void>((r) => db.close(() => r()));
}

const unregister = (point: number) =>
  exec(process.execPath, ["bin/glase-agent.js", "unregister", "--point", String(point), "--config", config, "--socket-dir", join(dir, "no-agent")]).then(
    () => ({ code: 0, stderr: "" }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-unreg-"));
  config = await writeStationConfig(dir);
  await mkdir(join(dir, "state"), { recursive: true, mode: 0o700 });
  const path = join(dir, "state", "journal.sqlite");
  await (await openJournal({ path })).close();
  await step(path, "P1-reserved-before-the-cut", 1, false);
  await step(path, "P2-finished", 2, true);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("direct unregister with the agent stopped", () => {
  it("refuses while the journal holds an unfinished flow of the point, naming it", async () => {
    const r = await unregister(1);
    expect(r.code).toBe(EXIT.FAILED);
    expect(r.stderr).toMatch(/CONFLICT: point 1 has unfinished flows in the journal: P1-reserved-before-the-cut \(reserved\)/);
  });

  it("a point whose flows are all finished goes on to the terminal step", async () => {
    const r = await unregister(2);
    // This station's Glase is the embedded simulator: the direct path says so — past the journal check.
    expect(r.stderr).not.toMatch(/unfinished flows/);
    expect(r.stderr).toMatch(/embedded simulator/);
  });
});
