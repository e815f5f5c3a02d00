// `glase-agent <command> …` — one executable, subcommands registered here.
import { AgentError, EXIT_CONFIG, isAgentError } from "../errors.ts";
import { loggingProblem } from "../log.ts";
import type { Command } from "./command.ts";

// Commands are loaded on use: `glase-agent simulator` must start fast, and no command should pay
// for the modules of another (the daemon's, the simulator's, node-hid …).
interface CommandEntry {
  readonly name: string;
  /** One line for the top-level --help. */
  readonly summary: string;
  load(): Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  { name: "simulator", summary: "run the embedded Glase simulator", load: async () => (await import("./commands/simulator.ts")).simulatorCommand },
  { name: "config", summary: "validate a configuration file (config check FILE)", load: async () => (await import("./commands/config.ts")).configCommand },
  { name: "run", summary: "run the agent (the daemon)", load: async () => (await import("./commands/run.ts")).runCommand },
  { name: "ctl", summary: "technician commands against the running agent (status, points, top, refund, …)", load: async () => (await import("./commands/ctl.ts")).ctlCommand },
  { name: "register", summary: "register a Glase terminal for a point (stores its credentials 0600)", load: async () => (await import("./commands/terminal.ts")).registerCommand },
  { name: "unregister", summary: "unregister a point's Glase terminal", load: async () => (await import("./commands/terminal.ts")).unregisterCommand },
  { name: "assign-id", summary: "bind a Glase ID sticker to a point (typed or --from-scanner)", load: async () => (await import("./commands/terminal.ts")).assignIdCommand },
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
  const problem = loggingProblem();
  if (problem) {
    // The environment is configuration too (the unit's Environment=): EX_CONFIG, which systemd
    // does not restart in a loop (RestartPreventExitStatus=78).
    process.stderr.write(`glase-agent: ${problem.message}; fix or unset GLASE_LOG_LEVEL\n`);
    return EXIT_CONFIG;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`glase-agent: unknown command '${name}'\n\n${topHelp()}\n`);
    return 2;
  }
  const command = await entry.load();
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
