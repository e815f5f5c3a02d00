// The swap of `glase-agent restore`, made safe against a power cut at any point (review 3 #3).
// A restore replaces several files (the journal with its -wal/-shm, the Invoice Service's journal,
// the driver store, terminals/) with renames, and no rename of several files is atomic. So:
//   1. every current SQLite store is checkpointed (TRUNCATE) first: its WAL's commits are in the
//      database file, so a cut between moving its sidecars and moving it loses nothing;
//   2. a durable marker, `restore-in-progress.json`, lists every rename of the swap in order;
//   3. the renames, each made durable before the next;
//   4. the marker is removed (durably) last.
// While the marker exists the daemon refuses to start (it would open a half-swapped state, or
// create an empty journal where the old one was moved aside), and a re-run of `restore` finishes
// the swap from the marker (each step is idempotent: a group whose staged file is gone is done),
// or `restore --abort` moves everything back.
import { lstat, open, rm, rmdir } from "node:fs/promises";
import sqlite3 from "sqlite3";
import { ensureDirectory, moveFileDurably, removeFileDurably, syncDirectory } from "../../base/io/durable-file.ts";
import { AgentError } from "../../base/errors.ts";
import { markerPath, writeRestoreMarker, type RestoreMarker, type SwapGroup } from "./restore-marker.ts";

export { assertNoRestoreInProgress, isRestoreInProgress, markerPath, readRestoreMarker, RESTORE_MARKER, writeRestoreMarker, type RestoreMarker, type SwapGroup } from "./restore-marker.ts";

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/**
 * `PRAGMA wal_checkpoint(TRUNCATE)` on an existing SQLite store (never creates one): afterwards its
 * database file holds every commit and its WAL is empty. A store that cannot be opened or
 * checkpointed (damaged — perhaps why it is being restored) is reported, not fatal: the marker
 * still keeps its files from being used half moved.
 */
export async function checkpointStore(path: string): Promise<string | undefined> {
  if (!(await exists(path))) return undefined;
  return new Promise((resolve) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READWRITE, (err) => {
      if (err) return resolve(`${path}: cannot open to checkpoint (${err.message})`);
      db.exec("PRAGMA busy_timeout=5000; PRAGMA synchronous=FULL;", (e1) => {
        if (e1) return db.close(() => resolve(`${path}: ${e1.message}`));
        db.get<{ busy: number }>("PRAGMA wal_checkpoint(TRUNCATE)", (e2, row) => {
          const problem = e2 ? `${path}: checkpoint failed (${e2.message})` : row && row.busy !== 0 ? `${path}: checkpoint blocked by another connection` : undefined;
          db.close(() => resolve(problem));
        });
      });
    });
  });
}

/** Moves `from` to `to` unless `from` is gone (done before); never over an existing `to`. */
async function moveOnce(from: string, to: string): Promise<void> {
  if (!(await exists(from))) return;
  if (await exists(to)) throw new AgentError("CONFLICT", `restore: cannot move ${from} to ${to}, which exists; move one of them away by hand, then re-run`, { from, to });
  await moveFileDurably(from, to);
}

/** Whether `from` existed when the swap was planned (older markers do not say: the target itself is assumed). */
function wasPresent(g: SwapGroup, from: string): boolean {
  return g.present ? g.present.includes(from) : from === g.target;
}

/** Two regular files with the same bytes (a directory or anything else never counts as the same). */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([lstat(a), lstat(b)]);
  if (!sa.isFile() || !sb.isFile() || sa.size !== sb.size) return false;
  const [ha, hb] = await Promise.all([open(a, "r"), open(b, "r")]);
  try {
    const ba = Buffer.alloc(1 << 16);
    const bb = Buffer.alloc(1 << 16);
    for (let pos = 0; pos < sa.size; pos += ba.length) {
      const [ra, rb] = await Promise.all([ha.read(ba, 0, ba.length, pos), hb.read(bb, 0, bb.length, pos)]);
      if (ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
    return true;
  } finally {
    await Promise.all([ha.close(), hb.close()]);
  }
}

/** Runs (or resumes) the swap the marker describes, then removes the marker. */
export async function completeSwap(stateDir: string, marker: RestoreMarker, owner?: { uid: number; gid: number }): Promise<string[]> {
  if (marker.aborting) throw abortingConflict(stateDir);
  const restored: string[] = [];
  for (const d of marker.replacedDirs) await ensureDirectory(d, 0o700, owner);
  for (const g of marker.groups) {
    if (g.staged !== undefined && !(await exists(g.staged))) {
      // Done before the interruption — but only if the swap's result is what is there: the staged
      // copy in place AND every previous file aside. An interrupted --abort also removes the
      // staged copy, after putting the previous file back (review 4 #3): never call that restored.
      const missing = [];
      if (!(await exists(g.target))) missing.push(g.target);
      for (const [from, to] of g.aside) if (wasPresent(g, from) && !(await exists(to))) missing.push(to);
      if (missing.length > 0) {
        throw new AgentError("CONFLICT", `restore: the staged copy ${g.staged} is gone but ${missing.join(", ")} is not where the swap puts it (an interrupted \`restore --abort\`?): the state is mixed, so the restore is not finished over it; run \`glase-agent restore --abort\``, { staged: g.staged, missing, restoreInProgress: true });
      }
      restored.push(g.target);
      continue;
    }
    for (const [from, to] of g.aside) await moveOnce(from, to);
    if (g.staged !== undefined) {
      await moveOnce(g.staged, g.target);
      restored.push(g.target);
    }
  }
  await removeFileDurably(markerPath(stateDir));
  for (const d of marker.replacedDirs) await removeEmpty(d);
  return restored;
}

function abortingConflict(stateDir: string): AgentError {
  return new AgentError("CONFLICT", `${markerPath(stateDir)}: an abort of this restore was started and did not finish, so the state is partly the previous one: only \`glase-agent restore --abort\` may continue (a re-run of the restore would report success over a mixed state)`, { marker: markerPath(stateDir), restoreInProgress: true });
}

/**
 * Undoes what the marker's swap did so far: the previous files back in place, the staged copies
 * removed. The marker says "aborting" (durably) before the first move, so a re-run of the restore
 * cannot finish over a half-aborted state; the marker goes only once every previous file is back.
 */
export async function abortSwap(stateDir: string, marker: RestoreMarker, owner?: { uid: number; gid: number }): Promise<string[]> {
  if (!marker.aborting) await writeRestoreMarker(stateDir, { ...marker, aborting: true }, owner);
  const back: string[] = [];
  for (const g of [...marker.groups].reverse()) {
    if (g.staged !== undefined && !(await exists(g.staged)) && (await exists(g.target))) {
      // The target is the restored copy when the previous file is aside (or there was none);
      // otherwise this abort already put the previous one back before an interruption.
      const main = g.aside.find(([from]) => from === g.target);
      const restoredInPlace = !wasPresent(g, g.target) || (main !== undefined && (await exists(main[1])));
      if (restoredInPlace) await moveOnce(g.target, g.staged); // removed below
    }
    for (const [from, to] of [...g.aside].reverse()) {
      if (!(await exists(to))) continue;
      if (await exists(from)) {
        if (await sameFile(from, to)) continue; // the same bytes are back already; the aside copy stays
        throw new AgentError(
          "CONFLICT",
          `restore --abort: ${from} exists (recreated since the restore began?) and differs from the previous file ${to}: nothing more is moved and the marker stays; with the agent stopped, move ${from} away (keep it if it matters), then run \`glase-agent restore --abort\` again`,
          { from, to, restoreInProgress: true },
        );
      }
      await moveFileDurably(to, from);
      back.push(from);
    }
    if (g.staged !== undefined) await rm(g.staged, { recursive: true, force: true });
  }
  // Never remove the marker while a previous file is still aside and not back.
  for (const g of marker.groups) {
    for (const [from, to] of g.aside) {
      if ((await exists(to)) && !(await exists(from))) throw new AgentError("CONFLICT", `restore --abort: ${to} is still aside (${from} is missing): the marker stays; run \`glase-agent restore --abort\` again`, { from, to, restoreInProgress: true });
    }
  }
  await syncDirectory(stateDir);
  await removeFileDurably(markerPath(stateDir));
  for (const d of marker.replacedDirs) await removeEmpty(d);
  return back;
}

async function removeEmpty(dir: string): Promise<void> {
  await rmdir(dir).catch(() => undefined);
}
