// One error type for the whole program: a stable machine-readable `code` and a `context` object.
// Callers branch on `code` (and on the typed fields of the subclasses), never on message text.
// Pure module: no node:* imports, usable from agent/core.

export type ErrorCode =
  // Glase answered with a non-zero resultCode (see GlaseError).
  | "GLASE_RESULT"
  // The request did not complete; see TransportError.indefinite.
  | "GLASE_TRANSPORT"
  // The server answered, but not with something we can read (bad XML, missing fields).
  | "GLASE_PROTOCOL"
  | "CONFIG_INVALID"
  | "INPUT_INVALID"
  | "JOURNAL_FAILED"
  | "DEVICE_TIMEOUT"
  | "DEVICE_DISCONNECTED"
  | "DEVICE_PROTOCOL"
  | "DEVICE_REJECTED"
  | "PRINTER_UNAVAILABLE"
  | "SOCKET_REQUEST_INVALID"
  // A technician client could not reach the agent (no socket, nobody listening, connection lost).
  | "AGENT_UNREACHABLE"
  // The socket is there but this user may not use it (group, admin.sock).
  | "PERMISSION_DENIED"
  | "NOT_FOUND"
  | "CONFLICT"
  | "ABORTED"
  | "INTERNAL";

export class AgentError extends Error {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AgentError";
    this.code = code;
    this.context = context;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, context: this.context };
  }
}

export function isAgentError(e: unknown, code?: ErrorCode): e is AgentError {
  return e instanceof AgentError && (code === undefined || e.code === code);
}

/**
 * Exit status of a command stopped by its configuration (sysexits EX_CONFIG): a bad config file,
 * an unusable secret file it names, an invalid GLASE_LOG_LEVEL. The unit's
 * RestartPreventExitStatus=78: restarting cannot fix it.
 */
export const EXIT_CONFIG = 78;
