// Structured logging: one line per event, `level component event key=value …`, to stdout.
// Under systemd (JOURNAL_STREAM set) each line carries a `<N>` syslog priority prefix so journald
// keeps the level.
//
// Nothing secret reaches a line, whatever shape the fields have (`safeValue` walks them all):
//   - a value under a secret-looking key, at any depth (password, secret, token, apiKey,
//     privateKey, pin, authorization, cookie, …) is `***` — except keys naming where a secret
//     lives (`secretFile`, `passwordPath`): a path is not a secret and helps the operator;
//   - every string is scrubbed: URL userinfo (`https://user:pw@host` → `https://***@host`),
//     `password=…`/`token: …`/`Bearer …` inside error messages, and every secret value the agent
//     was told about (registerSecret) or has seen under a secret key;
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
// Base layer: imports nothing but the error type.
import { AgentError } from "./errors.ts";

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

// ---- redaction -------------------------------------------------------------------------------

const SECRET_WORDS = /(password|passwd|passphrase|secret|token|authorization|credential|apikey|privatekey|accesskey|cookie|sessionid|signature)/;
const SECRET_TOKENS = new Set(["pass", "pwd", "pin", "otp", "cvv", "cvc", "auth", "jwt"]);
/** `key` is a secret only after one of these (apiKey, private_key, signingKey); a sortKey is not. */
const KEY_QUALIFIERS = new Set(["api", "private", "access", "secret", "signing", "encryption", "master", "session", "hmac"]);
/** Keys naming where something lives: `secretFile`, `passwordPath`, `credentialsDir`. */
const LOCATION_TOKENS = new Set(["file", "path", "dir", "directory", "filename"]);
/** Plain keys that contain a secret word but are not secrets. */
const NOT_SECRET = new Set(["tokens", "keyboard", "keys", "keyid", "pinned"]);

function keyTokens(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Is the value under this key a secret? (Exported for the tests.) */
export function isSecretKey(key: string): boolean {
  const tokens = keyTokens(key);
  if (tokens.length === 0) return false;
  if (LOCATION_TOKENS.has(tokens.at(-1)!)) return false;
  const joined = tokens.join("");
  if (NOT_SECRET.has(joined)) return false;
  if (SECRET_WORDS.test(joined)) return true;
  return tokens.some((t, i) => SECRET_TOKENS.has(t) || (t === "key" && i > 0 && KEY_QUALIFIERS.has(tokens[i - 1]!)));
}

const known = new Set<string>();
const MAX_KNOWN = 256;

/** A secret value the agent holds (a password read from a file): masked wherever it appears in a line. */
export function registerSecret(value: string | undefined): void {
  if (typeof value !== "string" || value.length < 4 || known.has(value)) return;
  if (known.size >= MAX_KNOWN) known.delete(known.values().next().value!);
  known.add(value);
}

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;
// Not after `.`, `/` or `-`: `issuer.secret: mode 0644` names a file, it does not show a secret.
const INLINE = /(?<![\w./-])(pass(?:word|wd)?|secret|token|api[-_]?key|private[-_]?key|authorization|pin)(\s*["']?\s*[:=]\s*["']?)([^\s"',;&)]+)/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/** A string with URL userinfo, inline `password=…` and every known secret value masked. */
export function scrub(text: string): string {
  let out = text.replace(USERINFO, "$1***@").replace(BEARER, "$1 ***").replace(INLINE, "$1$2***");
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join("***");
  return out;
}

const MAX_DEPTH = 24;
const MAX_ITEMS = 100;

function errorValue(e: Error, seen: WeakSet<object>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { type: e.name, message: scrub(e.message) };
  const code = (e as { code?: unknown }).code;
  if (code !== undefined) out.code = safeValue(code, seen, depth + 1);
  if (e instanceof AgentError && Object.keys(e.context).length > 0) out.context = safeValue(e.context, seen, depth + 1);
  for (const [k, v] of Object.entries(e)) if (!(k in out) && k !== "context") out[k] = isSecretKey(k) ? mask(v) : safeValue(v, seen, depth + 1);
  if (e.stack) out.stack = scrub(e.stack);
  const cause = (e as { cause?: unknown }).cause;
  if (cause !== undefined) out.cause = safeValue(cause, seen, depth + 1);
  return out;
}

function mask(v: unknown): string {
  if (typeof v === "string") registerSecret(v);
  return "***";
}

/**
 * A JSON-safe copy of any value with every secret masked (see the header). Never throws: a value
 * it cannot read becomes a description of it.
 */
export function safeValue(value: unknown, seen: WeakSet<object> = new WeakSet(), depth = 0): unknown {
  try {
    switch (typeof value) {
      case "string":
        return scrub(value);
      case "bigint":
        return `${value}n`;
      case "symbol":
        return value.toString();
      case "function":
        return `[Function ${value.name || "anonymous"}]`;
      case "undefined":
      case "number":
      case "boolean":
        return value;
    }
    if (value === null) return null;
    const obj = value as object;
    if (seen.has(obj)) return "[Circular]";
    if (depth >= MAX_DEPTH) return "[Truncated]";
    seen.add(obj);
    try {
      if (obj instanceof Error) return errorValue(obj, seen, depth);
      if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString();
      if (obj instanceof Uint8Array) return `<${obj.constructor.name} ${obj.byteLength} bytes>`;
      if (obj instanceof URL) return scrub(obj.href);
      if (obj instanceof Map) return safeValue(Object.fromEntries([...obj].map(([k, v]) => [String(k), v])), seen, depth + 1);
      if (obj instanceof Set) return safeValue([...obj], seen, depth + 1);
      if (Array.isArray(obj)) {
        const items = obj.slice(0, MAX_ITEMS).map((v) => safeValue(v, seen, depth + 1));
        return obj.length > MAX_ITEMS ? [...items, `… ${obj.length - MAX_ITEMS} more`] : items;
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) out[k] = isSecretKey(k) ? mask(v) : safeValue(v, seen, depth + 1);
      return out;
    } finally {
      seen.delete(obj);
    }
  } catch (e) {
    return `[unreadable: ${(e as Error)?.message ?? "?"}]`;
  }
}

/** Kept for callers that redact before storing (the admin audit trail). */
export function redact(value: unknown): unknown {
  return safeValue(value);
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
