// Durable files: the one way the agent writes a file it (or a technician) relies on after a power
// cut — terminal credentials, pending registrations, receipts it keeps as files, anything else.
// A SIGKILL test cannot see a missing fsync (the page cache survives a killed process, not a power
// cut): a `rename` whose data was never fsynced can leave the target at 0 bytes, and a rename or
// unlink whose directory was never fsynced can be undone. So a whole-file write is
//   temp file (O_EXCL, final mode from the start) → write → fsync → rename → fsync the directory
// (link instead of rename for a file that must never replace another), and a directory created
// on the way is fsynced into its parent. Nothing is ever rewritten in place. Files the agent reads
// back from its own directories are opened without following links (readRegularFile). After the promise resolves the
// new content survives a power cut; before, the old content (or no file) does — never a torn or
// empty file under the target's name. The SQLite journals do the same through SQLite itself
// (WAL, synchronous=FULL). Appends (a printer's spool file) get fdatasync before resolving.
//
// Base layer: node:fs only, no agent imports beyond errors.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, lstat, mkdir, open, readdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { AgentError } from "../errors.ts";

export interface DurableWriteOptions {
  /** File mode, exact (umask does not narrow or widen it). Default 0600: most of what we write is secret. */
  readonly mode?: number;
  /** Mode of directories created on the way. Default 0700. */
  readonly dirMode?: number;
  /**
   * Give the new file (and directories created on the way) to this owner. Used when root runs a
   * CLI command that writes into the service's state directory: what it writes must belong to
   * the service's user, not to root, or the service cannot read it.
   */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

const TEMP_MARK = ".tmp-";

/** Name of a temporary sibling; a leading dot keeps it out of `point-*.json` style globs. */
function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}${TEMP_MARK}${process.pid}-${randomBytes(4).toString("hex")}`);
}

function fsError(op: string, path: string, e: unknown): AgentError {
  const code = (e as NodeJS.ErrnoException).code ?? "error";
  return new AgentError("INTERNAL", `${op} ${path} failed (${code})`, { op, path, errno: code }, { cause: e });
}

/** fsync of a directory: makes the creations, renames and unlinks in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY).catch((e: unknown) => {
    throw fsError("open directory", dir, e);
  });
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The effective uid (directories we create are ours); undefined off POSIX. */
function effectiveUid(): number | undefined {
  return process.geteuid?.();
}

/**
 * mkdir -p where every directory created is fsynced into its parent (a new directory's entry is
 * as volatile as a new file's), with exactly `mode` (umask does not narrow it) and, when asked,
 * given to `owner`. Existing directories are used as they are, symbolic links included: a state
 * directory that is a link to the data partition is a common embedded layout.
 *
 * Mode and owner are set through a file descriptor of the directory we just made, opened with
 * O_NOFOLLOW and checked to be a directory that is ours — never by path: between mkdir and a
 * chown by path, whoever can write the parent could swap in a symbolic link and have root give
 * away any file (/etc/shadow) to the service user.
 */
export async function ensureDirectory(dir: string, mode = 0o700, owner?: DurableWriteOptions["owner"]): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    // stat, not lstat: an existing component may be a link to a directory.
    const st = await stat(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw fsError("stat", d, e);
    });
    if (st) {
      if (!st.isDirectory()) throw new AgentError("INTERNAL", `${d} is not a directory`, { path: d });
      break;
    }
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    const created = await mkdir(d, { mode }).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code !== "EEXIST") throw fsError("mkdir", d, e);
        return false; // made by someone else meanwhile (or a dangling link: the stat below says so)
      },
    );
    if (!created) {
      const st = await stat(d).catch((e: unknown) => {
        throw fsError("stat", d, e);
      });
      if (!st.isDirectory()) throw new AgentError("INTERNAL", `${d} is not a directory`, { path: d });
      continue;
    }
    const handle = await open(d, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch((e: unknown) => {
      throw fsError("open new directory", d, e); // ELOOP: replaced by a symbolic link since mkdir
    });
    try {
      const st = await handle.stat();
      const uid = effectiveUid();
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
        throw new AgentError("INTERNAL", `${d} was replaced while it was being created; not touching it`, { path: d });
      }
      await handle.chmod(mode); // exact mode, whatever the umask
      if (owner) await handle.chown(owner.uid, owner.gid);
    } finally {
      await handle.close();
    }
    await syncDirectory(dirname(d));
  }
}

/**
 * Reads a file that must be a regular file (a FIFO, device or directory is refused, without
 * blocking), at most `maxBytes`. With `followSymlinks: false` (the default) a symbolic link as
 * the last component is refused: a file the agent keeps in its own directories is never a link,
 * and following one there would let whoever can write the directory make root read any file.
 * Type, mode and owner come from the open descriptor (no window between check and read).
 */
export async function readRegularFile(
  path: string,
  opts: { readonly followSymlinks?: boolean; readonly maxBytes?: number } = {},
): Promise<{ readonly text: string; readonly mode: number; readonly uid: number }> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (opts.followSymlinks ? 0 : constants.O_NOFOLLOW);
  let handle;
  try {
    handle = await open(path, flags);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP" && !opts.followSymlinks) {
      throw new AgentError("CONFIG_INVALID", `${path} is a symbolic link; the agent does not follow links here`, { path, errno: code });
    }
    throw fsError("open", path, e);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new AgentError("CONFIG_INVALID", `${path} is not a regular file`, { path });
    const max = opts.maxBytes ?? 1 << 20;
    if (st.size > max) throw new AgentError("CONFIG_INVALID", `${path} is larger than ${max} bytes`, { path, size: st.size });
    return { text: await handle.readFile("utf8"), mode: st.mode, uid: st.uid };
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data`, durably and atomically (see the header). With `replace: false`
 * the file is only created: link(2) instead of rename(2), so an existing file (another run's
 * record) is never replaced — AgentError CONFLICT with context.errno "EEXIST" instead. `data`
 * may be a stream of chunks (an AsyncIterable, e.g. a backup archive of a large journal): it is
 * written as it comes and the target appears only once all of it is on disk; a stream that throws
 * leaves the old file.
 */
export async function writeFileDurably(path: string, data: string | Uint8Array | AsyncIterable<Uint8Array>, opts: DurableWriteOptions & { readonly replace?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  const mode = opts.mode ?? 0o600;
  await ensureDirectory(dir, opts.dirMode ?? 0o700, opts.owner);
  const tmp = tempName(path);
  let exists = false;
  try {
    // O_EXCL|O_NOFOLLOW: never write through a planted file or symlink; the mode is right from
    // the first byte (a secret is never readable by others, not even for a moment).
    const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    try {
      await handle.chmod(mode); // exact mode, whatever the umask
      if (opts.owner) await handle.chown(opts.owner.uid, opts.owner.gid);
      if (typeof data === "string" || data instanceof Uint8Array) await handle.writeFile(data);
      else await writeFile(handle, data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (opts.replace === false) {
      await link(tmp, path).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "EEXIST") exists = true;
        throw e;
      });
      await unlink(tmp);
    } else {
      await rename(tmp, path);
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    if (exists) throw new AgentError("CONFLICT", `${path} already exists`, { path, errno: "EEXIST" }, { cause: e });
    throw e instanceof AgentError ? e : fsError("write", path, e);
  }
  await syncDirectory(dir);
}

/** True for the CONFLICT a `replace: false` write throws when the file exists. */
export function isExistsConflict(e: unknown): boolean {
  return e instanceof AgentError && e.code === "CONFLICT" && e.context.errno === "EEXIST";
}

/**
 * Moves `from` to `to` (same file system) durably: both directories are fsynced. False when
 * `from` was not there (someone else moved or removed it first: rename is atomic, one wins).
 */
export async function moveFileDurably(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw fsError("rename", from, e);
  }
  await syncDirectory(dirname(to));
  if (dirname(from) !== dirname(to)) await syncDirectory(dirname(from));
  return true;
}

/** Gives `from` a second name `to`, durably; false (nothing changed) when `to` exists. */
export async function linkFileDurably(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw fsError("link", to, e);
  }
  await syncDirectory(dirname(to));
  return true;
}

/** Removes `path` durably (the unlink is fsynced into the directory). False when there was none. */
export async function removeFileDurably(path: string): Promise<boolean> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw fsError("unlink", path, e);
  }
  await syncDirectory(dirname(path));
  return true;
}

/**
 * Appends `data` and fdatasyncs before resolving (a receipt "printed" to a spool file is on disk
 * when the journal says printed). A file created by this append is fsynced into its directory.
 */
export async function appendFileDurably(path: string, data: Uint8Array, opts: Pick<DurableWriteOptions, "mode"> = {}): Promise<void> {
  let created = false;
  let handle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_APPEND);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw fsError("open", path, e);
    // Created as appendFile would (0666 less the umask) unless told otherwise: a spooler reads it.
    handle = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, opts.mode ?? 0o666).catch((e2: unknown) => {
      throw fsError("create", path, e2);
    });
    created = true;
  }
  try {
    await handle.writeFile(data); // loops over short writes; O_APPEND puts each at the end
    await handle.datasync().catch((e: NodeJS.ErrnoException) => {
      // A FIFO or character device has nothing to sync.
      if (e.code !== "EINVAL" && e.code !== "ENOTSUP") throw e;
    });
  } finally {
    await handle.close();
  }
  if (created) await syncDirectory(dirname(path));
}

/**
 * Removes temporary files a power cut or crash left in `dir` (writers that are still alive keep
 * theirs). They never hold the only copy of anything: a write's temp file only becomes the
 * content once renamed.
 */
export async function removeStaleTemporaries(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const at = name.lastIndexOf(TEMP_MARK);
    if (!name.startsWith(".") || at < 0) continue;
    const pid = Number(name.slice(at + TEMP_MARK.length).split("-")[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) continue;
    if (pid === process.pid) continue;
    await unlink(join(dir, name)).then(() => removed++, () => undefined);
  }
  if (removed > 0) await syncDirectory(dir);
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Who controls `dir` when root acts in it: the first user other than root who owns it or one of
 * its ancestors (a symbolic link counts with its own owner, then its target's). That user can
 * rename and replace anything below, so what root writes there must be theirs — and root should
 * act there with their rights (agent/cli/commands/state-owner.ts). Undefined when we are not root
 * or the whole path is root's.
 */
export async function inheritedOwner(dir: string): Promise<DurableWriteOptions["owner"]> {
  if (effectiveUid() !== 0) return undefined;
  for (let d = dir; ; d = dirname(d)) {
    const own = await lstat(d).catch(() => undefined);
    if (own && own.uid !== 0) return { uid: own.uid, gid: own.gid };
    if (own?.isSymbolicLink()) {
      const target = await stat(d).catch(() => undefined);
      if (target && target.uid !== 0) return { uid: target.uid, gid: target.gid };
    }
    if (dirname(d) === d) return undefined;
  }
}
