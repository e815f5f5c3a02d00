// Structured logging: one line per event, `level component event key=value …`, to stdout.
// Under systemd (JOURNAL_STREAM set) each line carries a `<N>` syslog priority prefix so journald
// keeps the level.
//
// Nothing secret reaches a line, whatever shape the fields have (`safeValue` walks them all):
//   - a value under a secret-looking key, at any depth (password, secret, token, apiKey,
//     privateKey, pin, authorization, cookie, …) is `***` — except keys naming where a secret
//     lives (`secretFile`, `passwordPath`): a path is not a secret and helps the operator;
//   - every string is scrubbed: URL userinfo (`https://user:pw@host` → `https://***@host`),
//     `password=…`/`access_token: …`/`X-Auth-Token: …`/`Bearer …`/`<password>…</password>`
//     inside error messages, and every secret value the agent was told about (registerSecret:
//     pinned for good) or has seen under a secret key (the most recent 256); in linear time,
//     and a string longer than 8 KiB is cut;
//   - errors keep their name, code, message, stack and cause chain (scrubbed the same way);
//   - circular references, BigInt, Map/Set, Buffers, functions never make the logger throw.
// An invalid GLASE_LOG_LEVEL is an error for every command (cli/main.ts), not "log everything".
//
// Why not pino (measured, scratch install of pino 10.4.0): its `redact` takes explicit paths —
// `*.password` covers one level, a password three levels down was logged in clear — so this walk
// would still be needed; loading it costs +7.9 MiB RSS (13 packages, thread-stream) in a daemon
// of ≈75 MiB; and its JSON lines would replace the key=value lines technicians read in
// `journalctl -u glase-agent` and that tests and docs quote. This logger: ≈6 µs per line with the
// full walk (pino ≈3.4 µs with its partial one), nothing at tens of lines per second.
// Base layer: imports nothing but the error type and its own redaction (redact.ts: the walk;
// scrub.ts: free text; secret-keys.ts, secret-values.ts: what is a secret). The whole
// implementation lives in base (not only the Logger interface) so that every line a driver or a
// twin writes goes through the same scrubbing, with no backend to install first.
import { AgentError } from "./errors.ts";
import { safeValue } from "./redact.ts";

// The redaction is in its own files; these names stay importable from here, as they always were.
export { redact, safeValue } from "./redact.ts";
export { MAX_STRING, scrub, scrubText } from "./scrub.ts";
export { isSecretKey } from "./secret-keys.ts";
export { registerSecret } from "./secret-values.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export interface LogSink {
  write(line: string): void;
}

interface LogSettings {
  level: LogLevel;
  journald: boolean;
  sink: LogSink;
}

/** `GLASE_LOG_LEVEL`'s value checked: undefined when unset, an error naming the choices when invalid. */
export function parseLogLevel(value: string | undefined, source = "GLASE_LOG_LEVEL"): LogLevel | undefined {
  if (value === undefined || value === "") return undefined;
  const v = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new AgentError("CONFIG_INVALID", `${source}: '${value}' is not a log level (one of ${LOG_LEVELS.join(", ")})`, { source, value });
}

let envProblem: AgentError | undefined;
function levelFromEnv(): LogLevel {
  try {
    return parseLogLevel(process.env.GLASE_LOG_LEVEL) ?? "info";
  } catch (e) {
    envProblem = e as AgentError;
    return "info";
  }
}

/** The invalid GLASE_LOG_LEVEL of this process, if it has one (the CLI refuses to run). */
export function loggingProblem(): AgentError | undefined {
  return envProblem;
}

const settings: LogSettings = {
  level: levelFromEnv(),
  journald: process.env.JOURNAL_STREAM !== undefined,
  sink: { write: (line) => process.stdout.write(line) },
};

export function configureLogging(patch: Partial<LogSettings>): void {
  Object.assign(settings, patch);
}

function formatValue(v: unknown): string {
  if (typeof v === "string") return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  return JSON.stringify(v);
}

export function formatLine(level: LogLevel, component: string, event: string, fields: Record<string, unknown> = {}): string {
  let line: string;
  try {
    const safe = safeValue(fields) as Record<string, unknown>;
    const parts = [`${level.toUpperCase()}`, component, event];
    for (const [k, v] of Object.entries(safe)) parts.push(`${k}=${formatValue(v)}`);
    line = parts.join(" ");
  } catch (e) {
    line = `${level.toUpperCase()} ${component} ${event} log-format-failed=${JSON.stringify(String((e as Error)?.message ?? e))}`;
  }
  return settings.journald ? `<${PRIORITY[level]}>${line}\n` : `${new Date().toISOString()} ${line}\n`;
}

export function createLogger(component: string): Logger {
  const emit = (level: LogLevel) => (event: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < ORDER[settings.level]) return;
    settings.sink.write(formatLine(level, component, event, fields));
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (sub) => createLogger(`${component}.${sub}`),
  };
}
