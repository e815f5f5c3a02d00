// What a backup archive holds (its first entry, MANIFEST.json) and the rules its names follow.
// Shared by the agent (which takes the snapshot), `ctl backup` (which writes the archive) and
// `glase-agent restore` (which checks and restores it).
import { AgentError } from "../../base/errors.ts";

export const BACKUP_FORMAT = "glase-agent-backup";
export const BACKUP_VERSION = 1;
export const MANIFEST_NAME = "MANIFEST.json";
export const JOURNAL_NAME = "journal.sqlite";
export const INVOICE_JOURNAL_NAME = "invoices.sqlite";
/** The drivers' store (OCPP/PTS transaction ↔ flow): it refers to the journal's flows, so it travels with it. */
export const DRIVER_STORE_NAME = "drivers.sqlite";
export const TERMINALS_PREFIX = "terminals/";

export type BackupRole = "journal" | "invoice-journal" | "driver-store" | "terminal";

export interface BackupFile {
  /** Path inside the archive: journal.sqlite, invoices.sqlite, drivers.sqlite, terminals/… */
  readonly name: string;
  readonly role: BackupRole;
  readonly size: number;
  readonly sha256: string;
  readonly mode: number;
}

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: typeof BACKUP_VERSION;
  readonly createdAt: string;
  readonly agentVersion: string;
  readonly station: string;
  /** The payment journal as copied: schema version and what it holds. */
  readonly journal: { readonly userVersion: number; readonly steps: number; readonly receipts: number; readonly unfinishedFlows: number; readonly lastAt?: number };
  readonly files: readonly BackupFile[];
}

/** The role of an archive name, or undefined when a backup may not contain it (never `..`, never absolute). */
export function roleOf(name: string): BackupRole | undefined {
  if (name === JOURNAL_NAME) return "journal";
  if (name === INVOICE_JOURNAL_NAME) return "invoice-journal";
  if (name === DRIVER_STORE_NAME) return "driver-store";
  if (name.startsWith(TERMINALS_PREFIX) && name.length > TERMINALS_PREFIX.length) {
    const parts = name.slice(TERMINALS_PREFIX.length).split("/");
    if (parts.every((p) => p !== "" && p !== "." && p !== ".." && !p.startsWith(".")) && parts.length <= 2) return "terminal";
  }
  return undefined;
}

/** Parses and checks MANIFEST.json; a clear error names what is wrong. */
export function parseManifest(text: string, file: string): BackupManifest {
  let m: Partial<BackupManifest>;
  try {
    m = JSON.parse(text) as Partial<BackupManifest>;
  } catch {
    throw new AgentError("INPUT_INVALID", `${file}: ${MANIFEST_NAME} is not JSON`, { file });
  }
  if (m.format !== BACKUP_FORMAT) throw new AgentError("INPUT_INVALID", `${file}: not a glase-agent backup (format ${JSON.stringify(m.format)})`, { file });
  if (m.version !== BACKUP_VERSION) throw new AgentError("INPUT_INVALID", `${file}: backup format version ${String(m.version)}; this agent reads version ${BACKUP_VERSION} (use the agent version that wrote it: ${String(m.agentVersion)})`, { file });
  if (!Array.isArray(m.files) || typeof m.station !== "string" || typeof m.createdAt !== "string" || typeof m.journal !== "object" || m.journal === null) {
    throw new AgentError("INPUT_INVALID", `${file}: ${MANIFEST_NAME} is incomplete`, { file });
  }
  for (const f of m.files) {
    if (typeof f?.name !== "string" || roleOf(f.name) !== f.role || !Number.isSafeInteger(f.size) || !/^[0-9a-f]{64}$/.test(String(f.sha256))) {
      throw new AgentError("INPUT_INVALID", `${file}: ${MANIFEST_NAME} lists an unexpected file ${JSON.stringify(f?.name)}`, { file });
    }
  }
  if (!m.files.some((f) => f.role === "journal")) throw new AgentError("INPUT_INVALID", `${file}: the backup holds no ${JOURNAL_NAME}`, { file });
  return m as BackupManifest;
}
