// Printer outputs on disk are bounded: a file sink rotates by size (path → path.1 → … → path.N,
// the oldest dropped), and the virtual printer's receipts folder keeps the newest receipts within
// a count and a total size. A printed receipt is also in the journal (ctl receipts, ctl reprint),
// so what rotation drops is only the printer's copy.
import { readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { syncDirectory } from "./durable-file.ts";

export interface RotationPolicy {
  /** A file sink rotates before an append would take it past this; a folder keeps at most this many bytes. */
  readonly maxBytes: number;
  /** Rotated files kept beside the sink (path.1 … path.keep), or receipt files kept in the folder. */
  readonly keep: number;
}

/** A file printer's spool: rotated at 10 MiB, 5 old files kept (≈ 60 MiB at most). */
export const DEFAULT_FILE_ROTATION: RotationPolicy = { maxBytes: 10 * 1024 * 1024, keep: 5 };
/** The virtual printer's receipts folder: the newest 2000 receipts within 50 MiB. */
export const DEFAULT_FOLDER_ROTATION: RotationPolicy = { maxBytes: 50 * 1024 * 1024, keep: 2000 };

const sizeOf = (p: string) => stat(p).then((s) => s.size, () => 0);

/**
 * Before appending `incoming` bytes to `path`: when the file already holds something and the
 * append would pass `maxBytes`, shifts the rotated files up by one and starts a new file.
 * Resolves whether it rotated.
 */
export async function rotateBeforeAppend(path: string, incoming: number, p: RotationPolicy): Promise<boolean> {
  const size = await sizeOf(path);
  if (size === 0 || size + incoming <= p.maxBytes) return false;
  if (p.keep <= 0) {
    await rm(path, { force: true });
  } else {
    await rm(`${path}.${p.keep}`, { force: true });
    for (let i = p.keep - 1; i >= 1; i--) await rename(`${path}.${i}`, `${path}.${i + 1}`).catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? undefined : Promise.reject(e)));
    await rename(path, `${path}.1`);
  }
  await syncDirectory(dirname(path));
  return true;
}

/** The rotated files of a sink, newest first (for tests and `doctor`). */
export async function rotatedFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(`${base}.`) && /^\d+$/.test(n.slice(base.length + 1)))
    .sort((a, b) => Number(a.slice(base.length + 1)) - Number(b.slice(base.length + 1)))
    .map((n) => join(dir, n));
}

/**
 * Keeps the newest receipt files of a folder (names sort by time: `receipt-<ISO time>-<seq>.txt`)
 * within `keep` files and `maxBytes` in all; deletes the rest. Resolves how many it deleted.
 */
export async function pruneReceiptFolder(dir: string, p: RotationPolicy): Promise<number> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^receipt-.*\.txt$/.test(n)).sort().reverse();
  let bytes = 0;
  let removed = 0;
  for (const [i, n] of names.entries()) {
    const file = join(dir, n);
    bytes += await sizeOf(file);
    if (i > 0 && (i >= p.keep || bytes > p.maxBytes)) {
      await rm(file, { force: true });
      removed++;
    }
  }
  if (removed > 0) await syncDirectory(dir);
  return removed;
}
