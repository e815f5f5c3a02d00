// `glase-agent config check FILE`: validate a config (and the secrets files it names) without
// starting anything. Exit 0 valid, 2 invalid with every problem listed.
import { resolve } from "node:path";
import { isAgentError } from "../../errors.ts";
import { parseOptions, type Command } from "../command.ts";
import { loadConfig } from "../../config/load.ts";
import { readSecretFile } from "../../config/secrets.ts";
import type { AgentConfig } from "../../config/schema.ts";

const USAGE = `Usage: glase-agent config check FILE [--json] [--skip-secrets]

Validates a station configuration without starting the agent: the YAML, the schema (every
problem as path: problem), version migrations, and that every secret file it names exists and
is mode 0600 (--skip-secrets leaves the files out, e.g. when checking a site config on a
laptop). Exit status 0 when valid, 2 when not.`;

/** Secret files named by the config, with what they are for. */
function secretFiles(config: AgentConfig): Array<{ path: string; what: string }> {
  const out: Array<{ path: string; what: string }> = [];
  if (config.glase.reseller?.passwordFile) out.push({ path: config.glase.reseller.passwordFile, what: "glase.reseller.passwordFile" });
  config.points.forEach((p, i) => {
    const t = p.terminal;
    if (t?.passwordFile) out.push({ path: t.passwordFile, what: `points[${i}].terminal.passwordFile` });
    if (t?.credentialsFile) out.push({ path: t.credentialsFile, what: `points[${i}].terminal.credentialsFile` });
  });
  if (config.invoiceService) out.push({ path: config.invoiceService.secretFile, what: "invoiceService.secretFile" });
  return out;
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
    if (sub !== "check" || file === undefined || positionals.length > 2) {
      process.stderr.write(USAGE + "\n");
      return 2;
    }
    const problems: string[] = [];
    let migrations: readonly string[] = [];
    try {
      const loaded = await loadConfig(file);
      migrations = loaded.migrations;
      for (const s of values["skip-secrets"] ? [] : secretFiles(loaded.config)) {
        try {
          await readSecretFile(resolve(s.path), s.what, { followSymlinks: true });
        } catch (e) {
          if (!isAgentError(e)) throw e;
          problems.push(e.message);
        }
      }
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
