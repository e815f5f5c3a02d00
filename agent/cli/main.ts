// `glase-agent <command> …` — one executable, subcommands registered here.
import { AgentError, isAgentError } from "../errors.ts";
import type { Command } from "./command.ts";
import { simulatorCommand } from "./commands/simulator.ts";
import { configCommand } from "./commands/config.ts";
import { ctlCommand } from "./commands/ctl.ts";
import { runCommand } from "./commands/run.ts";
import { registerCommand, unregisterCommand, assignIdCommand } from "./commands/terminal.ts";

const COMMANDS: readonly Command[] = [
  simulatorCommand,
  configCommand,
  runCommand,
  ctlCommand,
  registerCommand,
  unregisterCommand,
  assignIdCommand,
];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: glase-agent <command> [options]",
    "",
    "Glase payment agent for unattended fuel pumps, EV chargers and kiosks.",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `glase-agent <command> --help` for the options of a command.",
  ].join("\n");
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(topHelp() + "\n");
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`glase-agent: unknown command '${name}'\n\n${topHelp()}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (isAgentError(e, "INPUT_INVALID") || isAgentError(e, "CONFIG_INVALID")) {
      process.stderr.write(`glase-agent ${name}: ${e.message}\n\n${command.usage}\n`);
      return 2;
    }
    const err = e instanceof AgentError ? `${e.code}: ${e.message}` : String((e as Error)?.stack ?? e);
    process.stderr.write(`glase-agent ${name}: ${err}\n`);
    return 1;
  }
}
