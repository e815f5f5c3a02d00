// `glase-agent restore FILE`: puts a `ctl backup` archive back where the service reads it, with
// the agent stopped. It refuses while an agent answers on its sockets (or systemd says the unit
// is active): a running agent keeps its journal open and would go on writing into the replaced
// file. The archive is checked whole first (structure, manifest, every sha256, the journal's
// SQLite integrity, credentials as JSON); the files it replaces are kept in replaced-<time>/.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { openBackup, type OpenedBackup } from "../../backup/archive.ts";
import { restoreBackup } from "../../backup/restore.ts";
import { loadConfig } from "../../config/load.ts";
import { resolveCommandPaths } from "../../config/paths.ts";
import { ControlClient } from "../../daemon/sockets/client.ts";
import { ADMIN_SOCKET, STATUS_SOCKET } from "../../daemon/sockets/server.ts";
import { AgentError, isAgentError } from "../../../base/errors.ts";
import { parseOptions, type Command } from "../command.ts";
import { chooseSocketDir, SERVICE_SOCKET_DIR } from "./socket-dir.ts";

const USAGE = `Usage: glase-agent restore FILE [--config FILE] [--check] [--force] [--json]

Restores a backup written by \`glase-agent ctl backup FILE\`: the payment journal (and the Invoice
Service's), and the terminal credentials, into the state directory the config's agent uses (for
the installed service's config: its StateDirectory, /var/lib/glase-agent). The agent must be
stopped (systemctl stop glase-agent); restore refuses while it runs.

Before anything changes the whole archive is checked: its structure, the manifest, every file's
sha256, the journal's SQLite integrity and schema version, the credentials. The files it replaces
are moved to replaced-<time>/ beside them (nothing is deleted). Then start the agent: unfinished
flows of the backup are recovered by asking Glase (docs/recovery.md).

  --config FILE     station config (default /etc/glase-agent/config.yaml)
  --check           only check the archive and say what it holds (works while the agent runs)
  --force           restore a backup of another station name than the config's
  --socket-dir DIR  where a running agent's sockets would be (default: see ctl --help)
  --json            machine-readable output`;

const exec = promisify(execFile);

/** Why the agent counts as running, or undefined. */
async function runningAgent(socketDirs: readonly string[]): Promise<string | undefined> {
  for (const dir of new Set(socketDirs)) {
    for (const name of [STATUS_SOCKET, ADMIN_SOCKET]) {
      const path = join(dir, name);
      if (!existsSync(path)) continue;
      try {
        (await ControlClient.connect(path, 2_000)).close();
        return `an agent answers on ${path}`;
      } catch (e) {
        // A socket this user may not open may well have an agent behind it: do not guess.
        if (isAgentError(e, "PERMISSION_DENIED")) return `cannot tell: ${path} refuses this user — run restore as root or the agent's user`;
        // Otherwise a stale socket file of a stopped (or killed) agent.
      }
    }
  }
  // Under systemd the unit may be starting (journal open, sockets not up yet).
  if (existsSync("/run/systemd/system")) {
    const state = await exec("systemctl", ["is-active", "glase-agent.service"]).then(
      (r) => r.stdout.trim(),
      (e: { stdout?: string }) => String(e.stdout ?? "").trim(),
    );
    if (["active", "activating", "reloading", "deactivating"].includes(state)) return `systemctl says glase-agent.service is ${state}`;
  }
  return undefined;
}

function describe(b: OpenedBackup): Record<string, unknown> {
  const m = b.manifest;
  return {
    file: b.file,
    createdAt: m.createdAt,
    station: m.station,
    agentVersion: m.agentVersion,
    journal: m.journal,
    files: m.files.map((f) => f.name),
  };
}

export const restoreCommand: Command = {
  name: "restore",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      { config: { type: "string", short: "c" }, check: { type: "boolean" }, force: { type: "boolean" }, json: { type: "boolean" }, "socket-dir": { type: "string" } },
      true,
    );
    if (values.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (positionals.length !== 1) throw new AgentError("INPUT_INVALID", "expected the backup FILE");
    const backup = await openBackup(positionals[0]!);
    const info = describe(backup);
    const json = values.json === true;
    if (values.check) {
      process.stdout.write(json ? JSON.stringify({ ...info, valid: true }, null, 2) + "\n" : `${backup.file}: valid backup of "${backup.manifest.station}" taken ${backup.manifest.createdAt} (${backup.manifest.files.length} files, journal ${backup.manifest.journal.steps} steps, ${backup.manifest.journal.receipts} receipts)\n`);
      return 0;
    }
    const configFile = (values.config as string | undefined) ?? "/etc/glase-agent/config.yaml";
    const { config } = await loadConfig(configFile);
    if (config.station.name !== backup.manifest.station && values.force !== true) {
      throw new AgentError("CONFLICT", `the backup is of station "${backup.manifest.station}", the config's is "${config.station.name}"; its terminal credentials belong to that station (--force to restore it anyway)`);
    }
    const paths = resolveCommandPaths(config, configFile);
    const dirs = [paths.socketsDir, chooseSocketDir(values["socket-dir"] as string | undefined).dir, SERVICE_SOCKET_DIR];
    const ensureStopped = async () => {
      const why = await runningAgent(dirs);
      if (why) throw new AgentError("CONFLICT", `the agent is running (${why}): stop it first (systemctl stop glase-agent, or Ctrl-C the npm start), then restore`);
    };
    await ensureStopped();
    const report = await restoreBackup(
      backup,
      { stateDir: paths.stateDir, journalPath: paths.journal, invoiceJournalPath: join(paths.stateDir, "invoices.sqlite"), terminalsDir: paths.terminalsDir },
      { beforeSwap: ensureStopped },
    );
    if (json) process.stdout.write(JSON.stringify({ ...info, restored: report.restored, ...(report.replacedDir ? { replacedDir: report.replacedDir } : {}) }, null, 2) + "\n");
    else {
      process.stdout.write(
        [
          `restored:  ${report.restored.join(", ")}`,
          `from:      ${backup.file}, taken ${backup.manifest.createdAt} (agent ${backup.manifest.agentVersion})`,
          ...(report.replacedDir ? [`replaced:  the previous files are in ${report.replacedDir} (to roll back, move them back with the agent stopped)`] : []),
          `journal:   ${report.journal.steps} steps, ${report.journal.receipts} receipts; ${report.journal.unfinishedFlows} flows were running when it was taken — the next start recovers them by asking Glase`,
          `Payments after ${backup.manifest.createdAt} are not in this journal (Glase's reports have them). Start the agent: systemctl start glase-agent`,
        ].join("\n") + "\n",
      );
    }
    return 0;
  },
};
