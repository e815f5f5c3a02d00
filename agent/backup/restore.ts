// `glase-agent restore FILE`, the agent stopped: puts a backup's journal(s) and terminal
// credentials back where the service reads them. Nothing is overwritten in place and nothing is
// deleted: every file is first staged beside its target (durably) and checked — the journal's
// SQLite integrity and schema version, the credentials as JSON — and only then are the current
// files moved aside into `replaced-<time>/` (the journal with its -wal/-shm, which belong to it
// and to nothing else) and the staged ones renamed into place. A failure before the swap leaves
// the state as it was; the replaced files stay for a rollback by hand.
import { lstat, readFile, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ensureDirectory, inheritedOwner, moveFileDurably, removeFileDurably, syncDirectory, writeFileDurably } from "../../base/io/durable-file.ts";
import { AgentError } from "../../base/errors.ts";
import { MIGRATIONS as INVOICE_MIGRATIONS } from "../invoice-service/store.ts";
import { JournalReader } from "../journal/reader.ts";
import { MIGRATIONS } from "../journal/schema.ts";
import type { OpenedBackup } from "./archive.ts";
import { TERMINALS_PREFIX } from "./manifest.ts";

export interface RestoreTargets {
  readonly stateDir: string;
  readonly journalPath: string;
  readonly invoiceJournalPath: string;
  readonly terminalsDir: string;
}

export interface RestoreReport {
  readonly restored: readonly string[];
  /** Where the files that were replaced are now (absent when there were none). */
  readonly replacedDir?: string;
  readonly journal: OpenedBackup["manifest"]["journal"];
}

/**
 * The WAL and shared-memory files go aside BEFORE their database: a cut between the two moves
 * must never leave the old journal's WAL beside the restored journal (SQLite would replay it).
 */
const SQLITE_SIDECARS = ["-wal", "-shm", ""] as const;

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

async function removeSidecars(path: string): Promise<void> {
  for (const s of ["-wal", "-shm"]) await rm(`${path}${s}`, { force: true });
}

/** Checks a staged SQLite copy: sound, and a schema this agent can open (it migrates older ones). */
async function checkDatabase(path: string, what: string, migrations: number): Promise<void> {
  const reader = await JournalReader.open(path);
  try {
    const { integrity, userVersion } = await reader.check();
    if (integrity !== "ok") throw new AgentError("INPUT_INVALID", `${what} in the backup fails SQLite's integrity check: ${integrity}`, { what });
    if (userVersion > migrations) throw new AgentError("INPUT_INVALID", `${what} in the backup has schema ${userVersion}, newer than this agent's (${migrations}): install the agent version that made it`, { what, userVersion });
  } finally {
    await reader.close();
    // A read-only look leaves an empty -wal/-shm beside the staged copy: they are not part of it.
    await removeSidecars(path);
  }
}

export async function restoreBackup(backup: OpenedBackup, targets: RestoreTargets, opts: { readonly now?: number; readonly beforeSwap?: () => Promise<void> } = {}): Promise<RestoreReport> {
  const now = opts.now ?? Date.now();
  const owner = await inheritedOwner(targets.stateDir);
  await ensureDirectory(targets.stateDir, 0o700, owner);
  const tag = `restore-${process.pid}-${now.toString(36)}`;
  const staged: Array<{ from: string; to: string; sqlite: boolean }> = [];
  const stagedTerminals = join(targets.stateDir, `.terminals.${tag}`);
  try {
    // 1. Stage and check everything.
    for (const f of backup.manifest.files) {
      if (f.role === "terminal") continue;
      const to = f.role === "journal" ? targets.journalPath : targets.invoiceJournalPath;
      const from = join(dirname(to), `.${basename(to)}.${tag}`);
      await writeFileDurably(from, backup.content(f.name), { mode: 0o600, ...(owner ? { owner } : {}) });
      staged.push({ from, to, sqlite: true });
      await checkDatabase(from, f.name, f.role === "journal" ? MIGRATIONS.length : INVOICE_MIGRATIONS.length);
    }
    const terminals = backup.manifest.files.filter((f) => f.role === "terminal");
    await ensureDirectory(stagedTerminals, 0o700, owner);
    for (const f of terminals) {
      const to = join(stagedTerminals, f.name.slice(TERMINALS_PREFIX.length));
      await writeFileDurably(to, backup.content(f.name), { mode: 0o600, dirMode: 0o700, ...(owner ? { owner } : {}) });
      try {
        JSON.parse(await readFile(to, "utf8"));
      } catch {
        throw new AgentError("INPUT_INVALID", `${f.name} in the backup is not JSON`, { name: f.name });
      }
    }
    // 2. Last look before anything changes (the agent must still be stopped).
    await opts.beforeSwap?.();
  } catch (e) {
    for (const s of staged) await rm(s.from, { force: true });
    await rm(stagedTerminals, { recursive: true, force: true });
    throw e;
  }

  // 3. Move the current files aside (beside them: a rename never crosses file systems), then the
  //    staged ones into place.
  const stamp = `replaced-${new Date(now).toISOString().replace(/[:.]/g, "-")}`;
  const replacedDirs = new Set<string>();
  // Every rename is made durable (both directories fsynced) before the next one: a power cut at
  // any point leaves a state a later restore or start can read — the old files aside, or the new
  // ones in place — never a restored journal beside a stale WAL, nor a journal missing with an
  // empty one created by the next start (review 2 #12).
  const moveAside = async (path: string) => {
    if (!(await exists(path))) return;
    const aside = join(dirname(path), stamp);
    await ensureDirectory(aside, 0o700, owner);
    await moveFileDurably(path, join(aside, basename(path)));
    replacedDirs.add(aside);
  };
  const touchedDirs = new Set<string>([targets.stateDir]);
  const restored: string[] = [];
  const hasInvoices = staged.some((s) => s.to === targets.invoiceJournalPath);
  // A journal that is not in the backup goes aside too: afterwards the state is the backup's.
  for (const path of [targets.journalPath, ...(hasInvoices || (await exists(targets.invoiceJournalPath)) ? [targets.invoiceJournalPath] : [])]) {
    for (const s of SQLITE_SIDECARS) await moveAside(`${path}${s}`);
    touchedDirs.add(dirname(path));
  }
  for (const s of staged) {
    // The staged copy was opened by the check: no sidecar of it may follow it into place.
    for (const side of ["-wal", "-shm"]) await removeFileDurably(`${s.from}${side}`);
    await moveFileDurably(s.from, s.to);
    restored.push(s.to);
  }
  await moveAside(targets.terminalsDir);
  await ensureDirectory(dirname(targets.terminalsDir), 0o700, owner);
  await moveFileDurably(stagedTerminals, targets.terminalsDir);
  touchedDirs.add(dirname(targets.terminalsDir));
  restored.push(targets.terminalsDir);
  for (const d of [...touchedDirs, ...replacedDirs]) await syncDirectory(d);
  const replacedDir = [...replacedDirs][0];
  return { restored, ...(replacedDir !== undefined ? { replacedDir } : {}), journal: backup.manifest.journal };
}
