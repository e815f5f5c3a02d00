// `glase-agent <command> …` — one executable, subcommands registered here.
import { AgentError, EXIT_CONFIG } from "../../base/errors.ts";
import { loggingProblem } from "../../base/log.ts";
import { agentVersion } from "../version.ts";
import type { Command } from "./command.ts";
import { EXIT, exitCodeOf, jsonError } from "./exit-codes.ts";

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
  { name: "doctor", summary: "check the installation: config, secrets, clock/NTP, Glase, controller, printer (says what to fix)", load: async () => (await import("./commands/doctor.ts")).doctorCommand },
  { name: "restore", summary: "restore a backup made by `ctl backup` (the agent stopped)", load: async () => (await import("./commands/restore.ts")).restoreCommand },
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
    "Run `glase-agent <command> --help` for the options of a command; `glase-agent --version` prints the version.",
    "Exit status: 0 ok, 1 refused or failed, 2 usage, 3 agent unreachable, 4 permission denied, 5 timeout, 6 doctor found problems.",
  ].join("\n");
}

/** `ctl refund` rather than `ctl` in messages: the subcommand is what the technician typed. */
function label(name: string, rest: readonly string[]): string {
  return name === "ctl" && rest[0] && !rest[0].startsWith("-") ? `ctl ${rest[0]}` : name;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V" || name === "version") {
    process.stdout.write(`glase-agent ${agentVersion()}\n`);
    return EXIT.OK;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(topHelp() + "\n");
    return EXIT.OK;
  }
  // A usage error goes to stderr: stdout stays what a script reads.
  if (name === undefined) {
    process.stderr.write(topHelp() + "\n");
    return EXIT.USAGE;
  }
  const json = rest.includes("--json");
  const problem = loggingProblem();
  if (problem) {
    // The environment is configuration too (the unit's Environment=): EX_CONFIG, which systemd
    // does not restart in a loop (RestartPreventExitStatus=78).
    process.stderr.write(`glase-agent: ${problem.message}; fix or unset GLASE_LOG_LEVEL\n`);
    if (json) process.stdout.write(jsonError(problem) + "\n");
    return EXIT_CONFIG;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    const e = new AgentError("INPUT_INVALID", `unknown command '${name}'`);
    process.stderr.write(`glase-agent: ${e.message}\nsee \`glase-agent --help\`\n`);
    if (json) process.stdout.write(jsonError(e) + "\n");
    return EXIT.USAGE;
  }
  const command = await entry.load();
  // `ctl export | head`, `ctl watch | grep -m1`: a reader that goes away ends the command quietly.
  if (name !== "run") process.stdout.on("error", (e: NodeJS.ErrnoException) => (e.code === "EPIPE" ? process.exit(EXIT.OK) : undefined));
  try {
    return await command.run(rest);
  } catch (e) {
    const code = exitCodeOf(e);
    const what = `glase-agent ${label(name, rest)}`;
    // A usage error: what was wrong, the synopsis of what was asked (if known), where the rest is —
    // never the whole usage, under which the reason would scroll away.
    if (code === EXIT.USAGE) {
      const synopsis = command.synopsisOf?.(rest);
      const message = (e as Error).message.replace(`${label(name, rest)}: `, "");
      const help = synopsis ? `glase-agent ${label(name, rest)} --help` : `glase-agent ${name} --help`;
      process.stderr.write(printable(`${what}: ${message}`) + `\n${synopsis ? `usage: glase-agent ${synopsis}\n` : ""}see \`${help}\`\n`);
    }
    else process.stderr.write(printable(`${what}: ${describe(e)}`) + "\n");
    if (json) process.stdout.write(jsonError(e) + "\n");
    return code;
  }
}

/**
 * An error's text for a terminal: control characters (ESC sequences that could rewrite the line,
 * retitle the window or fake a prompt) are shown escaped — a message can carry text from files a
 * less trusted user wrote, e.g. an interrupted restore's marker (review 10/15-5, LOW-1). Newlines
 * and tabs of multi-line errors (stacks) stay.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function describe(e: unknown): string {
  const remote = (e as { remoteCode?: unknown }).remoteCode;
  if (typeof remote === "string") return `${remote}: ${(e as Error).message}`;
  return e instanceof AgentError ? `${e.code}: ${e.message}` : String((e as Error)?.stack ?? e);
}
