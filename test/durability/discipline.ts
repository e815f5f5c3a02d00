// Reads an strace trace for the durability discipline of every file under a directory:
// - a rename's source has its data fsynced (fsync/fdatasync) after its last write and before the rename;
// - a rename, unlink or mkdir is followed by an fsync of the directory it changed;
// - any other write (an append) is followed by an fsync/fdatasync of the same file.
// SQLite's own files (journal, WAL, shared-memory index) follow SQLite's protocol (WAL,
// synchronous=FULL) and are left out.
import { dirname } from "node:path";
import { under, type TraceEvent } from "./strace.ts";

const WRITES = new Set(["write", "writev", "pwrite64"]);
const SYNCS = new Set(["fsync", "fdatasync"]);
const RENAMES = new Set(["rename", "renameat", "renameat2"]);
const REMOVES = new Set(["unlink", "unlinkat"]);
const MKDIRS = new Set(["mkdir", "mkdirat"]);
const SQLITE = /\.sqlite(-wal|-shm|-journal)?$/;

function ok(e: TraceEvent): boolean {
  return !e.result.startsWith("-1");
}

/** Quoted absolute path arguments (not fd paths) of a path syscall. */
function pathArgs(e: TraceEvent): string[] {
  return [...e.args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!).filter((p) => p.startsWith("/"));
}

export function disciplineViolations(events: readonly TraceEvent[], dir: string): string[] {
  const problems: string[] = [];
  const relevant = events.filter((e) => under(dir, e) && ok(e));
  // The directory fsynced may lie just outside `dir` (a directory created in it).
  const syncedAfter = (path: string, from: number, to = Infinity) => events.some((e) => SYNCS.has(e.syscall) && ok(e) && e.fdPath === path && e.index > from && e.index < to);
  const renamedSources = new Set<string>();
  for (const e of relevant) {
    if (RENAMES.has(e.syscall)) {
      const [src, dst] = pathArgs(e);
      if (!src || !dst || SQLITE.test(dst)) continue;
      renamedSources.add(src);
      const lastWrite = [...relevant].reverse().find((w) => w.index < e.index && WRITES.has(w.syscall) && w.fdPath === src);
      if (!syncedAfter(src, lastWrite?.index ?? -1, e.index)) problems.push(`${dst}: renamed from ${src} without an fsync of its data first (#${e.index})`);
      if (!syncedAfter(dirname(dst), e.index)) problems.push(`${dst}: rename not followed by an fsync of ${dirname(dst)} (#${e.index})`);
    } else if (REMOVES.has(e.syscall) || MKDIRS.has(e.syscall)) {
      const [path] = pathArgs(e);
      if (!path || SQLITE.test(path) || !(path.startsWith(dir + "/") || path === dir)) continue;
      if (!syncedAfter(dirname(path), e.index)) problems.push(`${path}: ${e.syscall} not followed by an fsync of ${dirname(path)} (#${e.index})`);
    }
  }
  for (const e of relevant) {
    if (!WRITES.has(e.syscall) || !e.fdPath || SQLITE.test(e.fdPath) || renamedSources.has(e.fdPath)) continue;
    if (!e.fdPath.startsWith(dir + "/")) continue;
    if (!syncedAfter(e.fdPath, e.index)) problems.push(`${e.fdPath}: written (#${e.index}) and never fsynced`);
  }
  return problems;
}

/** Index of the first socket write whose data contains `marker` (a SOAP operation name). */
export function firstRequestWith(events: readonly TraceEvent[], marker: string): number | undefined {
  return events.find((e) => (WRITES.has(e.syscall) || e.syscall === "sendto" || e.syscall === "sendmsg") && /^\d+<TCP/.test(e.args) && e.args.includes(marker))?.index;
}

/** Index of the fsync of `dir` that made the rename into `target` durable. */
export function durableAt(events: readonly TraceEvent[], target: string): number | undefined {
  const rename = events.find((e) => RENAMES.has(e.syscall) && ok(e) && pathArgs(e)[1] === target);
  if (!rename) return undefined;
  return events.find((e) => SYNCS.has(e.syscall) && e.fdPath === dirname(target) && e.index > rename.index)?.index;
}
