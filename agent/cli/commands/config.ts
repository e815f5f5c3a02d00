// `glase-agent config check FILE`: validate a config (and the secrets files it names) without
// starting anything. Exit 0 valid, 2 invalid with every problem listed.
// `glase-agent config unit-dropin FILE`: the systemd drop-in (DeviceAllow=, ReadWritePaths=) the
// configured devices need (agent/config/unit-dropin.ts).
import { resolve } from "node:path";
import { AgentError, isAgentError } from "../../../base/errors.ts";
import { parseOptions, type Command } from "../command.ts";
import { loadConfig } from "../../config/load.ts";
import { configSecretFiles, readSecretFile } from "../../config/secrets.ts";
import { sharedTerminalMessage, type AgentConfig } from "../../config/schema.ts";
import { writeFileDurably } from "../../../base/io/durable-file.ts";
import { deviceAllowOnThisMachine } from "../../config/device-allow.ts";
import { readInstalledUnit, SHIPPED_UNIT } from "../../config/service-unit.ts";
import { renderDropin, unitDropin } from "../../config/unit-dropin.ts";

const USAGE = `Usage: glase-agent config check FILE [--json] [--skip-secrets]
       glase-agent config unit-dropin FILE [--write DROPIN]
       glase-agent config notification-url FILE

check: validates a station configuration without starting the agent: the YAML, the schema
(every problem as path: problem), version migrations, and that every secret file it names exists
and is mode 0600 (--skip-secrets leaves the files out, e.g. when checking a site config on a
laptop). Exit status 0 when valid, 2 when not.

unit-dropin: the systemd drop-in the configured devices need — DeviceAllow= for the serial
controller, serial/USB printer and scanner, ReadWritePaths= for a file printer. Run it as root
(sudo: the config is readable by root and the agent's group only) with the devices plugged in.
--write DROPIN writes it there durably (0644), e.g.
/etc/systemd/system/glase-agent.service.d/site.conf, and only when everything could be resolved:
on any problem (config unreadable, a device not present, …) nothing is written and the exit status
is non-zero (2). Without --write it is printed.

notification-url: the Invoice Service notification URL to register at Glase — invoiceService.publicUrl
with the token of invoiceService.notificationTokenFile as its last path segment (run it as root).`;

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
    const { values, positionals } = parseOptions(argv, { json: { type: "boolean" }, "skip-secrets": { type: "boolean" }, write: { type: "string" } }, true);
    if (values.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    const [sub, file] = positionals;
    if (sub === "unit-dropin" && file !== undefined && positionals.length === 2) return writeUnitDropin(file, values.write);
    if (values.write !== undefined) throw new AgentError("INPUT_INVALID", "--write belongs to `config unit-dropin`");
    if (sub === "notification-url" && file !== undefined && positionals.length === 2) {
      const { config } = await loadConfig(file);
      const s = config.invoiceService;
      if (!s) throw new AgentError("CONFIG_INVALID", `${file}: has no invoiceService section`);
      const { readNotificationToken } = await import("../../invoice-service/issuer.ts");
      const { notificationUrlOf } = await import("../../invoice-service/settings.ts");
      process.stdout.write(`${notificationUrlOf(s.publicUrl, await readNotificationToken(resolve(s.notificationTokenFile)))}\n`);
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

/**
 * `config unit-dropin FILE [--write DROPIN]`. Relative paths resolve as the service resolves them
 * (the installed unit's WorkingDirectory=, else the shipped unit's `/`). With --write the drop-in
 * is written durably and only when complete: a failure leaves DROPIN as it was — the documented
 * `… | sudo tee site.conf` used to leave an empty file (and exit 0) when the command failed.
 */
async function writeUnitDropin(file: string, target: string | undefined): Promise<number> {
  let text: string;
  try {
    const { config } = await loadConfig(file);
    const serviceCwd = (readInstalledUnit() ?? SHIPPED_UNIT).workingDirectory;
    text = renderDropin(unitDropin(config, deviceAllowOnThisMachine, serviceCwd), file);
  } catch (e) {
    if (!isAgentError(e, "CONFIG_INVALID")) throw e;
    const listed = e.context.problems;
    const problems = Array.isArray(listed) ? (listed as string[]) : [e.message];
    const denied = / \(EACCES\)/.test(e.message) ? `\n  (${file} is readable by root and the agent's group only: run this with sudo)` : "";
    process.stderr.write(`glase-agent config unit-dropin: ${problems.length} problem(s)${target ? `; ${target} not written` : ""}\n${problems.map((p) => `  ${p}`).join("\n")}${denied}\n`);
    return 2;
  }
  if (target === undefined) {
    process.stdout.write(text);
    return 0;
  }
  if (!text.includes("\n[Service]\n")) throw new AgentError("INTERNAL", "unit-dropin: refusing to write a drop-in without a [Service] section");
  try {
    await writeFileDurably(target, text, { mode: 0o644, dirMode: 0o755, replace: true });
  } catch (e) {
    const errno = isAgentError(e) ? String(e.context.errno ?? "error") : String((e as NodeJS.ErrnoException).code ?? "error");
    process.stderr.write(`glase-agent config unit-dropin: cannot write ${target} (${errno})${errno === "EACCES" || errno === "EPERM" ? ": run this with sudo" : ""}\n`);
    return 1;
  }
  process.stderr.write(`wrote ${target}; now: sudo systemctl daemon-reload && sudo systemctl restart glase-agent\n`);
  return 0;
}
