// Backups on real SQLite files: the online snapshot is one consistent prefix of a journal that
// keeps being written meanwhile; the archive is a tar any tool reads, mode 0600, checked by sha256
// on the way back; a restore stages and checks before it touches anything, keeps what it
// replaces, never lets the old -wal meet the new journal, and refuses a damaged or foreign
// archive, a newer schema, and a running agent.
import { execFile } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sqlite3 from "sqlite3";
import { step } from "./journal-steps.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBackup, writeBackupArchive } from "../../agent/backup/archive.ts";
import { abortRestore, restoreBackup } from "../../agent/backup/restore.ts";
import { takeSnapshot } from "../../agent/backup/snapshot.ts";
import { tarStream } from "../../agent/backup/tar.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { Journal } from "../../agent/journal/types.ts";
import { startSocketServers } from "../../agent/daemon/sockets/server.ts";
import { createLogger } from "../../agent/log.ts";
import { TestStation } from "../daemon/test-station.ts";
import { straced, type TraceEvent } from "../durability/strace.ts";
import { disciplineViolations } from "../durability/discipline.ts";

const exec = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-backup-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});


/** A state directory with a journal of `flows` finished flows (+1 running) and terminal credentials. */
async function site(name: string, flows: number): Promise<{ state: string; journal: Journal; path: string }> {
  const state = join(dir, name);
  await mkdir(join(state, "terminals", "orphans"), { recursive: true, mode: 0o700 });
  const path = join(state, "journal.sqlite");
  const journal = await openJournal({ path });
  for (let i = 0; i < flows; i++) {
    await journal.append(step(`F${i}`, 2 * i));
    await journal.append(step(`F${i}`, 2 * i + 1, true));
    await journal.saveReceipt({ flowId: `F${i}`, ersReference: `E${i}`, content: { amountMinor: 100 + i, currency: "SEK" }, printed: true, at: 1_000 + 2 * i + 1 });
  }
  await journal.append(step("RUNNING", 10_000));
  await writeFile(join(state, "terminals", "point-1.json"), JSON.stringify({ terminalId: "T1", password: `pw-${name}` }), { mode: 0o600 });
  await writeFile(join(state, "terminals", "orphans", "point-2-1-x.json"), JSON.stringify({ password: "orphan" }), { mode: 0o600 });
  return { state, journal, path };
}

async function seqs(path: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (e) => {
      if (e) return reject(e);
      db.all<{ seq: number }>("SELECT seq FROM steps ORDER BY seq", (err, rows) => (db.close(), err ? reject(err) : resolve(rows.map((r) => r.seq))));
    });
  });
}

describe("ctl backup's snapshot and archive", () => {
  it("copies a journal that is being written into one consistent prefix, and packs it into a 0600 tar", async () => {
    const { state, journal } = await site("online", 50);
    // Keep the writer busy the whole time the snapshot is taken.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) await journal.append(step(`W${written++}`, 20_000 + written));
    })();
    const before = (await seqs(join(state, "journal.sqlite"))).length;
    const snap = await takeSnapshot({ stagingRoot: state, journalPath: join(state, "journal.sqlite"), invoiceJournalPath: join(state, "invoices.sqlite"), terminalsDir: join(state, "terminals"), station: "S", agentVersion: "t" });
    writing = false;
    await writer;
    const after = (await seqs(join(state, "journal.sqlite"))).length;
    const copied = await seqs(join(snap.dir, "journal.sqlite"));
    // A prefix of the steps (1…N, no gap), somewhere between what was there before and after.
    expect(copied).toEqual(Array.from({ length: copied.length }, (_, i) => i + 1));
    expect(copied.length).toBeGreaterThanOrEqual(before);
    expect(copied.length).toBeLessThanOrEqual(after);
    expect(written).toBeGreaterThan(0);
    expect(snap.manifest.journal).toMatchObject({ steps: copied.length, receipts: 50, unfinishedFlows: expect.any(Number) });
    expect(snap.manifest.files.map((f) => f.name).sort()).toEqual(["journal.sqlite", "terminals/orphans/point-2-1-x.json", "terminals/point-1.json"]);

    const file = join(dir, "online.tar");
    const out = await writeBackupArchive(file, snap.dir, snap.manifest);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(out.bytes).toBe((await stat(file)).size);
    // Any tar reads it.
    const listing = (await exec("tar", ["-tf", file])).stdout.trim().split("\n");
    expect(listing).toEqual(["MANIFEST.json", "journal.sqlite", "terminals/orphans/point-2-1-x.json", "terminals/point-1.json"]);
    const opened = await openBackup(file);
    expect(opened.manifest.journal.steps).toBe(copied.length);
    await journal.close();
  });

  it("refuses a damaged, truncated or foreign archive, naming the problem", async () => {
    const { state, journal } = await site("damaged", 3);
    await journal.close();
    const snap = await takeSnapshot({ stagingRoot: state, journalPath: join(state, "journal.sqlite"), terminalsDir: join(state, "terminals"), station: "S", agentVersion: "t" });
    const file = join(dir, "damaged.tar");
    await writeBackupArchive(file, snap.dir, snap.manifest);
    const bytes = await readFile(file);
    // One byte of the journal's content flipped (its data starts after two 512-byte headers and the manifest).
    const flipped = Buffer.from(bytes);
    const at = bytes.indexOf(Buffer.from("SQLite format 3")) + 200;
    flipped[at] = flipped[at]! ^ 0xff;
    await writeFile(join(dir, "flipped.tar"), flipped);
    await expect(openBackup(join(dir, "flipped.tar"))).rejects.toThrow(/journal\.sqlite: content does not match the manifest/);
    await writeFile(join(dir, "short.tar"), bytes.subarray(0, bytes.length - 2048));
    await expect(openBackup(join(dir, "short.tar"))).rejects.toThrow(/truncated|cut off/);
    await writeFile(join(dir, "foreign.tar"), (await exec("tar", ["-cf", "-", "-C", state, "terminals"], { encoding: "buffer" })).stdout);
    await expect(openBackup(join(dir, "foreign.tar"))).rejects.toThrow(/not a glase-agent backup/);
    // A manifest naming a path outside the state directory is refused before anything is read.
    const evil = { ...snap.manifest, files: [...snap.manifest.files, { name: "terminals/../../etc/cron.d/x", role: "terminal", size: 1, sha256: "0".repeat(64), mode: 0o600 }] };
    const text = Buffer.from(JSON.stringify(evil));
    const chunks: Uint8Array[] = [];
    for await (const c of tarStream([{ name: "MANIFEST.json", mode: 0o600, size: text.length, mtime: 0, content: async function* () { yield text; } }])) chunks.push(c);
    await writeFile(join(dir, "evil.tar"), Buffer.concat(chunks));
    await expect(openBackup(join(dir, "evil.tar"))).rejects.toThrow(/lists an unexpected file "terminals\/\.\.\/\.\.\/etc\/cron\.d\/x"/);
  });
});

describe("glase-agent restore (the agent stopped)", () => {
  it("stages, checks, moves the current state aside (with its -wal) and puts the backup's in place", async () => {
    const source = await site("source", 5);
    const snap = await takeSnapshot({ stagingRoot: source.state, journalPath: source.path, terminalsDir: join(source.state, "terminals"), station: "S", agentVersion: "t" });
    await source.journal.close();
    const file = join(dir, "source.tar");
    await writeBackupArchive(file, snap.dir, snap.manifest);

    // The target has more in its journal, some of it only in its -wal: the files as an agent
    // killed (or a power cut) leaves them — copied while the writer is still open.
    const live = await site("target-live", 12);
    const state = join(dir, "target");
    await mkdir(state, { mode: 0o700 });
    for (const f of ["journal.sqlite", "journal.sqlite-wal"]) await copyFile(join(live.state, f), join(state, f));
    await live.journal.close();
    await exec("cp", ["-a", join(live.state, "terminals"), join(state, "terminals")]);
    const target = { state, path: join(state, "journal.sqlite") };
    expect((await stat(join(state, "journal.sqlite-wal"))).size).toBeGreaterThan(0);
    const report = await restoreBackup(await openBackup(file), { stateDir: target.state, journalPath: target.path, invoiceJournalPath: join(target.state, "invoices.sqlite"), driverStorePath: join(target.state, "drivers.sqlite"), terminalsDir: join(target.state, "terminals") });

    expect(await seqs(target.path)).toEqual(await seqs(join(snap.dir, "journal.sqlite")));
    const j = await openJournal({ path: target.path });
    expect((await j.unfinishedFlows()).map((f) => f.flowId)).toEqual(["RUNNING"]);
    expect((await j.receipts()).map((r) => r.ersReference)).toEqual(["E0", "E1", "E2", "E3", "E4"]);
    await j.close();
    expect(JSON.parse(await readFile(join(target.state, "terminals", "point-1.json"), "utf8")).password).toBe("pw-source");
    expect((await stat(join(target.state, "terminals", "point-1.json"))).mode & 0o777).toBe(0o600);
    // What was replaced is kept; its -wal was checkpointed into it first, so the journal alone holds all 12.
    expect(report.replacedDir).toMatch(/replaced-/);
    expect((await readdir(report.replacedDir!)).sort()).toEqual(expect.arrayContaining(["journal.sqlite", "terminals"]));
    expect(await readdir(report.replacedDir!)).not.toContain("journal.sqlite-wal");
    const old = await openJournal({ path: join(report.replacedDir!, "journal.sqlite") });
    expect((await old.receipts()).length).toBe(12);
    await old.close();
    expect((await readdir(target.state)).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("refuses a journal with a newer schema, and leaves the state as it was", async () => {
    const source = await site("newer", 1);
    await source.journal.close();
    await new Promise<void>((resolve, reject) => {
      const db = new sqlite3.Database(source.path, (e) => (e ? reject(e) : db.exec("PRAGMA user_version = 99", (err) => (db.close(), err ? reject(err) : resolve()))));
    });
    const snap = await takeSnapshot({ stagingRoot: source.state, journalPath: source.path, terminalsDir: join(source.state, "terminals"), station: "S", agentVersion: "t" });
    const file = join(dir, "newer.tar");
    await writeBackupArchive(file, snap.dir, snap.manifest);
    const target = await site("target-newer", 2);
    await target.journal.close();
    const before = (await readdir(target.state)).sort();
    await expect(restoreBackup(await openBackup(file), { stateDir: target.state, journalPath: target.path, invoiceJournalPath: join(target.state, "invoices.sqlite"), driverStorePath: join(target.state, "drivers.sqlite"), terminalsDir: join(target.state, "terminals") })).rejects.toThrow(/schema 99, newer than this agent/);
    expect((await readdir(target.state)).sort()).toEqual(before);
    expect((await seqs(target.path)).length).toBe(5);
  });

  it("the command refuses while an agent answers on its sockets, and restores once it is gone", async () => {
    const source = await site("cmd-source", 2);
    const snap = await takeSnapshot({ stagingRoot: source.state, journalPath: source.path, terminalsDir: join(source.state, "terminals"), station: "Glase Demo Station", agentVersion: "t" });
    await source.journal.close();
    const file = join(dir, "cmd.tar");
    await writeBackupArchive(file, snap.dir, snap.manifest);
    const state = join(dir, "cmd-target");
    const run = join(dir, "cmd-run");
    const config = join(dir, "cmd.yaml");
    const shipped = await readFile("config/simulated-station.yaml", "utf8");
    await writeFile(config, `${shipped}\nstateDir: ${state}\nsockets: { dir: ${run} }\n`);
    await chmod(config, 0o600);
    const servers = await startSocketServers({ dir: run, control: new TestStation(), logger: createLogger("test") });
    const cli = (...args: string[]) =>
      exec(process.execPath, ["bin/glase-agent.js", "restore", file, "--config", config, ...args]).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    try {
      const refused = await cli("--json");
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout).error.code).toBe("CONFLICT");
      expect(refused.stderr).toContain("the agent is running");
      expect(await readdir(state).catch(() => [])).toEqual([]);
      // --check works while it runs: it changes nothing.
      expect((await cli("--check")).stdout).toContain("valid backup of \"Glase Demo Station\"");
    } finally {
      await servers.close();
    }
    const done = await cli();
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain("restored:");
    expect((await seqs(join(state, "journal.sqlite"))).length).toBe(5);
  });

  it("checkpoints the old journal, writes the marker, swaps one durable rename at a time, removes the marker last (strace)", async () => {
    const source = await site("trace-source", 3);
    const snap = await takeSnapshot({ stagingRoot: source.state, journalPath: source.path, terminalsDir: join(source.state, "terminals"), station: "Glase Demo Station", agentVersion: "t" });
    await source.journal.close();
    const file = join(dir, "trace.tar");
    await writeBackupArchive(file, snap.dir, snap.manifest);
    const live = await site("trace-live", 6);
    const state = join(dir, "trace-target");
    await mkdir(state, { mode: 0o700 });
    for (const f of ["journal.sqlite", "journal.sqlite-wal"]) await copyFile(join(live.state, f), join(state, f));
    await live.journal.close();
    const config = join(dir, "trace.yaml");
    await writeFile(config, `${await readFile("config/simulated-station.yaml", "utf8")}\nstateDir: ${state}\nsockets: { dir: ${join(dir, "trace-run")} }\n`);
    await chmod(config, 0o600);
    const r = await straced([process.execPath, "bin/glase-agent.js", "restore", file, "--config", config]);
    expect(r.code, r.stderr).toBe(0);
    const ok = (e: TraceEvent) => e.result.startsWith("0");
    const renames = r.events.filter((e) => /^rename/.test(e.syscall) && ok(e) && e.paths.some((p) => p.startsWith(state + "/")));
    const dirOf = (p: string) => p.slice(0, p.lastIndexOf("/"));
    // Each rename's target directory is fsynced before the next rename is made.
    for (let i = 0; i + 1 < renames.length; i++) {
      const [, to] = renames[i]!.paths.slice(-2);
      const synced = r.events.some((e) => (e.syscall === "fsync" || e.syscall === "fdatasync") && e.fdPath === dirOf(to!) && e.index > renames[i]!.index && e.index < renames[i + 1]!.index);
      expect(synced, `rename to ${to} not fsynced before the next rename`).toBe(true);
    }
    const marker = join(state, "restore-in-progress.json");
    const markerIn = renames.findIndex((e) => e.paths.at(-1) === marker);
    const firstAside = renames.findIndex((e) => e.paths[0] === join(state, "journal.sqlite"));
    const journalIn = renames.findIndex((e) => e.paths.at(-1) === join(state, "journal.sqlite") && e.paths[0] !== join(state, "journal.sqlite"));
    // The old journal's WAL went into it (a write to the database, then its fsync) before the marker.
    const checkpointed = r.events.findIndex((e) => e.syscall === "pwrite64" && e.fdPath === join(state, "journal.sqlite"));
    expect(checkpointed, "the old journal was checkpointed").toBeGreaterThanOrEqual(0);
    expect(checkpointed).toBeLessThan(renames[markerIn]!.index);
    expect(markerIn, "the marker was placed before the first file moved").toBeGreaterThanOrEqual(0);
    expect(firstAside).toBeGreaterThan(markerIn);
    expect(journalIn).toBeGreaterThan(firstAside);
    const markerOut = r.events.findIndex((e) => e.syscall.startsWith("unlink") && e.paths.includes(marker) && ok(e));
    expect(markerOut, "the marker is removed after the last rename").toBeGreaterThan(renames.at(-1)!.index);
    await expect(readdir(state)).resolves.not.toContain("restore-in-progress.json");
    // Every file restore writes (staged copies, the marker) follows the durable-write discipline.
    // (SQLite's own sidecars of a staged copy, opened read-only by the check, follow SQLite's protocol.)
    expect(disciplineViolations(r.events, state).filter((v) => !/\.sqlite\.restore-[^/ ]*-(wal|shm):/.test(v))).toEqual([]);
    expect((await readdir(state)).filter((n) => n.startsWith("journal.sqlite-"))).toEqual([]);
    expect((await seqs(join(state, "journal.sqlite"))).length).toBe((await seqs(join(snap.dir, "journal.sqlite"))).length);
  });

  it("a restore stopped mid-swap leaves its marker: the daemon refuses to start (exit 78, naming it), a re-run finishes, --abort undoes", async () => {
    const source = await site("mid-source", 2);
    const snap = await takeSnapshot({ stagingRoot: source.state, journalPath: source.path, terminalsDir: join(source.state, "terminals"), station: "Glase Demo Station", agentVersion: "t" });
    await source.journal.close();
    const file = join(dir, "mid.tar");
    await writeBackupArchive(file, snap.dir, snap.manifest);
    const target = await site("mid-target", 4);
    await target.journal.close();
    const config = join(dir, "mid.yaml");
    await writeFile(config, `${await readFile("config/simulated-station.yaml", "utf8")}\nstateDir: ${target.state}\nsockets: { dir: ${join(dir, "mid-run")} }\n`);
    await chmod(config, 0o600);
    const cli = (...args: string[]) =>
      exec(process.execPath, ["bin/glase-agent.js", ...args, "--config", config], { timeout: 30_000 }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    // Killed right after the old journal went aside: no journal in place, the marker says so.
    const killed = await straced([process.execPath, "bin/glase-agent.js", "restore", file, "--config", config], {
      stopOn: ["rename"],
      onBoundary: (e) => {
        if (e.paths[0] === target.path && e.result.startsWith("0")) process.kill(e.tid, "SIGKILL");
      },
    });
    expect(killed.code).not.toBe(0);
    expect(await readdir(target.state)).toContain("restore-in-progress.json");
    expect(await readdir(target.state)).not.toContain("journal.sqlite");
    const started = await cli("run");
    expect(started.code, started.out).toBe(78);
    expect(started.out).toMatch(/restore-in-progress\.json exists.*glase-agent restore .*mid\.tar.*restore --abort/);
    expect(await readdir(target.state)).not.toContain("journal.sqlite"); // no empty journal created
    // --abort puts the old state back; a re-run on a copy of the killed state finishes it (both
    // in-process: each CLI run costs a node start, and the command's parsing is thin).
    const killedCopy = `${target.state}-copy`;
    await exec("cp", ["-a", target.state, killedCopy]);
    const targetsOf = (state: string) => ({ stateDir: state, journalPath: join(state, "journal.sqlite"), invoiceJournalPath: join(state, "invoices.sqlite"), driverStorePath: join(state, "drivers.sqlite"), terminalsDir: join(state, "terminals") });
    await abortRestore(targetsOf(target.state));
    expect((await seqs(target.path)).length).toBe(9);
    expect(JSON.parse(await readFile(join(target.state, "terminals", "point-1.json"), "utf8")).password).toBe("pw-mid-target");
    expect(await readdir(target.state)).not.toContain("restore-in-progress.json");
    const rerun = await restoreBackup(await openBackup(file), targetsOf(killedCopy));
    expect(rerun.resumed).toBe(true);
    expect((await seqs(join(killedCopy, "journal.sqlite"))).length).toBe(5);
    expect(JSON.parse(await readFile(join(killedCopy, "terminals", "point-1.json"), "utf8")).password).toBe("pw-mid-source");
    expect(await readdir(killedCopy)).not.toContain("restore-in-progress.json");
  });
});
