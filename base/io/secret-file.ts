// Reading a secret file (a password, an AuthorizationKey, a TLS private key): the one place the
// agent decides whether a file may be trusted with a secret. Opened without following a link
// (unless the caller's path came from the root-owned config and it says so), then checked on the
// OPEN descriptor (fstat: no race between the check and the read): a regular file, owned by the
// agent's own user or root (as OpenSSH's StrictModes — a file another user owns is theirs to read
// and rewrite: they could pose as the charger or the terminal), and no group/other permission bits.
// Each refusal names the command that fixes it.
//
// Base layer: node:fs only (through durable-file.ts), no agent imports beyond errors.
import { AgentError, isAgentError } from "../errors.ts";
import { readRegularFile } from "./durable-file.ts";

export interface SecretFileOptions {
  /** Follow a symbolic link as the last component (only for paths the operator wrote into the config). Default false. */
  readonly followSymlinks?: boolean;
  /** Drop surrounding whitespace (passwords; not PEM keys). Default true. */
  readonly trim?: boolean;
  /**
   * Whose file may hold the secret: "agent" (default): the process's effective uid or root;
   * "any": the mode is checked, not the owner — only for a command root runs on the service's
   * files (root reads what the service's user owns).
   */
  readonly owner?: "agent" | "any";
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, "0");

/** The text of a secret file, or CONFIG_INVALID naming the path, what is wrong and the fix. */
export async function readSecretText(path: string, what: string, opts: SecretFileOptions = {}): Promise<string> {
  let file;
  try {
    file = await readRegularFile(path, { followSymlinks: opts.followSymlinks ?? false, maxBytes: 64 * 1024 });
  } catch (e) {
    const why = isAgentError(e, "CONFIG_INVALID") ? e.message.slice(path.length + 1) : `cannot read (${(e as { context?: { errno?: string } }).context?.errno ?? "error"})`;
    throw new AgentError("CONFIG_INVALID", `${what} ${path}: ${why}`, { path }, { cause: e });
  }
  const uid = process.geteuid?.();
  if ((opts.owner ?? "agent") === "agent" && uid !== undefined && file.uid !== uid && file.uid !== 0) {
    throw new AgentError(
      "CONFIG_INVALID",
      `${what} ${path}: owned by uid ${file.uid}, not by the agent's user (uid ${uid}) or root — that user can read and rewrite it; run \`chown ${uid} ${path}\` (and \`chmod 600 ${path}\`)`,
      { path, owner: file.uid, uid },
    );
  }
  if ((file.mode & 0o077) !== 0) {
    throw new AgentError("CONFIG_INVALID", `${what} ${path}: mode ${octal(file.mode)} lets group/others read it; run \`chmod 600 ${path}\``, { path, mode: octal(file.mode) });
  }
  const value = (opts.trim ?? true) ? file.text.trim() : file.text;
  if (value.trim() === "") throw new AgentError("CONFIG_INVALID", `${what} ${path}: empty`, { path });
  return value;
}
