// Resolving the secrets a config refers to: terminal credentials (inline, password file, a
// credentials file, or what `glase-agent register` stored in the state directory) and the shop
// credentials for registration. Missing terminal credentials are not an error: the point is
// shown unregistered until a technician registers it.
import { lstat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { removeFileDurably, type DurableWriteOptions } from "../../base/io/durable-file.ts";
import { AgentError } from "../../base/errors.ts";
import { registerSecret } from "../../base/log.ts";
import type { ResellerCredentials, TerminalCredentials } from "../../contracts/glase/types.ts";
import { readSecretFile, writeSecretFile } from "./secrets.ts";
import type { AgentConfig, PointConfig } from "./schema.ts";

/** What `register` stores per point, 0600, in <stateDir>/terminals/point-<id>.json. */
export const StoredTerminalSchema = z.object({
  terminalId: z.string().min(1),
  password: z.string().min(4),
  externalTerminalId: z.string().optional(),
  seqrId: z.string().optional(),
  registeredAt: z.string().optional(),
});
export type StoredTerminal = z.infer<typeof StoredTerminalSchema>;

export function storedTerminalPath(terminalsDir: string, point: number): string {
  return join(terminalsDir, `point-${point}.json`);
}

/** `configNamed`: a path from the config (may be a link the operator chose); else a state-directory file (never followed). */
async function readCredentialsFile(path: string, configNamed = false): Promise<StoredTerminal> {
  const text = await readSecretFile(path, "terminal credentials file", { followSymlinks: configNamed });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentError("CONFIG_INVALID", `terminal credentials file ${path}: not JSON`, { path });
  }
  const parsed = StoredTerminalSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new AgentError("CONFIG_INVALID", `terminal credentials file ${path}: ${first?.path.join(".") ?? ""} ${first?.message ?? "invalid"}`, { path });
  }
  return parsed.data;
}

export async function readStoredTerminal(terminalsDir: string, point: number): Promise<StoredTerminal | undefined> {
  const path = storedTerminalPath(terminalsDir, point);
  try {
    await lstat(path); // a link is there, not "no file": readCredentialsFile refuses it
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  return readCredentialsFile(path);
}

/** `replace: false` for a new registration: never replaces credentials that appeared meanwhile (CONFLICT, errno EEXIST). */
export async function writeStoredTerminal(terminalsDir: string, point: number, value: StoredTerminal, owner?: DurableWriteOptions["owner"], opts: { readonly replace?: boolean } = {}): Promise<string> {
  const path = storedTerminalPath(terminalsDir, point);
  await writeSecretFile(path, JSON.stringify(value, null, 2) + "\n", { ...(owner ? { owner } : {}), ...opts });
  return path;
}

/** Removes the stored credentials of a point, durably (an unregistered terminal stays gone). */
export function removeStoredTerminal(terminalsDir: string, point: number): Promise<boolean> {
  return removeFileDurably(storedTerminalPath(terminalsDir, point));
}

/** Terminal credentials of a point, or undefined when it is not registered yet. */
export async function terminalCredentials(point: PointConfig, terminalsDir: string, cwd = process.cwd()): Promise<TerminalCredentials | undefined> {
  const t = point.terminal;
  if (t === undefined) {
    const stored = await readStoredTerminal(terminalsDir, point.id);
    registerSecret(stored?.password);
    return stored && { terminalId: stored.terminalId, password: stored.password };
  }
  if (t.credentialsFile !== undefined) {
    const stored = await readCredentialsFile(resolve(cwd, t.credentialsFile), true);
    registerSecret(stored.password);
    return { terminalId: stored.terminalId, password: stored.password };
  }
  const password = t.password ?? (await readSecretFile(resolve(cwd, t.passwordFile!), `terminal.passwordFile of point ${point.id}`, { followSymlinks: true }));
  // Masked in any log line from now on, wherever it would appear.
  registerSecret(password);
  return { terminalId: t.id!, password };
}

export async function resellerCredentials(config: AgentConfig, cwd = process.cwd()): Promise<ResellerCredentials> {
  const r = config.glase.reseller;
  if (!r) throw new AgentError("CONFIG_INVALID", "glase.reseller: required for registration (shop id, userId, password or passwordFile)", { path: "glase.reseller" });
  const password = r.password ?? (await readSecretFile(resolve(cwd, r.passwordFile!), "glase.reseller.passwordFile", { followSymlinks: true }));
  registerSecret(password);
  return { resellerId: r.id, userId: r.userId, password };
}
