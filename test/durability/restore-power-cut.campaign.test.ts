// Power cuts at every durability boundary of `glase-agent restore` (review 3 #3). The state being
// replaced is what a crash leaves: a journal whose last commits are only in its -wal, a driver
// store, terminal credentials. strace stops the real command after each fsync/rename/unlink and
// each open-for-writing and write under the state directory; the state is copied as a power cut
// leaves it (lost-writes.ts: unsynced writes gone). Every copy must be either
//   - exactly the old state (every old commit, WAL ones included, the old driver records and
//     credentials), or exactly the backup's; or
//   - marked `restore-in-progress.json`: the daemon refuses to start on it (naming the marker and
//     what to do), a re-run of restore finishes it to exactly the backup's, and `--abort` puts
//     exactly the old state back.
// Never the old journal without its WAL's commits, nor no journal (which a start would create empty).
// A campaign (~12 s): `npm run test:power-cut`. The default tier has the marker's short proof in
// test/backup/backup-restore.test.ts.
import { execFile } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { spawnSync } from "node:child_process";
import sqlite3 from "sqlite3";
import { step } from "../backup/journal-steps.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBackup, writeBackupArchive } from "../../agent/backup/archive.ts";
import { abortRestore, restoreBackup } from "../../agent/backup/restore.ts";
import { assertNoRestoreInProgress, RESTORE_MARKER } from "../../agent/backup/restore-swap.ts";
import { takeSnapshot } from "../../agent/backup/snapshot.ts";
import { openDriverStores } from "../../agent/journal/driver-store.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import { LostWrites } from "./lost-writes.ts";
import { BOUNDARY_SYSCALLS, DATA_SYSCALLS, straced, under } from "./strace.ts";

const exec = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-restore-cut-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});


function query<T>(path: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READWRITE, (e) => {
      if (e) return reject(e);
      db.all<T>(sql, (err, rows) => db.close(() => (err ? reject(err) : resolve(rows))));
    });
  });
}

/** What a state directory holds, as the agent would read it (never creating anything). */
async function facts(state: string): Promise<string> {
  const journal = join(state, "journal.sqlite");
  const drivers = join(state, "drivers.sqlite");
  const steps = existsSync(journal) ? (await query<{ flow_id: string }>(journal, "SELECT flow_id FROM steps ORDER BY seq").catch(() => [{ flow_id: "NO TABLES (an empty journal)" }])).map((r) => r.flow_id).join(",") : "NO JOURNAL";
  const entries = existsSync(drivers) ? (await query<{ key: string }>(drivers, "SELECT key FROM driver_entries ORDER BY key")).map((r) => r.key).join(",") : "NO DRIVER STORE";
  const pw = await readFile(join(state, "terminals", "point-1.json"), "utf8").then((t) => JSON.parse(t).password as string, () => "NO CREDENTIALS");
  return `steps=${steps} drivers=${entries} point-1=${pw}`;
}

async function stateWith(name: string, flows: string[], keys: string[], password: string, crashLeft: boolean): Promise<string> {
  const live = join(dir, `${name}-live`);
  const state = join(dir, name);
  await mkdir(join(live, "terminals"), { recursive: true, mode: 0o700 });
  const journal = await openJournal({ path: join(live, "journal.sqlite") });
  for (const [i, f] of flows.entries()) await journal.append(step(f, i));
  const stores = await openDriverStores(join(live, "drivers.sqlite"));
  for (const k of keys) await stores.scoped("ocpp-1").put(k, { flowId: k });
  await stores.close();
  await writeFile(join(live, "terminals", "point-1.json"), JSON.stringify({ terminalId: "T1", password }), { mode: 0o600 });
  await mkdir(state, { mode: 0o700 });
  if (crashLeft) {
    // Copied while the writer is still open: the last commits are only in the -wal.
    for (const f of ["journal.sqlite", "journal.sqlite-wal"]) await copyFile(join(live, f), join(state, f));
    expect((await stat(join(state, "journal.sqlite-wal"))).size).toBeGreaterThan(0);
    await journal.close();
  } else {
    await journal.close();
    await copyFile(join(live, "journal.sqlite"), join(state, "journal.sqlite"));
  }
  await copyFile(join(live, "drivers.sqlite"), join(state, "drivers.sqlite"));
  spawnSync("cp", ["-a", join(live, "terminals"), join(state, "terminals")]);
  return state;
}

const targetsOf = (state: string) => ({
  stateDir: state,
  journalPath: join(state, "journal.sqlite"),
  invoiceJournalPath: join(state, "invoices.sqlite"),
  driverStorePath: join(state, "drivers.sqlite"),
  terminalsDir: join(state, "terminals"),
});

describe("power cut at every boundary of glase-agent restore", () => {
  it("every copy is the old state, the backup's, or marked: the daemon refuses it, a re-run finishes it, --abort undoes it", async () => {
    // The backup: 3 steps, its own driver records and password.
    const source = await stateWith("source", ["B1", "B2", "B3"], ["tx-backup"], "pw-backup", false);
    const snap = await takeSnapshot({ stagingRoot: source, journalPath: join(source, "journal.sqlite"), driverStorePath: join(source, "drivers.sqlite"), terminalsDir: join(source, "terminals"), station: "Glase Demo Station", agentVersion: "t" });
    expect(snap.manifest.files.map((f) => f.name)).toContain("drivers.sqlite");
    const file = join(dir, "backup.tar");
    await writeBackupArchive(file, snap.dir, snap.manifest);

    // The state replaced: 8 steps, some only in the -wal, as a crash leaves them.
    const state = await stateWith("target", ["O1", "O2", "O3", "O4", "O5", "O6", "O7", "O8"], ["tx-old-1", "tx-old-2"], "pw-old", true);
    const before = join(dir, "before");
    spawnSync("cp", ["-a", state, before]);
    const scratch = join(dir, "scratch");
    spawnSync("cp", ["-a", state, scratch]);
    const OLD = await facts(scratch);
    expect(OLD).toBe("steps=O1,O2,O3,O4,O5,O6,O7,O8 drivers=tx-old-1,tx-old-2 point-1=pw-old");
    const NEW = "steps=B1,B2,B3 drivers=tx-backup point-1=pw-backup";

    const config = join(dir, "restore.yaml");
    await writeFile(config, `${await readFile("config/simulated-station.yaml", "utf8")}\nstateDir: ${state}\nsockets: { dir: ${join(dir, "run")} }\n`);
    await chmod(config, 0o600);
    const model = new LostWrites(state, before);
    const copies: Array<{ label: string; dir: string }> = [];
    const r = await straced([process.execPath, "bin/glase-agent.js", "restore", file, "--config", config], {
      stopOn: [...BOUNDARY_SYSCALLS, ...DATA_SYSCALLS],
      onBoundary: async (e, events) => {
        await model.advance(events);
        if (!under(state, e) || e.result.startsWith("-1")) return;
        if (e.syscall === "openat" && !/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(e.args)) return;
        const to = join(dir, `cut-${String(copies.length).padStart(3, "0")}`);
        await model.cutInto(to);
        copies.push({ label: `after ${e.syscall} ${e.paths.join(" → ")}`, dir: to });
      },
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await facts(state)).toBe(NEW);

    const outcomes = { old: 0, new: 0, marked: 0 };
    let refusedByDaemon = false;
    for (const c of copies) {
      if (!existsSync(join(c.dir, RESTORE_MARKER))) {
        // Without the marker the copy is used as it is: it must be whole, old or new.
        const got = await facts(c.dir);
        expect([OLD, NEW], `${c.label}: a start would find ${got}`).toContain(got);
        outcomes[got === OLD ? "old" : "new"]++;
        continue;
      }
      outcomes.marked++;
      await expect(assertNoRestoreInProgress(c.dir), c.label).rejects.toThrow(/restore-in-progress\.json exists.*re-run.*restore --abort/);
      if (!refusedByDaemon) {
        // The real daemon on one marked copy: refuses at once with one line, exit 78 (no restart loop).
        refusedByDaemon = true;
        const cfg = join(dir, "daemon.yaml");
        await writeFile(cfg, `${await readFile("config/simulated-station.yaml", "utf8")}\nstateDir: ${c.dir}\nsockets: { dir: ${join(dir, "daemon-run")} }\n`);
        await chmod(cfg, 0o600);
        const d = await exec(process.execPath, ["bin/glase-agent.js", "run", "--config", cfg], { timeout: 30_000 }).then(
          () => ({ code: 0, stderr: "" }),
          (e: { code: number; stderr: string; stdout: string }) => ({ code: e.code, stderr: `${e.stdout}${e.stderr}` }),
        );
        expect(d.code, d.stderr).toBe(78);
        expect(d.stderr).toMatch(/restore-in-progress\.json/);
      }
      const aborted = `${c.dir}-abort`;
      spawnSync("cp", ["-a", c.dir, aborted]);
      await abortRestore({ stateDir: aborted });
      expect(await facts(aborted), `${c.label}: --abort`).toBe(OLD);
      const report = await restoreBackup(await openBackup(file), targetsOf(c.dir));
      expect(report.resumed, c.label).toBe(true);
      expect(await facts(c.dir), `${c.label}: re-run`).toBe(NEW);
      expect(existsSync(join(c.dir, RESTORE_MARKER))).toBe(false);
    }
    process.stdout.write(`restore power cut: ${copies.length} boundaries; ${outcomes.old} old, ${outcomes.new} new, ${outcomes.marked} marked\n`);
    expect(outcomes.old).toBeGreaterThan(0);
    expect(outcomes.marked).toBeGreaterThan(3);
    expect(refusedByDaemon).toBe(true);
  }, 240_000);
});
