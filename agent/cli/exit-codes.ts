// The exit statuses of every `glase-agent` command, one meaning each, so a script can tell "the
// agent said no" from "there is no agent" from "you typed it wrong" (docs/technician.md lists
// them). With --json a failure also prints one JSON object on stdout:
//   {"error":{"code":"AGENT_UNREACHABLE","message":"…","exitCode":3}}
// and the human message still goes to stderr.
import { AgentError, isAgentError } from "../../base/errors.ts";
import { ControlRequestError } from "../daemon/sockets/client.ts";

export const EXIT = {
  OK: 0,
  /** The agent (or the operation) refused or failed: its error code is printed (NOT_FOUND, CONFLICT, BAD_ARGS, …). */
  FAILED: 1,
  /** Bad command line (unknown command or option, missing or malformed argument). */
  USAGE: 2,
  /** No agent to talk to: no socket, nobody listening, the connection dropped before the answer, or the socket is full (BUSY). */
  UNREACHABLE: 3,
  /** The socket is there, but this user may not use it (technician group, admin.sock). */
  PERMISSION: 4,
  /** The agent took the request but did not answer in time (wedged or overloaded). */
  TIMEOUT: 5,
  /** `doctor`: at least one check failed. */
  PROBLEMS: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit status of a failure, by its error code (never by message text). */
export function exitCodeOf(e: unknown): ExitCode {
  if (e instanceof ControlRequestError) {
    if (e.remoteCode === "TIMEOUT") return EXIT.TIMEOUT;
    // The socket was full or this connection was made room of: nothing was done, try again.
    if (e.remoteCode === "BUSY" || e.remoteCode === "EVICTED") return EXIT.UNREACHABLE;
    return EXIT.FAILED;
  }
  if (isAgentError(e, "INPUT_INVALID") || isAgentError(e, "CONFIG_INVALID")) return EXIT.USAGE;
  if (isAgentError(e, "AGENT_UNREACHABLE")) return EXIT.UNREACHABLE;
  if (isAgentError(e, "PERMISSION_DENIED")) return EXIT.PERMISSION;
  return EXIT.FAILED;
}

/** The code printed for a failure: the agent's own code for a refused request. */
export function errorCodeOf(e: unknown): string {
  if (e instanceof ControlRequestError) return e.remoteCode;
  if (e instanceof AgentError) return e.code;
  return "INTERNAL";
}

/** The JSON error object a `--json` command prints on stdout when it fails. */
export function jsonError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return JSON.stringify({ error: { code: errorCodeOf(e), message, exitCode: exitCodeOf(e) } });
}
