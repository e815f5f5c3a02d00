// The smallest POSIX ustar writer and reader the backups need: regular files only, streamed (a
// journal of hundreds of MB never sits in memory). A backup is a plain tar so an operator can look
// into it with `tar -tvf` and take one file out with `tar -xf` when the agent is not at hand.
// Base layer: node:fs only.
import { open } from "node:fs/promises";
import { AgentError } from "../../base/errors.ts";

const BLOCK = 512;

export interface TarEntryHeader {
  readonly name: string;
  readonly mode: number;
  readonly size: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
}

export interface TarEntry extends TarEntryHeader {
  /** The content; it must yield exactly `size` bytes. */
  content(): AsyncIterable<Uint8Array>;
}

/** An entry found in an archive: where its bytes are. */
export interface TarIndexEntry extends TarEntryHeader {
  readonly offset: number;
  /** The ustar type flag: "0" (or "") a regular file, "5" a directory, … */
  readonly type: string;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function splitName(name: string): { prefix: string; base: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: "", base: name };
  const cut = name.lastIndexOf("/", 155);
  if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new AgentError("INTERNAL", `tar: name too long: ${name}`, { name });
  return { prefix: name.slice(0, cut), base: name.slice(cut + 1) };
}

export function tarHeader(e: TarEntryHeader): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const { prefix, base } = splitName(e.name);
  h.write(base, 0, 100, "utf8");
  h.write(octal(e.mode & 0o7777, 8), 100, 8, "ascii");
  h.write(octal(0, 8), 108, 8, "ascii");
  h.write(octal(0, 8), 116, 8, "ascii");
  h.write(octal(e.size, 12), 124, 12, "ascii");
  h.write(octal(Math.floor(e.mtime), 12), 136, 12, "ascii");
  h.write("        ", 148, 8, "ascii");
  h.write("0", 156, 1, "ascii");
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return h;
}

/** The archive as a stream of chunks: header, content, padding per entry, then two zero blocks. */
export async function* tarStream(entries: readonly TarEntry[]): AsyncGenerator<Uint8Array> {
  for (const e of entries) {
    yield tarHeader(e);
    let written = 0;
    for await (const chunk of e.content()) {
      written += chunk.byteLength;
      if (written > e.size) throw new AgentError("INTERNAL", `tar: ${e.name} grew while it was archived (${e.size} bytes expected)`, { name: e.name });
      yield chunk;
    }
    if (written !== e.size) throw new AgentError("INTERNAL", `tar: ${e.name} has ${written} bytes, ${e.size} expected`, { name: e.name });
    const pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
    if (pad > 0) yield Buffer.alloc(pad, 0);
  }
  yield Buffer.alloc(BLOCK * 2, 0);
}

function field(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString("utf8");
}

function parseOctal(h: Buffer, start: number, length: number, what: string, file: string): number {
  const text = field(h, start, length).trim();
  if (!/^[0-7]+$/.test(text)) throw new AgentError("INPUT_INVALID", `${file}: not a backup archive (bad tar ${what} field)`, { file });
  return parseInt(text, 8);
}

/** Lists the entries of an archive with their offsets; refuses anything that is not a well-formed ustar. */
export async function readTarIndex(file: string): Promise<TarIndexEntry[]> {
  const handle = await open(file, "r").catch((e: NodeJS.ErrnoException) => {
    throw new AgentError("INPUT_INVALID", `${file}: cannot open (${e.code ?? e.message})`, { file });
  });
  try {
    const total = (await handle.stat()).size;
    const entries: TarIndexEntry[] = [];
    const h = Buffer.alloc(BLOCK);
    for (let pos = 0; ; ) {
      if (pos + BLOCK > total) throw new AgentError("INPUT_INVALID", `${file}: truncated archive (no end marker)`, { file });
      await handle.read(h, 0, BLOCK, pos);
      if (h.every((b) => b === 0)) return entries;
      // POSIX writes "ustar\0", GNU tar "ustar  ": both are the same header layout here.
      if (h.subarray(257, 262).toString("ascii") !== "ustar") throw new AgentError("INPUT_INVALID", `${file}: not a backup archive (no ustar header at byte ${pos})`, { file });
      const stored = parseOctal(h, 148, 8, "checksum", file);
      const copy = Buffer.from(h);
      copy.write("        ", 148, 8, "ascii");
      let sum = 0;
      for (const b of copy) sum += b;
      if (sum !== stored) throw new AgentError("INPUT_INVALID", `${file}: damaged archive (header checksum at byte ${pos})`, { file });
      const type = field(h, 156, 1);
      const prefix = field(h, 345, 155);
      const name = prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100);
      const size = parseOctal(h, 124, 12, "size", file);
      const offset = pos + BLOCK;
      if (offset + size > total) throw new AgentError("INPUT_INVALID", `${file}: truncated archive (${name} is cut off)`, { file, name });
      entries.push({ name, mode: parseOctal(h, 100, 8, "mode", file), size, mtime: parseOctal(h, 136, 12, "mtime", file), offset, type });
      pos = offset + Math.ceil(size / BLOCK) * BLOCK;
    }
  } finally {
    await handle.close();
  }
}
