// `sudo glase-agent restore` acts with the state directory owner's rights (review 4 #1): the
// archive and config are read as root (both root's alone here, 0600), then the command becomes
// the owner, so what it writes is the owner's and a marker the owner planted cannot steer root.
import { execFile } from "node:child_process";
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { writeBackupArchive } from "../../agent/backup/archive.ts";
import { RESTORE_MARKER } from "../../agent/backup/restore-swap.ts";
import { takeSnapshot } from "../../agent/backup/snapshot.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import { step } from "./journal-steps.ts";

const exec = promisify(execFile);
const NOBODY = 65534;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-restore-owner-"));
  await chmod(dir, 0o755); // the owner must reach its state directory
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

it.skipIf(process.getuid?.() !== 0)("root's restore writes as the state owner; root's --abort refuses a planted marker naming paths outside", async () => {
  const source = join(dir, "source");
  await mkdir(join(source, "terminals"), { recursive: true, mode: 0o700 });
  const j = await openJournal({ path: join(source, "journal.sqlite") });
  await j.append(step("F1", 1));
  const snap = await takeSnapshot({ stagingRoot: source, journalPath: join(source, "journal.sqlite"), terminalsDir: join(source, "terminals"), station: "Glase Demo Station", agentVersion: "t" });
  await j.close();
  const file = join(dir, "root-only.tar");
  await writeBackupArchive(file, snap.dir, snap.manifest); // 0600, root's
  const state = join(dir, "state");
  await mkdir(state, { mode: 0o700 });
  await chown(state, NOBODY, NOBODY);
  const config = join(dir, "cfg.yaml");
  await writeFile(config, `${await readFile("config/simulated-station.yaml", "utf8")}\nstateDir: ${state}\nsockets: { dir: ${join(dir, "run")} }\n`, { mode: 0o600 });
  const cli = (...args: string[]) => exec(process.execPath, ["bin/glase-agent.js", "restore", ...args, "--config", config]).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

  const done = await cli(file);
  expect(done.code, done.stderr).toBe(0);
  expect((await lstat(join(state, "journal.sqlite"))).uid).toBe(NOBODY);
  expect(done.stderr).toContain("acting-as-state-owner");

  // The owner plants a marker naming a root file outside; root runs --abort as the daemon says.
  const outside = join(dir, "root-file");
  await writeFile(outside, "root's\n", { mode: 0o600 });
  const marker = { format: "glase-agent-restore", startedAt: "x", backup: { file, createdAt: "c", station: "s" }, replacedDirs: [], groups: [{ target: "x", aside: [], staged: outside }] };
  await writeFile(join(state, RESTORE_MARKER), JSON.stringify(marker), { mode: 0o600 });
  await chown(join(state, RESTORE_MARKER), NOBODY, NOBODY);
  const refused = await cli("--abort");
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/restore-in-progress\.json: the marker of an interrupted restore is refused: target "x" is not a file restore writes/);
  expect(await readFile(outside, "utf8")).toBe("root's\n");
});
