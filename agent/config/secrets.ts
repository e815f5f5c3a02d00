// Secrets on disk: terminal passwords, shop passwords and issuer secrets live in files readable
// only by the agent's user. A file that group or others can read is refused, with the chmod that
// fixes it, rather than used: a leaked terminal password lets anyone invoice in the station's name.
import { writeFileDurably, type DurableWriteOptions } from "../../base/io/durable-file.ts";
import { readSecretText } from "../../base/io/secret-file.ts";
import type { AgentConfig } from "./schema.ts";

export interface ReadSecretOptions {
  /**
   * Follow a symbolic link as the last component. Only for paths the operator wrote into the
   * (root-owned) config: a secret mounted as a link is theirs to choose. Files in the agent's own
   * state directory are never followed: its user could plant a link there, and root running
   * `glase-agent register` would then read (and copy into orphans/) any file it points at.
   */
  readonly followSymlinks?: boolean;
}

/**
 * Reads a secret file (trimmed) through the agent's one secret-file check (base/io/secret-file.ts):
 * refuses links (see above), non-regular and group/world-accessible files and — with `owner:
 * "agent"`, what the daemon asks for — files another user owns. The CLI, which root may run on
 * the service's files, checks the mode only by default.
 */
export async function readSecretFile(path: string, what = "secret file", opts: ReadSecretOptions & { readonly owner?: "agent" | "any" } = {}): Promise<string> {
  return readSecretText(path, what, { followSymlinks: opts.followSymlinks ?? false, owner: opts.owner ?? "any" });
}

/**
 * Writes a secret file: 0600 from the first byte (never readable by others, not even for a
 * moment) and durable — see agent/durable-file.ts: a power cut leaves the old or the new
 * content, never an empty file. `replace: false` only creates it (never replaces another's).
 */
export async function writeSecretFile(path: string, content: string, opts: Pick<DurableWriteOptions, "owner"> & { readonly replace?: boolean } = {}): Promise<void> {
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
  if (config.invoiceService) {
    out.push({ path: config.invoiceService.secretFile, what: "invoiceService.secretFile" });
    out.push({ path: config.invoiceService.notificationTokenFile, what: "invoiceService.notificationTokenFile" });
  }
  if (config.alerts?.webhook?.bearerTokenFile) out.push({ path: config.alerts.webhook.bearerTokenFile, what: "alerts.webhook.bearerTokenFile" });
  config.devices.controllers.forEach((c, i) => collectSecretFiles(c, `devices.controllers[${i}]`, out));
  return out;
}

/** A driver's secret files, wherever its options put them: every passwordFile and (TLS) keyFile. */
function collectSecretFiles(value: unknown, path: string, out: Array<{ path: string; what: string }>): void {
  if (Array.isArray(value)) value.forEach((v, i) => collectSecretFiles(v, `${path}[${i}]`, out));
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if ((k === "passwordFile" || k === "keyFile") && typeof v === "string") out.push({ path: v, what: `${path}.${k}` });
      else collectSecretFiles(v, `${path}.${k}`, out);
    }
  }
}
