// `glase-agent config check FILE`: validate a config (and the secrets files it names) without
// starting anything. Exit 0 valid, 2 invalid with every problem listed.
// `glase-agent config unit-dropin FILE`: the systemd drop-in (DeviceAllow=, ReadWritePaths=) the
// configured devices need (agent/config/unit-dropin.ts).
import { readFileSync, realpathSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { isAgentError } from "../../errors.ts";
import { parseOptions, type Command } from "../command.ts";
import { loadConfig } from "../../config/load.ts";
import { configSecretFiles, readSecretFile } from "../../config/secrets.ts";
import { sharedTerminalMessage, type AgentConfig } from "../../config/schema.ts";
import { classFromName, renderDropin, unitDropin, type DeviceClassOf } from "../../config/unit-dropin.ts";

const USAGE = `Usage: glase-agent config check FILE [--json] [--skip-secrets]
       glase-agent config unit-dropin FILE

check: validates a station configuration without starting the agent: the YAML, the schema
(every problem as path: problem), version migrations, and that every secret file it names exists
and is mode 0600 (--skip-secrets leaves the files out, e.g. when checking a site config on a
laptop). Exit status 0 when valid, 2 when not.

unit-dropin: prints the systemd drop-in the configured devices need — DeviceAllow= for the
serial controller, serial/USB printer and scanner (their device classes), ReadWritePaths= for a
file printer — to install as /etc/systemd/system/glase-agent.service.d/site.conf.`;

/** A device node's DeviceAllow class from its major number (/proc/devices), or from its name when absent. */
const deviceClassOf: DeviceClassOf = (path) => {
  let node: string;
  try {
    node = realpathSync(path);
  } catch {
    const byName = classFromName(path);
    return byName ? { deviceClass: byName, node: path } : undefined;
  }
  const st = statSync(node);
  if (!st.isCharacterDevice()) return classFromName(node) ? { deviceClass: classFromName(node)!, node } : undefined;
  const major = Math.floor(st.rdev / 256) & 0xfff;
  const section = readFileSync("/proc/devices", "utf8").split(/\n\s*\n/)[0] ?? "";
  const name = section.split("\n").map((l) => /^\s*(\d+)\s+(\S+)$/.exec(l)).find((m) => m && Number(m[1]) === major)?.[2];
  return name ? { deviceClass: `char-${name}`, node } : undefined;
};

/**
 * Terminal ids held in credentials files, checked against every other point's terminal: the schema
 * sees only inline ids. Files that cannot be read are reported by the secrets check already.
 */
async function sharedTerminalsInFiles(config: AgentConfig): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const [i, p] of config.points.entries()) {
    const t = p.terminal;
    let id = t?.id;
    let path = `points[${i}].terminal.id`;
    if (t?.credentialsFile !== undefined) {
      path = `points[${i}].terminal.credentialsFile`;
      try {
        id = (JSON.parse(await readSecretFile(resolve(t.credentialsFile), path)) as { terminalId?: unknown }).terminalId as string | undefined;
      } catch {
        continue;
      }
    }
    if (typeof id !== "string") continue;
    const other = seen.get(id);
    // Two inline ids are the schema's to report; any pair with a file in it is ours.
    if (other !== undefined && (t?.credentialsFile !== undefined || other.endsWith(".credentialsFile"))) problems.push(`${path}: ${sharedTerminalMessage(id, other)}`);
    else if (other === undefined) seen.set(id, path);
  }
  return problems;
}

export const configCommand: Command = {
  name: "config",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { json: { type: "boolean" }, "skip-secrets": { type: "boolean" } }, true);
    if (values.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    const [sub, file] = positionals;
    if (sub === "unit-dropin" && file !== undefined && positionals.length === 2) {
      const { config } = await loadConfig(file);
      process.stdout.write(renderDropin(unitDropin(config, deviceClassOf, process.cwd()), file));
      return 0;
    }
    if (sub !== "check" || file === undefined || positionals.length > 2) {
      process.stderr.write(USAGE + "\n");
      return 2;
    }
    const problems: string[] = [];
    let migrations: readonly string[] = [];
    try {
      const loaded = await loadConfig(file);
      migrations = loaded.migrations;
      for (const s of values["skip-secrets"] ? [] : configSecretFiles(loaded.config)) {
        try {
          await readSecretFile(resolve(s.path), s.what, { followSymlinks: true });
        } catch (e) {
          if (!isAgentError(e)) throw e;
          problems.push(e.message);
        }
      }
      if (!values["skip-secrets"]) problems.push(...(await sharedTerminalsInFiles(loaded.config)));
    } catch (e) {
      if (!isAgentError(e, "CONFIG_INVALID")) throw e;
      const listed = e.context.problems;
      problems.push(...(Array.isArray(listed) ? (listed as string[]) : [e.message]));
    }
    if (values.json) {
      process.stdout.write(JSON.stringify({ file, valid: problems.length === 0, problems, migrations }) + "\n");
    } else {
      for (const m of migrations) process.stdout.write(`${file}: migrated ${m} (update the file to silence this)\n`);
      if (problems.length === 0) process.stdout.write(`${file}: valid\n`);
      else process.stderr.write(`${file}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join("\n")}\n`);
    }
    return problems.length === 0 ? 0 : 2;
  },
};
