// Secrets on disk: terminal passwords, shop passwords and issuer secrets live in files readable
// only by the agent's user. A file that group or others can read is refused, with the chmod that
// fixes it, rather than used: a leaked terminal password lets anyone invoice in the station's name.
import { readFile, stat } from "node:fs/promises";
import { writeFileDurably, type DurableWriteOptions } from "../durable-file.ts";
import { AgentError } from "../errors.ts";

/** Reads a secret file (trimmed); refuses group/world-accessible files. */
export async function readSecretFile(path: string, what = "secret file"): Promise<string> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (e) {
    throw new AgentError("CONFIG_INVALID", `${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? "error"})`, { path });
  }
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    throw new AgentError(
      "CONFIG_INVALID",
      `${what} ${path}: mode ${octal} lets group/others read it; run \`chmod 600 ${path}\``,
      { path, mode: octal },
    );
  }
  const value = (await readFile(path, "utf8")).trim();
  if (value === "") throw new AgentError("CONFIG_INVALID", `${what} ${path}: empty`, { path });
  return value;
}

/**
 * Writes a secret file: 0600 from the first byte (never readable by others, not even for a
 * moment) and durable — see agent/durable-file.ts: a power cut leaves the old or the new
 * content, never an empty file.
 */
export async function writeSecretFile(path: string, content: string, opts: Pick<DurableWriteOptions, "owner"> = {}): Promise<void> {
  await writeFileDurably(path, content, { mode: 0o600, dirMode: 0o700, ...opts });
}
