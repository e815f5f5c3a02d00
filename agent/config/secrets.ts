// Secrets on disk: terminal passwords, shop passwords and issuer secrets live in files readable
// only by the agent's user. A file that group or others can read is refused, with the chmod that
// fixes it, rather than used: a leaked terminal password lets anyone invoice in the station's name.
import { readFile, stat } from "node:fs/promises";
import { writeFileDurably, type DurableWriteOptions } from "../durable-file.ts";
import { AgentError } from "../errors.ts";
import type { AgentConfig } from "./schema.ts";

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

/** Secret files named by the config, with what they are for. */
export function configSecretFiles(config: AgentConfig): Array<{ path: string; what: string }> {
  const out: Array<{ path: string; what: string }> = [];
  if (config.glase.reseller?.passwordFile) out.push({ path: config.glase.reseller.passwordFile, what: "glase.reseller.passwordFile" });
  config.points.forEach((p, i) => {
    const t = p.terminal;
    if (t?.passwordFile) out.push({ path: t.passwordFile, what: `points[${i}].terminal.passwordFile` });
    if (t?.credentialsFile) out.push({ path: t.credentialsFile, what: `points[${i}].terminal.credentialsFile` });
  });
  if (config.invoiceService) out.push({ path: config.invoiceService.secretFile, what: "invoiceService.secretFile" });
  if (config.alerts?.webhook?.bearerTokenFile) out.push({ path: config.alerts.webhook.bearerTokenFile, what: "alerts.webhook.bearerTokenFile" });
  return out;
}
