// Secrets on disk: terminal passwords, shop passwords and issuer secrets live in files readable
// only by the agent's user. A file that group or others can read is refused, with the chmod that
// fixes it, rather than used: a leaked terminal password lets anyone invoice in the station's name.
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
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
 * Writes a file created 0600 from the start (never world-readable, not even for a moment) and
 * renamed into place, so a crash leaves either the old or the new content.
 */
export async function writeSecretFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode: 0o600, flag: "w" });
  await chmod(tmp, 0o600); // umask cannot widen it, but a pre-existing tmp might have been wider
  await rename(tmp, path);
}
