// A CLI subcommand: each lives in agent/cli/commands/<name>.ts and is listed (with its one-line
// summary, so --help loads nothing) in main.ts.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { AgentError } from "../../base/errors.ts";

export interface Command {
  readonly name: string;
  /** Full help text shown by `glase-agent <name> --help`. */
  readonly usage: string;
  /** The one-line synopsis of what `argv` asked for (a ctl subcommand's), shown under a usage error. */
  synopsisOf?(argv: readonly string[]): string | undefined;
  /** Returns the process exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/**
 * node:util parseArgs with our error type: an unknown or malformed option names itself.
 * `--help`/`-h` is always accepted and reported as values.help.
 */
export function parseOptions<T extends NonNullable<ParseArgsConfig["options"]>>(argv: readonly string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals,
      strict: true,
    });
  } catch (e) {
    throw new AgentError("INPUT_INVALID", (e as Error).message, { argv });
  }
}
