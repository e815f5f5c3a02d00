// The backup file: a ustar archive, MANIFEST.json first, then every file it lists — written
// durably (temp + fsync + rename + directory fsync, agent/durable-file.ts), mode 0600 (it holds
// terminal passwords), and every byte checked against the manifest's sha256 on the way in and
// again when it is read back for a restore.
import { createHash } from "node:crypto";
import { closeSync, createReadStream, openSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { writeFileDurably } from "../../base/io/durable-file.ts";
import { AgentError } from "../../base/errors.ts";
import { MANIFEST_NAME, parseManifest, type BackupManifest } from "./manifest.ts";
import { readTarIndex, tarStream, type TarEntry, type TarIndexEntry } from "./tar.ts";

/** A stream of `source` that fails at its end when its bytes do not hash to `sha256`. */
async function* verified(source: AsyncIterable<Uint8Array>, sha256: string, what: string): AsyncGenerator<Uint8Array> {
  const hash = createHash("sha256");
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
  const got = hash.digest("hex");
  if (got !== sha256) throw new AgentError("INPUT_INVALID", `${what}: content does not match the manifest (sha256 ${got.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…)`, { what });
}

/** Writes the archive of a snapshot folder to `file`; resolves with its size and sha256. */
export async function writeBackupArchive(file: string, snapshotDir: string, manifest: BackupManifest): Promise<{ bytes: number; sha256: string }> {
  const mtime = Math.floor(Date.parse(manifest.createdAt) / 1000);
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + "\n");
  const entries: TarEntry[] = [
    { name: MANIFEST_NAME, mode: 0o600, size: manifestBytes.length, mtime, content: async function* () { yield manifestBytes; } },
    ...manifest.files.map((f) => ({
      name: f.name,
      mode: f.mode,
      size: f.size,
      mtime,
      content: () => verified(createReadStream(join(snapshotDir, f.name)), f.sha256, f.name),
    })),
  ];
  const whole = createHash("sha256");
  let bytes = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of tarStream(entries)) {
      whole.update(chunk);
      bytes += chunk.byteLength;
      yield chunk;
    }
  }
  await writeFileDurably(file, counted(), { mode: 0o600 });
  return { bytes, sha256: whole.digest("hex") };
}

export interface OpenedBackup {
  readonly file: string;
  readonly manifest: BackupManifest;
  /** Archive name → where its bytes are. */
  readonly entries: ReadonlyMap<string, TarIndexEntry>;
  /** The bytes of one listed file, checked against the manifest as they are read. */
  content(name: string): AsyncIterable<Uint8Array>;
}

/**
 * Opens a backup and checks it whole: the tar structure, the manifest, that it lists exactly the
 * files it holds, and every file's size and sha256. Throws INPUT_INVALID naming the problem.
 */
export async function openBackup(file: string): Promise<OpenedBackup> {
  const index = await readTarIndex(file);
  const first = index[0];
  if (first?.name !== MANIFEST_NAME || (first.type !== "0" && first.type !== "")) throw new AgentError("INPUT_INVALID", `${file}: not a glase-agent backup (${MANIFEST_NAME} is not its first entry)`, { file });
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file, { start: first.offset, end: first.offset + first.size - 1 })) chunks.push(c as Buffer);
  const manifest = parseManifest(first.size === 0 ? "" : Buffer.concat(chunks).toString("utf8"), file);
  const odd = index.find((e) => e.type !== "0" && e.type !== "");
  if (odd) throw new AgentError("INPUT_INVALID", `${file}: unexpected entry ${odd.name} (tar type ${odd.type}); a backup holds regular files only`, { file, name: odd.name });
  const entries = new Map(index.slice(1).map((e) => [e.name, e]));
  const listed = new Set(manifest.files.map((f) => f.name));
  for (const name of entries.keys()) if (!listed.has(name)) throw new AgentError("INPUT_INVALID", `${file}: holds ${name}, which its manifest does not list`, { file, name });
  // The bytes are read through a descriptor opened now: `restore` opens the archive as root (it
  // may be root's alone), then drops to the state directory's owner before writing anything.
  const fd = openSync(file, "r");
  const content = (name: string): AsyncIterable<Uint8Array> => {
    const f = manifest.files.find((x) => x.name === name);
    const e = entries.get(name);
    if (!f || !e) throw new AgentError("INPUT_INVALID", `${file}: ${name} is missing`, { file, name });
    if (e.size !== f.size) throw new AgentError("INPUT_INVALID", `${file}: ${name} has ${e.size} bytes, the manifest says ${f.size}`, { file, name });
    return verified(e.size === 0 ? (async function* () {})() : createReadStream("", { fd, autoClose: false, start: e.offset, end: e.offset + e.size - 1 }), f.sha256, `${file}: ${name}`);
  };
  try {
    for (const f of manifest.files) for await (const _ of content(f.name));
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return { file, manifest, entries, content };
}

/**
 * Whether `file` starts as a glase-agent backup does: a ustar header whose entry is MANIFEST.json
 * (written first). Only the first block is read, so an old backup that is damaged further on can
 * still be replaced — but a config, a secret or any other file never is (`ctl backup --force`).
 */
export async function looksLikeBackup(file: string): Promise<boolean> {
  const fh = await open(file, "r");
  try {
    const block = Buffer.alloc(512);
    const { bytesRead } = await fh.read(block, 0, 512, 0);
    if (bytesRead < 512) return false;
    const name = block.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const magic = block.subarray(257, 262).toString("ascii");
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
    const stored = parseInt(block.subarray(148, 156).toString("ascii").replace(/[\0 ]/g, ""), 8);
    return name === MANIFEST_NAME && magic === "ustar" && stored === sum;
  } finally {
    await fh.close();
  }
}
