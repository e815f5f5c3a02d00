// The pending-registration record: written (0600, durable) BEFORE `registerTerminal` is sent and
// removed only once the terminal's credentials file is durable. `registerTerminal` always creates
// a new terminal and Glase offers no lookup (contract §3.1, §9 A28), so if its answer is lost —
// timeout, dropped connection, crash, power cut — a terminal may exist at Glase with a password
// that only this record knows. The record is never simply deleted in that case: a new
// registration moves it to terminals/orphans/, where the attempt's external id, name, time and
// password stay for Glase support (docs/technician.md, "Orphan terminals").
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { removeFileDurably, writeFileDurably, type DurableWriteOptions } from "../durable-file.ts";
import { AgentError } from "../errors.ts";

export const PendingRegistrationSchema = z.object({
  /** Short random id of this attempt; also the tail of its externalTerminalId. */
  attemptId: z.string().min(1),
  externalTerminalId: z.string(),
  name: z.string(),
  password: z.string().min(4),
  startedAt: z.string(),
  endpoint: z.string().optional(),
});
export type PendingRegistration = z.infer<typeof PendingRegistrationSchema>;

type Owner = DurableWriteOptions["owner"];

export function pendingRegistrationPath(terminalsDir: string, point: number): string {
  return join(terminalsDir, `point-${point}.pending.json`);
}

export function orphansDir(terminalsDir: string): string {
  return join(terminalsDir, "orphans");
}

/** The record, undefined when there is none; AgentError CONFIG_INVALID when it cannot be read. */
export async function readPendingRegistration(terminalsDir: string, point: number): Promise<PendingRegistration | undefined> {
  const path = pendingRegistrationPath(terminalsDir, point);
  let text: string;
  try {
    await stat(path);
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new AgentError("CONFIG_INVALID", `pending registration ${path}: cannot read (${code ?? "error"})`, { path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentError("CONFIG_INVALID", `pending registration ${path}: ${text.trim() === "" ? "empty" : "not JSON"}`, { path });
  }
  const parsed = PendingRegistrationSchema.safeParse(json);
  if (!parsed.success) throw new AgentError("CONFIG_INVALID", `pending registration ${path}: ${parsed.error.issues[0]?.message ?? "invalid"}`, { path });
  return parsed.data;
}

export async function writePendingRegistration(terminalsDir: string, point: number, record: PendingRegistration, owner?: Owner): Promise<string> {
  const path = pendingRegistrationPath(terminalsDir, point);
  await writeFileDurably(path, JSON.stringify(record, null, 2) + "\n", { mode: 0o600, ...(owner ? { owner } : {}) });
  return path;
}

export function removePendingRegistration(terminalsDir: string, point: number): Promise<boolean> {
  return removeFileDurably(pendingRegistrationPath(terminalsDir, point));
}

/**
 * Keeps what is known of a terminal Glase may hold (or held) but we cannot use: written durably
 * to terminals/orphans/ before anything that named it is removed. `what` is the record (or raw
 * text of a damaged file), `reason` says why it was set aside.
 */
export async function keepOrphan(terminalsDir: string, point: number, tag: string, what: unknown, reason: string, owner?: Owner): Promise<string> {
  const at = new Date().toISOString();
  const path = join(orphansDir(terminalsDir), `point-${point}-${tag}-${at.replace(/[:.]/g, "-")}.json`);
  await writeFileDurably(path, JSON.stringify({ point, reason, keptAt: at, record: what }, null, 2) + "\n", { mode: 0o600, ...(owner ? { owner } : {}) });
  return path;
}
