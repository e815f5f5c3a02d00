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
import { lstat, readFile, rm, rmdir } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import sqlite3 from "sqlite3";
import { ensureDirectory, moveFileDurably, removeFileDurably, syncDirectory, writeFileDurably } from "../../base/io/durable-file.ts";
import { AgentError } from "../../base/errors.ts";

export const RESTORE_MARKER = "restore-in-progress.json";

/** One target: its current files go aside (`aside`: [from, to] in order), then `staged` (if any) takes its place. */
export interface SwapGroup {
  readonly target: string;
  readonly aside: ReadonlyArray<readonly [string, string]>;
  readonly staged?: string;
}

export interface RestoreMarker {
  readonly format: "glase-agent-restore";
  readonly startedAt: string;
  /** The backup being restored: a re-run must name the same one. */
  readonly backup: { readonly file: string; readonly createdAt: string; readonly station: string };
  /** Where the current files go (replaced-<time>/ beside each target's directory). */
  readonly replacedDirs: readonly string[];
  readonly groups: readonly SwapGroup[];
}

export function markerPath(stateDir: string): string {
  return join(stateDir, RESTORE_MARKER);
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** The marker of an interrupted restore, or undefined. An unreadable marker is an error, never "none". */
export async function readRestoreMarker(stateDir: string): Promise<RestoreMarker | undefined> {
  const path = markerPath(stateDir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new AgentError("CONFLICT", `${path}: cannot read the marker of an interrupted restore (${(e as NodeJS.ErrnoException).code})`, { path, restoreInProgress: true });
  }
  try {
    const m = JSON.parse(text) as RestoreMarker;
    if (m.format !== "glase-agent-restore" || !Array.isArray(m.groups) || !Array.isArray(m.replacedDirs)) throw new Error("format");
    return relocate(m, (p) => resolve(stateDir, p));
  } catch {
    throw new AgentError("CONFLICT", `${path}: the marker of an interrupted restore is damaged, so neither a re-run nor --abort can tell what moved: with the agent stopped, move the files of ${join(stateDir, "replaced-*")} back by hand (or restore the backup again after removing the marker)`, { path, restoreInProgress: true });
  }
}

/** For the daemon's start: refuses while a restore is unfinished (the files may be half swapped). */
export async function assertNoRestoreInProgress(stateDir: string): Promise<void> {
  const m = await readRestoreMarker(stateDir);
  if (!m) return;
  throw new AgentError(
    "CONFLICT",
    `a restore was interrupted (${markerPath(stateDir)} exists, restore of ${m.backup.file} started ${m.startedAt}): the state directory may be half swapped, so the agent does not start. Finish it with \`glase-agent restore ${m.backup.file}\` (re-run), or put the previous files back with \`glase-agent restore --abort\`; then start the agent`,
    { marker: markerPath(stateDir), restoreInProgress: true },
  );
}

export function isRestoreInProgress(e: unknown): boolean {
  return e instanceof AgentError && e.context.restoreInProgress === true;
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

/** The marker's paths mapped by `f` (kept relative to the state directory on disk: a copied state directory resumes in place). */
function relocate(m: RestoreMarker, f: (p: string) => string): RestoreMarker {
  return {
    ...m,
    replacedDirs: m.replacedDirs.map(f),
    groups: m.groups.map((g) => ({ target: f(g.target), aside: g.aside.map(([a, b]) => [f(a), f(b)] as const), ...(g.staged !== undefined ? { staged: f(g.staged) } : {}) })),
  };
}

export async function writeRestoreMarker(stateDir: string, marker: RestoreMarker, owner?: { uid: number; gid: number }): Promise<void> {
  const rel = relocate(marker, (p) => (isAbsolute(p) ? relative(stateDir, p) : p));
  await writeFileDurably(markerPath(stateDir), JSON.stringify(rel, null, 2) + "\n", { mode: 0o600, ...(owner ? { owner } : {}) });
}

/** Moves `from` to `to` unless `from` is gone (done before); never over an existing `to`. */
async function moveOnce(from: string, to: string): Promise<void> {
  if (!(await exists(from))) return;
  if (await exists(to)) throw new AgentError("CONFLICT", `restore: cannot move ${from} to ${to}, which exists; move one of them away by hand, then re-run`, { from, to });
  await moveFileDurably(from, to);
}

/** Runs (or resumes) the swap the marker describes, then removes the marker. */
export async function completeSwap(stateDir: string, marker: RestoreMarker, owner?: { uid: number; gid: number }): Promise<string[]> {
  const restored: string[] = [];
  for (const d of marker.replacedDirs) await ensureDirectory(d, 0o700, owner);
  for (const g of marker.groups) {
    if (g.staged !== undefined && !(await exists(g.staged))) {
      restored.push(g.target); // done before the interruption
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

/** Undoes what the marker's swap did so far: the previous files back in place, the staged copies removed. */
export async function abortSwap(stateDir: string, marker: RestoreMarker): Promise<string[]> {
  const back: string[] = [];
  for (const g of [...marker.groups].reverse()) {
    if (g.staged !== undefined) {
      // Already in place: the restored copy goes back to its staged name (removed below).
      if (!(await exists(g.staged)) && (await exists(g.target))) await moveOnce(g.target, g.staged);
    }
    for (const [from, to] of [...g.aside].reverse()) {
      if ((await exists(to)) && !(await exists(from))) {
        await moveFileDurably(to, from);
        back.push(from);
      }
    }
    if (g.staged !== undefined) await rm(g.staged, { recursive: true, force: true });
  }
  await syncDirectory(stateDir);
  await removeFileDurably(markerPath(stateDir));
  for (const d of marker.replacedDirs) await removeEmpty(d);
  return back;
}

async function removeEmpty(dir: string): Promise<void> {
  await rmdir(dir).catch(() => undefined);
}
