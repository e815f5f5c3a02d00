// The driver's secrets on disk: chargers' Basic-auth passwords and the TLS private key live in
// files only the agent's user can read. A file group or others can read is refused with the
// chmod that fixes it: a leaked AuthorizationKey lets anyone pose as that charger.
import { readFile, stat } from "node:fs/promises";
import { AgentError } from "../../base/errors.ts";

/** Reads a secret file; `trim` drops surrounding whitespace (passwords), not for PEM keys. */
export async function readPrivateFile(path: string, what: string, trim = true): Promise<string> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (e) {
    throw new AgentError("CONFIG_INVALID", `${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? "error"})`, { path });
  }
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    throw new AgentError("CONFIG_INVALID", `${what} ${path} has mode ${octal}: group/others may read it; run \`chmod 600 ${path}\``, { path, mode: octal });
  }
  const text = await readFile(path, "utf8");
  const value = trim ? text.trim() : text;
  if (value.trim() === "") throw new AgentError("CONFIG_INVALID", `${what} ${path} is empty`, { path });
  return value;
}
