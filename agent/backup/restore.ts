// `glase-agent restore FILE`, the agent stopped: puts a backup's journal(s) and terminal
// credentials back where the service reads them. Nothing is overwritten in place and nothing is
// deleted: every file is first staged beside its target (durably) and checked — the journal's
// SQLite integrity and schema version, the credentials as JSON — and only then are the current
// files moved aside into `replaced-<time>/` (the journal with its -wal/-shm, which belong to it
// and to nothing else) and the staged ones renamed into place. A failure before the swap leaves
// the state as it was; the replaced files stay for a rollback by hand. The swap itself survives a
// power cut at any point (restore-swap.ts: checkpoint, durable marker, resumable renames).
import { lstat, readdir, readFile, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ensureDirectory, inheritedOwner, syncDirectory, writeFileDurably, moveFileDurably, removeFileDurably } from "../../base/io/durable-file.ts";
import { AgentError } from "../../base/errors.ts";
import { MIGRATIONS as INVOICE_MIGRATIONS } from "../invoice-service/store.ts";
import { JournalReader } from "../journal/reader.ts";
import { MIGRATIONS } from "../journal/schema.ts";
import { MIGRATIONS as DRIVER_MIGRATIONS } from "../journal/driver-store.ts";
import { abortSwap, checkpointStore, completeSwap, readRestoreMarker, writeRestoreMarker, type RestoreMarker, type SwapGroup } from "./restore-swap.ts";
import type { OpenedBackup } from "./archive.ts";
import { TERMINALS_PREFIX } from "./manifest.ts";

export interface RestoreTargets {
  readonly stateDir: string;
  readonly journalPath: string;
  readonly invoiceJournalPath: string;
  /** The drivers' store (OCPP/PTS transaction ↔ flow): restored with the journal it refers to. */
  readonly driverStorePath: string;
  readonly terminalsDir: string;
}

export interface RestoreReport {
  readonly restored: readonly string[];
  /** Where the files that were replaced are now (absent when there were none). */
  readonly replacedDir?: string;
  readonly journal: OpenedBackup["manifest"]["journal"];
  /** True when this run finished a restore a power cut (or crash) had interrupted. */
  readonly resumed: boolean;
  /** Stores that could not be checkpointed before the swap (damaged; their files still moved whole). */
  readonly checkpointProblems: readonly string[];
}

/**
 * The WAL and shared-memory files go aside BEFORE their database: a cut between the two moves
 * must never leave the old journal's WAL beside the restored journal (SQLite would replay it).
 */
const SQLITE_SIDECARS = ["-wal", "-shm"] as const;
const STAGE_MARK = ".restore-";

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

function stagedName(to: string, tag: string): string {
  return join(dirname(to), `.${basename(to)}${STAGE_MARK}${tag}`);
}

/** Staged copies left by a restore interrupted before its swap began (no marker): never the only copy of anything. */
async function removeStaleStaging(targets: readonly string[]): Promise<void> {
  for (const t of targets) {
    const prefix = `.${basename(t)}${STAGE_MARK}`;
    for (const name of await readdir(dirname(t)).catch(() => [] as string[])) {
      if (name.startsWith(prefix)) await rm(join(dirname(t), name), { recursive: true, force: true });
    }
  }
}

/** The aside sources that exist now (the swap's "done" test needs to know which previous files there were). */
async function presentOf(aside: ReadonlyArray<readonly [string, string]>): Promise<string[]> {
  const out = [];
  for (const [from] of aside) if (await exists(from)) out.push(from);
  return out;
}

function sameBackup(m: RestoreMarker, backup: OpenedBackup): boolean {
  return m.backup.createdAt === backup.manifest.createdAt && m.backup.station === backup.manifest.station;
}

export async function restoreBackup(backup: OpenedBackup, targets: RestoreTargets, opts: { readonly now?: number; readonly beforeSwap?: () => Promise<void> } = {}): Promise<RestoreReport> {
  const now = opts.now ?? Date.now();
  const owner = await inheritedOwner(targets.stateDir);
  await ensureDirectory(targets.stateDir, 0o700, owner);
  const pending = await readRestoreMarker(targets.stateDir);
  if (pending) {
    if (pending.aborting) throw new AgentError("CONFLICT", `an abort of the interrupted restore of ${pending.backup.file} was started and did not finish: only \`glase-agent restore --abort\` may continue (then restore again if you want the backup)`, { marker: pending.backup.file, restoreInProgress: true });
    if (!sameBackup(pending, backup)) {
      throw new AgentError("CONFLICT", `an interrupted restore of ${pending.backup.file} (taken ${pending.backup.createdAt}) is not finished: re-run \`glase-agent restore ${pending.backup.file}\` to finish it, or \`glase-agent restore --abort\` to put the previous files back, before restoring another backup`, { marker: pending.backup.file });
    }
    await opts.beforeSwap?.();
    const restored = await completeSwap(targets.stateDir, pending, owner);
    return { restored, replacedDir: pending.replacedDirs[0]!, journal: backup.manifest.journal, resumed: true, checkpointProblems: [] };
  }
  // The marker may name only the state directory's own stores (restore-marker.ts): a journal
  // configured elsewhere (journal.path) is not restored behind the operator's back.
  for (const [what, path] of [["journal", targets.journalPath], ["invoice journal", targets.invoiceJournalPath], ["driver store", targets.driverStorePath], ["terminals", targets.terminalsDir]] as const) {
    if (dirname(path) !== targets.stateDir) throw new AgentError("CONFLICT", `restore: the ${what} ${path} is not in the state directory ${targets.stateDir}; restore puts back only the state directory's own stores (journal.sqlite, invoices.sqlite, drivers.sqlite, terminals/): copy the journal by hand, or drop journal.path from the config`, { path });
  }
  const sqliteTargets = { journal: targets.journalPath, "invoice-journal": targets.invoiceJournalPath, "driver-store": targets.driverStorePath } as const;
  await removeStaleStaging([...Object.values(sqliteTargets), targets.terminalsDir]);
  const tag = `${process.pid}-${now.toString(36)}`;
  const staged = new Map<string, string>(); // target → staged copy
  const stagedTerminals = stagedName(targets.terminalsDir, tag);
  try {
    // 1. Stage and check everything.
    for (const f of backup.manifest.files) {
      if (f.role === "terminal") continue;
      const to = sqliteTargets[f.role];
      const from = stagedName(to, tag);
      await writeFileDurably(from, backup.content(f.name), { mode: 0o600, ...(owner ? { owner } : {}) });
      staged.set(to, from);
      const migrations = f.role === "journal" ? MIGRATIONS.length : f.role === "invoice-journal" ? INVOICE_MIGRATIONS.length : DRIVER_MIGRATIONS.length;
      await checkDatabase(from, f.name, migrations);
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
    for (const s of staged.values()) await rm(s, { force: true });
    await rm(stagedTerminals, { recursive: true, force: true });
    throw e;
  }

  // 3. Every current store's WAL into its database file: from here its -wal/-shm hold nothing
  //    that is not also in the database, so their order in the moves cannot lose a commit.
  const checkpointProblems: string[] = [];
  for (const path of Object.values(sqliteTargets)) {
    const problem = await checkpointStore(path);
    if (problem) checkpointProblems.push(problem);
  }
  // 4. The plan, durably, before the first rename: the current files aside (beside them: a rename
  //    never crosses file systems), then the staged ones into place. A store that is not in the
  //    backup goes aside too: afterwards the state is the backup's.
  const stamp = `replaced-${new Date(now).toISOString().replace(/[:.]/g, "-")}`;
  const groups: SwapGroup[] = [];
  const replacedDirs = new Set<string>();
  const asideOf = (path: string) => {
    const dir = join(dirname(path), stamp);
    replacedDirs.add(dir);
    return [path, join(dir, basename(path))] as const;
  };
  for (const path of Object.values(sqliteTargets)) {
    const s = staged.get(path);
    if (s === undefined && !(await exists(path)) && !(await exists(`${path}-wal`))) continue;
    const aside = [...SQLITE_SIDECARS.map((x) => asideOf(`${path}${x}`)), asideOf(path)];
    groups.push({ target: path, aside, ...(s !== undefined ? { staged: s } : {}), present: await presentOf(aside) });
  }
  const terminalsAside = [asideOf(targets.terminalsDir)];
  groups.push({ target: targets.terminalsDir, aside: terminalsAside, staged: stagedTerminals, present: await presentOf(terminalsAside) });
  const marker: RestoreMarker = {
    format: "glase-agent-restore",
    startedAt: new Date(now).toISOString(),
    backup: { file: backup.file, createdAt: backup.manifest.createdAt, station: backup.manifest.station },
    replacedDirs: [...replacedDirs],
    groups,
  };
  await ensureDirectory(dirname(targets.terminalsDir), 0o700, owner);
  await writeRestoreMarker(targets.stateDir, marker, owner);
  // 5. The renames, each durable before the next; the marker goes last.
  const restored = await completeSwap(targets.stateDir, marker, owner);
  for (const d of new Set(groups.map((g) => dirname(g.target)))) await syncDirectory(d);
  const kept = [];
  for (const d of replacedDirs) if (await exists(d)) kept.push(d);
  return { restored, ...(kept[0] !== undefined ? { replacedDir: kept[0] } : {}), journal: backup.manifest.journal, resumed: false, checkpointProblems };
}

/** `restore --abort`: puts back the files an interrupted restore had moved aside. */
export async function abortRestore(targets: Pick<RestoreTargets, "stateDir">): Promise<{ readonly movedBack: readonly string[]; readonly backup: RestoreMarker["backup"] }> {
  const m = await readRestoreMarker(targets.stateDir);
  if (!m) throw new AgentError("NOT_FOUND", `no interrupted restore in ${targets.stateDir} (no ${"restore-in-progress.json"}): nothing to abort`);
  const movedBack = await abortSwap(targets.stateDir, m, await inheritedOwner(targets.stateDir));
  return { movedBack, backup: m.backup };
}
