// Reads an strace trace for the durability discipline of every file under a directory:
// - no file is rewritten in place: an openat with O_TRUNC, or a write to a file that is neither a
//   temporary (`.name.tmp-…`) nor opened O_APPEND, is a violation — a power cut in the middle of
//   an in-place rewrite leaves a torn or empty file, however carefully it is fsynced afterwards;
// - a rename's or link's source has its data fsynced (fsync/fdatasync) after its last write and
//   before the rename/link (data state follows the file through renames and links);
// - a rename, link, unlink or mkdir is followed by an fsync of each directory it changed;
// - an append is followed by an fsync/fdatasync of the same file.
// SQLite's own files (journal, WAL, shared-memory index) follow SQLite's protocol (WAL,
// synchronous=FULL) and are left out.
import { basename, dirname } from "node:path";
import { under, type TraceEvent } from "./strace.ts";

const WRITES = new Set(["write", "writev", "pwrite64"]);
const SYNCS = new Set(["fsync", "fdatasync"]);
const RENAMES = new Set(["rename", "renameat", "renameat2"]);
const LINKS = new Set(["link", "linkat"]);
const REMOVES = new Set(["unlink", "unlinkat"]);
const MKDIRS = new Set(["mkdir", "mkdirat"]);
const SQLITE = /\.sqlite(-wal|-shm|-journal)?$/;

function ok(e: TraceEvent): boolean {
  return !e.result.startsWith("-1");
}

/** Quoted absolute path arguments (not fd paths) of a path syscall. */
export function pathArgs(e: TraceEvent): string[] {
  return [...e.args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!).filter((p) => p.startsWith("/"));
}

/** A temporary of the durable-file helper: `.<name>.tmp-<pid>-<hex>`. */
export function isTemporary(path: string): boolean {
  const name = basename(path);
  return name.startsWith(".") && name.includes(".tmp-");
}

export function disciplineViolations(events: readonly TraceEvent[], dir: string): string[] {
  const problems: string[] = [];
  const inScope = (p: string | undefined): p is string => p !== undefined && (p === dir || p.startsWith(dir + "/")) && !SQLITE.test(p);
  // The directory fsynced may lie just outside `dir` (a directory created in it).
  const syncedAfter = (path: string, from: number) => events.some((e) => SYNCS.has(e.syscall) && ok(e) && e.fdPath === path && e.index > from);
  /** fd number → flags of its latest openat, replayed in order. */
  const fdFlags = new Map<number, string>();
  /** Paths whose data was written since their last fsync. */
  const dirty = new Set<string>();
  for (const e of events) {
    if (!ok(e)) continue;
    if (e.syscall === "openat") {
      const fd = /^(\d+)</.exec(e.result);
      const flags = /",\s*([A-Z0-9_|]+)/.exec(e.args)?.[1] ?? "";
      if (fd) fdFlags.set(Number(fd[1]), flags);
      const [path] = pathArgs(e);
      if (inScope(path) && flags.split("|").includes("O_TRUNC")) problems.push(`${path}: opened with O_TRUNC — rewritten in place (#${e.index})`);
      continue;
    }
    if (!under(dir, e)) continue;
    if (WRITES.has(e.syscall) && inScope(e.fdPath)) {
      const fd = Number(/^(\d+)</.exec(e.args)?.[1]);
      const append = (fdFlags.get(fd) ?? "").split("|").includes("O_APPEND");
      if (!append && !isTemporary(e.fdPath)) problems.push(`${e.fdPath}: written in place, not through a temporary file (#${e.index})`);
      dirty.add(e.fdPath);
      if (append && !syncedAfter(e.fdPath, e.index)) problems.push(`${e.fdPath}: appended (#${e.index}) and never fsynced`);
    } else if (SYNCS.has(e.syscall) && e.fdPath) {
      dirty.delete(e.fdPath);
    } else if (RENAMES.has(e.syscall) || LINKS.has(e.syscall)) {
      const [src, dst] = pathArgs(e);
      if (!src || !dst || !inScope(dst)) continue;
      if (dirty.has(src)) problems.push(`${dst}: ${e.syscall} from ${src} before its data was fsynced (#${e.index})`);
      if (!syncedAfter(dirname(dst), e.index)) problems.push(`${dst}: ${e.syscall} not followed by an fsync of ${dirname(dst)} (#${e.index})`);
      if (RENAMES.has(e.syscall) && dirname(src) !== dirname(dst) && !syncedAfter(dirname(src), e.index)) {
        problems.push(`${src}: moved away (#${e.index}) without an fsync of ${dirname(src)}`);
      }
      if (dirty.has(src)) dirty.add(dst);
      else dirty.delete(dst);
      if (RENAMES.has(e.syscall)) dirty.delete(src);
    } else if (REMOVES.has(e.syscall) || MKDIRS.has(e.syscall)) {
      const [path] = pathArgs(e);
      if (!inScope(path)) continue;
      if (!syncedAfter(dirname(path), e.index)) problems.push(`${path}: ${e.syscall} not followed by an fsync of ${dirname(path)} (#${e.index})`);
      if (REMOVES.has(e.syscall)) dirty.delete(path);
    }
  }
  return problems;
}

/** Index of the first socket write whose data contains `marker` (a SOAP operation name). */
export function firstRequestWith(events: readonly TraceEvent[], marker: string): number | undefined {
  return events.find((e) => (WRITES.has(e.syscall) || e.syscall === "sendto" || e.syscall === "sendmsg") && /^\d+<TCP/.test(e.args) && e.args.includes(marker))?.index;
}

/** Index of the fsync of `dir` that made the rename (or link) into `target` durable. */
export function durableAt(events: readonly TraceEvent[], target: string): number | undefined {
  const placed = events.find((e) => (RENAMES.has(e.syscall) || LINKS.has(e.syscall)) && ok(e) && pathArgs(e)[1] === target);
  if (!placed) return undefined;
  return events.find((e) => SYNCS.has(e.syscall) && e.fdPath === dirname(target) && e.index > placed.index)?.index;
}
