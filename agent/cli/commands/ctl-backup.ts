// `glase-agent ctl backup FILE`: the running agent takes an online snapshot (journal through
// SQLite's backup API, terminal credentials) into a staging folder of its state directory; this
// client — root or the agent's user, like every admin command — packs it into FILE (a tar, 0600,
// written durably, every byte checked against the snapshot's sha256) and has the staging folder
// removed. Restore with `glase-agent restore FILE` while the agent is stopped (docs/install.md).
import { lstat, realpath } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { looksLikeBackup, writeBackupArchive } from "../../backup/archive.ts";
import type { ControlClient } from "../../daemon/sockets/client.ts";
import type { BackupSnapshotInfo } from "../../daemon/sockets/control.ts";
import { AgentError } from "../../../base/errors.ts";

/** The path as the file system resolves it: the real directory it is in, and its name. */
async function real(path: string): Promise<string> {
  const full = resolve(path);
  const dir = await realpath(dirname(full)).catch(() => dirname(full));
  const at = join(dir, basename(full));
  return realpath(at).catch(() => at);
}

/**
 * Where a backup must never go, whatever --force says: over the live journal (or its -wal/-shm),
 * the invoice journal, or anywhere in the state directory (the agent's own files; a backup there
 * is also lost with the disk it protects against).
 */
async function refuseLive(file: string, live: NonNullable<BackupSnapshotInfo["live"]>): Promise<void> {
  const target = await real(file);
  const stateDir = await real(live.stateDir);
  if (target === stateDir || target.startsWith(stateDir + sep)) {
    throw new AgentError("INPUT_INVALID", `${file} is in the agent's state directory ${stateDir}: write the backup elsewhere (and copy it off this machine)`, { file, stateDir });
  }
  for (const db of [live.journal, live.invoiceJournal].filter((x): x is string => x !== undefined)) {
    const journal = await real(db);
    if ([journal, `${journal}-wal`, `${journal}-shm`, `${journal}-journal`].includes(target)) {
      throw new AgentError("INPUT_INVALID", `${file} is the agent's live journal ${journal}: a backup never replaces it (restore is \`glase-agent restore FILE\` with the agent stopped)`, { file, journal });
    }
  }
}

export async function runBackup(target: string, values: Record<string, string | boolean | undefined>, connect: () => Promise<ControlClient>): Promise<number> {
  const file = resolve(target);
  const existing = await lstat(file).catch(() => undefined);
  if (existing?.isDirectory()) throw new AgentError("INPUT_INVALID", `${file} is a directory; give a file name`, { file });
  if (existing && !existing.isFile()) throw new AgentError("INPUT_INVALID", `${file} exists and is not a regular file (a symlink, device or socket): give the path of a new or an old backup file`, { file });
  if (existing && values.force !== true) {
    throw new AgentError("CONFLICT", `${file} exists; --force replaces it: the new backup is written beside it and renamed over it once complete (the old one is then gone)`, { file });
  }
  const client = await connect();
  try {
    const snap = await client.request<BackupSnapshotInfo>("backup");
    let written: { bytes: number; sha256: string };
    try {
      if (snap.live) await refuseLive(file, snap.live);
      // --force replaces an old backup, nothing else: not the running agent's config, a credentials
      // file or, under sudo, anything in /etc (review 2 of issue 11 #3).
      if (existing && !(await looksLikeBackup(file).catch(() => false))) {
        throw new AgentError("INPUT_INVALID", `${file} exists and is not a glase-agent backup (MANIFEST.json is not its first entry): --force replaces only an old backup; give a new file name`, { file });
      }
      written = await writeBackupArchive(file, snap.dir, snap.manifest);
    } finally {
      await client.request("backup-release", { id: snap.id }).catch(() => undefined);
    }
    const m = snap.manifest;
    const result = {
      file,
      bytes: written.bytes,
      sha256: written.sha256,
      createdAt: m.createdAt,
      station: m.station,
      agentVersion: m.agentVersion,
      journal: m.journal,
      files: m.files.map((f) => f.name),
    };
    if (values.json === true) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
    else {
      const terminals = m.files.filter((f) => f.role === "terminal").length;
      process.stdout.write(
        [
          `backup:    ${file} (${written.bytes} bytes, mode 0600)`,
          `sha256:    ${written.sha256}`,
          `taken:     ${m.createdAt} from "${m.station}", agent ${m.agentVersion}`,
          `journal:   ${m.journal.steps} steps, ${m.journal.receipts} receipts, ${m.journal.unfinishedFlows} unfinished flows${m.files.some((f) => f.role === "invoice-journal") ? "; invoice journal included" : ""}`,
          `terminals: ${terminals} credential file(s)`,
          "Copy it off this machine. Restore: systemctl stop glase-agent && glase-agent restore FILE",
        ].join("\n") + "\n",
      );
    }
    return 0;
  } finally {
    client.close();
  }
}
