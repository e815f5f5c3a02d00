// `glase-agent ctl backup FILE`: the running agent takes an online snapshot (journal through
// SQLite's backup API, terminal credentials) into a staging folder of its state directory; this
// client — root or the agent's user, like every admin command — packs it into FILE (a tar, 0600,
// written durably, every byte checked against the snapshot's sha256) and has the staging folder
// removed. Restore with `glase-agent restore FILE` while the agent is stopped (docs/install.md).
import { lstat } from "node:fs/promises";
import { resolve } from "node:path";
import { writeBackupArchive } from "../../backup/archive.ts";
import type { ControlClient } from "../../daemon/sockets/client.ts";
import type { BackupSnapshotInfo } from "../../daemon/sockets/control.ts";
import { AgentError } from "../../../base/errors.ts";

export async function runBackup(target: string, values: Record<string, string | boolean | undefined>, connect: () => Promise<ControlClient>): Promise<number> {
  const file = resolve(target);
  const existing = await lstat(file).catch(() => undefined);
  if (existing && values.force !== true) throw new AgentError("CONFLICT", `${file} exists; give --force to replace it (the old file stays until the new one is complete)`, { file });
  if (existing?.isDirectory()) throw new AgentError("INPUT_INVALID", `${file} is a directory; give a file name`, { file });
  const client = await connect();
  try {
    const snap = await client.request<BackupSnapshotInfo>("backup");
    let written: { bytes: number; sha256: string };
    try {
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
