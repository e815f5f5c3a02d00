// The agent's half of `ctl backup`: a consistent copy of what it relies on, taken while it runs.
//   - the payment journal (and the Invoice Service's and the drivers' store, when there are) through SQLite's online
//     backup API on a read-only connection: one snapshot, the agent keeps journaling meanwhile;
//   - the terminal credentials (terminals/, with pending registrations and orphans), 0600.
// The copies go to a staging folder in the state directory (the only place the agent may write
// under the unit's ProtectSystem=strict); `ctl backup` — root or the agent's user — packs them
// into the operator's file and then has the folder removed (`releaseSnapshot`). A folder whose
// client died is removed by the next backup after an hour.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { AgentError } from "../../base/errors.ts";
import { JournalReader } from "../journal/reader.ts";
import { BACKUP_FORMAT, BACKUP_VERSION, DRIVER_STORE_NAME, INVOICE_JOURNAL_NAME, JOURNAL_NAME, MANIFEST_NAME, type BackupFile, type BackupManifest } from "./manifest.ts";

const STAGING_PREFIX = ".backup-";
const STALE_MS = 3_600_000;

export interface SnapshotSources {
  /** Where staging folders go (the state directory). */
  readonly stagingRoot: string;
  readonly journalPath: string;
  readonly invoiceJournalPath?: string;
  /** drivers.sqlite (OCPP/PTS transaction ↔ flow), when there is one. */
  readonly driverStorePath?: string;
  readonly terminalsDir: string;
  readonly station: string;
  readonly agentVersion: string;
}

export interface Snapshot {
  readonly id: string;
  /** The staging folder holding MANIFEST.json and the files it lists, by their archive names. */
  readonly dir: string;
  readonly manifest: BackupManifest;
}

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** Regular files under terminals/ (one level of subfolders: orphans/), no temporaries. */
async function terminalFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, depth: number) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.name.startsWith(".")) continue; // temporaries of durable writes
      const p = join(d, e.name);
      if (e.isDirectory() && depth === 0) await walk(p, 1);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir, 0);
  return out.sort();
}

type JournalFacts = BackupManifest["journal"];

/** Online copy of a SQLite store, checked; for the payment journal also what it holds. */
async function copyDatabase(source: string, dest: string, payments: boolean): Promise<JournalFacts> {
  const reader = await JournalReader.open(source);
  try {
    await reader.backupTo(dest);
  } finally {
    await reader.close();
  }
  const copy = await JournalReader.open(dest);
  try {
    const { integrity, userVersion } = await copy.check();
    if (integrity !== "ok") throw new AgentError("JOURNAL_FAILED", `the backup copy of ${source} fails its integrity check: ${integrity}`, { source });
    if (!payments) return { userVersion, steps: 0, receipts: 0, unfinishedFlows: 0 };
    return { userVersion, ...(await copy.counts()), unfinishedFlows: await copy.unfinishedCount() };
  } finally {
    await copy.close();
  }
}

/** Removes staging folders of backups whose client went away (older than an hour). */
async function removeStale(root: string, now: number): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const st = await stat(join(root, name)).catch(() => undefined);
    if (st && now - st.mtimeMs > STALE_MS) await rm(join(root, name), { recursive: true, force: true });
  }
}

export async function takeSnapshot(src: SnapshotSources, now = Date.now()): Promise<Snapshot> {
  await removeStale(src.stagingRoot, now);
  const id = `${now.toString(36)}-${randomBytes(4).toString("hex")}`;
  const dir = join(src.stagingRoot, `${STAGING_PREFIX}${id}`);
  await mkdir(dir, { mode: 0o700 });
  try {
    const files: BackupFile[] = [];
    const add = async (name: string, role: BackupFile["role"], mode: number) => {
      const path = join(dir, name);
      files.push({ name, role, size: (await stat(path)).size, sha256: await sha256Of(path), mode });
    };
    const journal = await copyDatabase(src.journalPath, join(dir, JOURNAL_NAME), true);
    await add(JOURNAL_NAME, "journal", 0o600);
    if (src.invoiceJournalPath && (await exists(src.invoiceJournalPath))) {
      await copyDatabase(src.invoiceJournalPath, join(dir, INVOICE_JOURNAL_NAME), false);
      await add(INVOICE_JOURNAL_NAME, "invoice-journal", 0o600);
    }
    if (src.driverStorePath && (await exists(src.driverStorePath))) {
      await copyDatabase(src.driverStorePath, join(dir, DRIVER_STORE_NAME), false);
      await add(DRIVER_STORE_NAME, "driver-store", 0o600);
    }
    for (const path of await terminalFiles(src.terminalsDir)) {
      const name = `terminals/${relative(src.terminalsDir, path)}`;
      await mkdir(join(dir, name, ".."), { recursive: true, mode: 0o700 });
      await writeFile(join(dir, name), await readFile(path), { mode: 0o600 });
      await add(name, "terminal", 0o600);
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: new Date(now).toISOString(),
      agentVersion: src.agentVersion,
      station: src.station,
      journal,
      files,
    };
    await writeFile(join(dir, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + "\n", { mode: 0o600 });
    return { id, dir, manifest };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Removes a snapshot's staging folder once `ctl backup` has written the archive. */
export async function releaseSnapshot(stagingRoot: string, id: string): Promise<boolean> {
  if (!/^[0-9a-z]+-[0-9a-f]{8}$/.test(id)) throw new AgentError("INPUT_INVALID", `not a backup id: ${JSON.stringify(id.slice(0, 40))}`);
  const dir = join(stagingRoot, `${STAGING_PREFIX}${id}`);
  if (!(await exists(dir))) return false;
  await rm(dir, { recursive: true, force: true });
  return true;
}
