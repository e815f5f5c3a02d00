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
import { abortRestore, restoreBackup } from "../../backup/restore.ts";
import { loadConfig } from "../../config/load.ts";
import { resolveCommandPaths } from "../../config/paths.ts";
import { ADMIN_SOCKET, STATUS_SOCKET } from "../../daemon/sockets/server.ts";
import { AgentError, isAgentError } from "../../../base/errors.ts";
import { parseOptions, type Command } from "../command.ts";
import { chooseSocketDir, SERVICE_SOCKET_DIR } from "./socket-dir.ts";
import { connectTrusted } from "./socket-trust.ts";
import { becomeOwnerOf } from "./state-owner.ts";
import { configureLogging, createLogger } from "../../../base/log.ts";

const USAGE = `Usage: glase-agent restore FILE [--config FILE] [--check] [--force] [--json]
       glase-agent restore --abort [--config FILE]

Restores a backup written by \`glase-agent ctl backup FILE\`: the payment journal (and the Invoice
Service's), and the terminal credentials, into the state directory the config's agent uses (for
the installed service's config: its StateDirectory, /var/lib/glase-agent). The agent must be
stopped (systemctl stop glase-agent); restore refuses while it runs.

Before anything changes the whole archive is checked: its structure, the manifest, every file's
sha256, the journal's SQLite integrity and schema version, the credentials. The files it replaces
are moved to replaced-<time>/ beside them (nothing is deleted). Then start the agent: unfinished
flows of the backup are recovered by asking Glase (docs/recovery.md).

The swap is safe against a power cut: until it is complete, restore-in-progress.json in the state
directory says so and the agent refuses to start. Re-run the same restore to finish it, or give
--abort to put the previous files back.

  --config FILE     station config (default /etc/glase-agent/config.yaml)
  --check           only check the archive and say what it holds (works while the agent runs)
  --abort           undo an interrupted restore (the previous files back in place)
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
        (await connectTrusted(path, name === ADMIN_SOCKET, 2_000)).close();
        return `an agent answers on ${path}`;
      } catch (e) {
        // Something that is not the agent listens where the agent's socket belongs: say so, restore nothing.
        if (isAgentError(e, "PERMISSION_DENIED") && (e as AgentError).context.pid !== undefined) return (e as AgentError).message;
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

async function dropToStateOwner(stateDir: string): Promise<void> {
  configureLogging({ sink: { write: (line) => process.stderr.write(line) } });
  await becomeOwnerOf(stateDir, createLogger("restore"));
}

export const restoreCommand: Command = {
  name: "restore",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      { config: { type: "string", short: "c" }, check: { type: "boolean" }, abort: { type: "boolean" }, force: { type: "boolean" }, json: { type: "boolean" }, "socket-dir": { type: "string" } },
      true,
    );
    if (values.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    const json = values.json === true;
    if (values.abort === true) {
      if (positionals.length !== 0) throw new AgentError("INPUT_INVALID", "--abort takes no FILE");
      const configFile = (values.config as string | undefined) ?? "/etc/glase-agent/config.yaml";
      const { config } = await loadConfig(configFile);
      const paths = resolveCommandPaths(config, configFile);
      const why = await runningAgent([paths.socketsDir, chooseSocketDir(values["socket-dir"] as string | undefined).dir, SERVICE_SOCKET_DIR]);
      if (why) throw new AgentError("CONFLICT", `the agent is running (${why}): stop it first`);
      // Everything root alone may read is read: from here on, the state directory's owner's rights
      // (a marker the service user wrote then cannot make root move anything; review 4 #1).
      await dropToStateOwner(paths.stateDir);
      const r = await abortRestore({ stateDir: paths.stateDir });
      process.stdout.write(json ? JSON.stringify({ aborted: true, backup: r.backup, movedBack: r.movedBack }, null, 2) + "\n" : `aborted the restore of ${r.backup.file}: ${r.movedBack.length} file(s) back in place (${r.movedBack.join(", ") || "none had moved"}). Start the agent: systemctl start glase-agent\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new AgentError("INPUT_INVALID", "expected the backup FILE");
    const backup = await openBackup(positionals[0]!);
    const info = describe(backup);
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
    // The archive is open (its descriptor is kept) and the config read: now the owner's rights.
    await dropToStateOwner(paths.stateDir);
    const report = await restoreBackup(
      backup,
      { stateDir: paths.stateDir, journalPath: paths.journal, invoiceJournalPath: join(paths.stateDir, "invoices.sqlite"), driverStorePath: join(paths.stateDir, "drivers.sqlite"), terminalsDir: paths.terminalsDir },
      { beforeSwap: ensureStopped },
    );
    if (json) process.stdout.write(JSON.stringify({ ...info, restored: report.restored, resumed: report.resumed, ...(report.checkpointProblems.length ? { checkpointProblems: report.checkpointProblems } : {}), ...(report.replacedDir ? { replacedDir: report.replacedDir } : {}) }, null, 2) + "\n");
    else {
      process.stdout.write(
        [
          ...(report.resumed ? ["finished the restore a power cut or crash had interrupted"] : []),
          `restored:  ${report.restored.join(", ")}`,
          ...report.checkpointProblems.map((p) => `warning:   ${p} (its files were moved aside whole)`),
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
