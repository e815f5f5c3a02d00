// Structured logging: one line per event, `level component event key=value …`, to stdout.
// Under systemd (JOURNAL_STREAM set) each line carries a `<N>` syslog priority prefix so journald
// keeps the level. Values under secret-looking keys are replaced before anything is written:
// passwords and issuer secrets never reach a log.

export type LogLevel = "debug" | "info" | "warn" | "error";
const PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

const SECRET_KEY = /pass(word)?|secret|token|authorization|credential/i;

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

const settings: LogSettings = {
  level: (process.env.GLASE_LOG_LEVEL as LogLevel | undefined) ?? "info",
  journald: process.env.JOURNAL_STREAM !== undefined,
  sink: { write: (line) => process.stdout.write(line) },
};

export function configureLogging(patch: Partial<LogSettings>): void {
  Object.assign(settings, patch);
}

/** Replaces secret values anywhere in a value tree (depth-limited). */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { error: value.message, ...(code !== undefined ? { code } : {}) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) ? "***" : redact(v, depth + 1);
  }
  return out;
}

function formatValue(v: unknown): string {
  if (typeof v === "string") return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  return JSON.stringify(v);
}

export function formatLine(level: LogLevel, component: string, event: string, fields: Record<string, unknown> = {}): string {
  const safe = redact(fields) as Record<string, unknown>;
  const parts = [`${level.toUpperCase()}`, component, event];
  for (const [k, v] of Object.entries(safe)) parts.push(`${k}=${formatValue(v)}`);
  const line = parts.join(" ");
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
