// The restore-in-progress marker: the durable plan of a restore's swap (restore-swap.ts).
// The marker lives in the state directory, which belongs to the service's user, while `restore`
// may be started by root (review 4 #1): a marker the service user wrote must never steer root to
// move or delete files elsewhere. So it is read as untrusted input: opened without following a
// link, a regular file of bounded size, owned by the state directory's owner (or root), not
// writable by group or others, and every path in it relative, without `..`, and of exactly the
// shapes restore itself writes (the known stores, `replaced-<stamp>/<store>`, `.<store>.restore-<tag>`).
// Anything else is refused with an error naming the marker and what is wrong.
import { lstat, stat } from "node:fs/promises";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { readRegularFile, writeFileDurably } from "../../base/io/durable-file.ts";
import { AgentError } from "../../base/errors.ts";

export const RESTORE_MARKER = "restore-in-progress.json";

/** One target: its current files go aside (`aside`: [from, to] in order), then `staged` (if any) takes its place. */
export interface SwapGroup {
  readonly target: string;
  readonly aside: ReadonlyArray<readonly [string, string]>;
  readonly staged?: string;
  /** The aside sources that existed when the swap was planned (absent in markers of older agents: then the target itself). */
  readonly present?: readonly string[];
}

export interface RestoreMarker {
  readonly format: "glase-agent-restore";
  readonly startedAt: string;
  /** The backup being restored: a re-run must name the same one. */
  readonly backup: { readonly file: string; readonly createdAt: string; readonly station: string };
  /** Where the current files go (replaced-<time>/ beside each target's directory). */
  readonly replacedDirs: readonly string[];
  readonly groups: readonly SwapGroup[];
  /** Set (durably) before `restore --abort` moves anything: from then on only --abort may continue. */
  readonly aborting?: boolean;
}

export function markerPath(stateDir: string): string {
  return join(stateDir, RESTORE_MARKER);
}

/** The names restore writes, relative to the state directory. */
const STORE = String.raw`(?:(?:journal|invoices|drivers)\.sqlite(?:-wal|-shm)?|terminals)`;
const TARGET = new RegExp(`^${STORE}$`);
const ASIDE = new RegExp(String.raw`^replaced-[A-Za-z0-9-]+/${STORE}$`);
const STAGED = new RegExp(String.raw`^\.(?:(?:journal|invoices|drivers)\.sqlite|terminals)\.restore-[A-Za-z0-9-]+$`);
const REPLACED_DIR = /^replaced-[A-Za-z0-9-]+$/;
const MAX_MARKER_BYTES = 64 * 1024;

function damaged(path: string, what: string): AgentError {
  return new AgentError(
    "CONFLICT",
    `${path}: the marker of an interrupted restore is refused: ${what}. Neither a re-run nor --abort acts on it: with the agent stopped, check the state directory by hand (the previous files are in replaced-*/), then remove the marker`,
    { path, restoreInProgress: true },
  );
}

/** Checks the marker's relative paths (as on disk); throws naming the first bad one. */
function checkShapes(path: string, m: RestoreMarker): void {
  const check = (p: unknown, shape: RegExp, role: string) => {
    if (typeof p !== "string") throw damaged(path, `${role} is not a path`);
    if (isAbsolute(p)) throw damaged(path, `${role} "${p}" is absolute (restore writes only paths relative to the state directory)`);
    if (p.split(/[\\/]/).includes("..")) throw damaged(path, `${role} "${p}" contains ".."`);
    if (!shape.test(p)) throw damaged(path, `${role} "${p}" is not a file restore writes (journal.sqlite*, invoices.sqlite*, drivers.sqlite*, terminals, replaced-*/…, .<store>.restore-*)`);
  };
  if (m.format !== "glase-agent-restore" || !Array.isArray(m.groups) || !Array.isArray(m.replacedDirs) || typeof m.backup !== "object" || m.backup === null) throw damaged(path, "not a restore marker (format, groups, replacedDirs, backup)");
  for (const d of m.replacedDirs) check(d, REPLACED_DIR, "replacedDirs entry");
  for (const g of m.groups) {
    if (typeof g !== "object" || g === null || !Array.isArray(g.aside)) throw damaged(path, "a group is not { target, aside, staged }");
    check(g.target, TARGET, "target");
    for (const pair of g.aside) {
      if (!Array.isArray(pair) || pair.length !== 2) throw damaged(path, `an aside entry of ${g.target} is not [from, to]`);
      check(pair[0], TARGET, "aside source");
      check(pair[1], ASIDE, "aside destination");
      if (basename(pair[0]) !== basename(pair[1])) throw damaged(path, `aside "${pair[0]}" → "${pair[1]}" changes the file's name`);
      if (pair[0] !== g.target && pair[0] !== `${g.target}-wal` && pair[0] !== `${g.target}-shm`) throw damaged(path, `aside "${pair[0]}" does not belong to target "${g.target}"`);
    }
    if (g.present !== undefined) {
      if (!Array.isArray(g.present)) throw damaged(path, `present of ${g.target} is not a list`);
      for (const p of g.present) if (!g.aside.some(([from]: readonly [string, string]) => from === p)) throw damaged(path, `present "${String(p)}" is not an aside source of "${g.target}"`);
    }
    if (g.staged !== undefined) {
      check(g.staged, STAGED, "staged");
      if (!g.staged.startsWith(`.${g.target}.restore-`)) throw damaged(path, `staged "${g.staged}" does not belong to target "${g.target}"`);
    }
  }
}

/** The marker's paths mapped by `f` (kept relative to the state directory on disk: a copied state directory resumes in place). */
function relocate(m: RestoreMarker, f: (p: string) => string): RestoreMarker {
  return {
    ...m,
    replacedDirs: m.replacedDirs.map(f),
    groups: m.groups.map((g) => ({
      target: f(g.target),
      aside: g.aside.map(([a, b]) => [f(a), f(b)] as const),
      ...(g.staged !== undefined ? { staged: f(g.staged) } : {}),
      ...(g.present !== undefined ? { present: g.present.map(f) } : {}),
    })),
  };
}

/** The marker of an interrupted restore (paths absolute), or undefined. An unreadable or untrustworthy marker is an error, never "none". */
export async function readRestoreMarker(stateDir: string): Promise<RestoreMarker | undefined> {
  const path = markerPath(stateDir);
  const st = await lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw new AgentError("CONFLICT", `${path}: cannot read the marker of an interrupted restore (${e.code})`, { path, restoreInProgress: true });
  });
  if (!st) return undefined;
  if (st.isSymbolicLink()) throw damaged(path, "it is a symlink (symbolic links are not followed here)");
  if (!st.isFile()) throw damaged(path, "it is not a regular file");
  let file;
  try {
    file = await readRegularFile(path, { maxBytes: MAX_MARKER_BYTES });
  } catch (e) {
    throw damaged(path, e instanceof AgentError ? e.message : String(e));
  }
  const dirOwner = (await stat(stateDir)).uid;
  if (file.uid !== dirOwner && file.uid !== 0) throw damaged(path, `it is owned by uid ${file.uid}, not by the state directory's owner (uid ${dirOwner}) or root`);
  if ((file.mode & 0o022) !== 0) throw damaged(path, `its mode ${(file.mode & 0o777).toString(8)} lets group or others write it`);
  let m: RestoreMarker;
  try {
    m = JSON.parse(file.text) as RestoreMarker;
  } catch {
    throw damaged(path, "it is not JSON");
  }
  if (typeof m !== "object" || m === null) throw damaged(path, "it is not a JSON object");
  checkShapes(path, m);
  return relocate(m, (p) => resolve(stateDir, p));
}

export async function writeRestoreMarker(stateDir: string, marker: RestoreMarker, owner?: { uid: number; gid: number }): Promise<void> {
  const rel = relocate(marker, (p) => (isAbsolute(p) ? relative(stateDir, p) : p));
  checkShapes(markerPath(stateDir), rel); // what we write must read back
  await writeFileDurably(markerPath(stateDir), JSON.stringify(rel, null, 2) + "\n", { mode: 0o600, ...(owner ? { owner } : {}) });
}

/** Refuses while a restore is unfinished (the files may be half swapped): the daemon's start and every offline command that writes state. */
export async function assertNoRestoreInProgress(stateDir: string): Promise<void> {
  const m = await readRestoreMarker(stateDir);
  if (!m) return;
  const how = m.aborting
    ? `an abort of it was interrupted: finish it with \`glase-agent restore --abort\``
    : `finish it with \`glase-agent restore ${m.backup.file}\` (re-run), or put the previous files back with \`glase-agent restore --abort\``;
  throw new AgentError(
    "CONFLICT",
    `a restore was interrupted (${markerPath(stateDir)} exists, restore of ${m.backup.file} started ${m.startedAt}): the state directory may be half swapped, so the agent does not start. ${how[0]!.toUpperCase()}${how.slice(1)}; then start the agent`,
    { marker: markerPath(stateDir), restoreInProgress: true },
  );
}

export function isRestoreInProgress(e: unknown): boolean {
  return e instanceof AgentError && e.context.restoreInProgress === true;
}
