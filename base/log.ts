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
// Base layer: imports nothing but the error type. The whole implementation lives here (not only the
// Logger interface) so that every line a driver or a twin writes goes through the same scrubbing,
// with no backend to install first.
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

const SECRET_WORDS = /(password|passwd|passphrase|passcode|secret|token|authorization|credential|apikey|privatekey|accesskey|cookie|sessionid|signature)/;
const SECRET_TOKENS = new Set(["pass", "pwd", "pin", "otp", "cvv", "cvc", "auth", "jwt"]);
/** `key` is a secret only after one of these (apiKey, private_key, signingKey); a sortKey is not. */
const KEY_QUALIFIERS = new Set(["api", "private", "access", "secret", "signing", "encryption", "master", "session", "hmac", "shared", "client"]);
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

const keyVerdicts = new Map<string, boolean>();

/** Is the value under this key a secret? (Exported for the tests.) Memoised: keys and inline names repeat. */
export function isSecretKey(key: string): boolean {
  let verdict = keyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = classifyKey(key);
    if (keyVerdicts.size >= 4096) keyVerdicts.clear();
    keyVerdicts.set(key, verdict);
  }
  return verdict;
}

function classifyKey(key: string): boolean {
  const tokens = keyTokens(key);
  if (tokens.length === 0) return false;
  if (LOCATION_TOKENS.has(tokens.at(-1)!)) return false;
  const joined = tokens.join("");
  if (NOT_SECRET.has(joined)) return false;
  if (SECRET_WORDS.test(joined)) return true;
  return tokens.some((t, i) => SECRET_TOKENS.has(t) || (t === "key" && i > 0 && KEY_QUALIFIERS.has(tokens[i - 1]!)));
}

// Secret values to mask wherever they appear. Two kinds, so one cannot push the other out:
//   - pinned: registered at their source (credentials.ts, the issuer secret) — kept for the life
//     of the process, however many values are seen later;
//   - seen: strings met under a secret-looking key while logging — the most recent MAX_SEEN.
const pinned = new Set<string>();
const seenSecrets = new Set<string>();
const MAX_SEEN = 256;
/** Longest first, so a secret that contains another is masked whole; rebuilt on change. */
let ordered: string[] | undefined;
let longest = 0;

function noteLength(value: string): void {
  ordered = undefined;
  longest = Math.max(longest, value.length);
}

/** A secret value the agent holds (a password read from a file): masked wherever it appears in a line, never forgotten. */
export function registerSecret(value: string | undefined): void {
  if (typeof value !== "string" || value.length < 4 || pinned.has(value)) return;
  // And the forms the secret takes once escaped or encoded on its way into a message (review 4 #6):
  // a reseller password with `&`, `<`, `"` or `%` is no longer its raw self in SOAP, JSON or a URL.
  const xml = value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
  for (const v of new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1), xml, Buffer.from(value).toString("base64")])) {
    seenSecrets.delete(v);
    pinned.add(v);
    noteLength(v);
  }
}

/** A value seen under a secret-looking key: masked in later lines too, while among the last MAX_SEEN. */
function rememberSeen(value: string): void {
  if (value.length < 4 || pinned.has(value)) return;
  if (seenSecrets.delete(value)) {
    seenSecrets.add(value); // most recent again
    return;
  }
  if (seenSecrets.size >= MAX_SEEN) seenSecrets.delete(seenSecrets.values().next().value!);
  seenSecrets.add(value);
  noteLength(value);
}

function knownSecrets(): string[] {
  ordered ??= [...pinned, ...seenSecrets].sort((a, b) => b.length - a.length);
  return ordered;
}

// Every pattern below is linear in the text: no two adjacent unbounded quantifiers can share a
// character (the old `\s*["']?\s*` took quadratic time on a long run of spaces — and a SOAP fault
// message is attacker-shaped), names are bounded, and the masks are computed as ranges of the
// text (so a cut long string can never show the first half of a secret).
const USERINFO = /\b([a-z][a-z0-9+.-]{0,31}:\/\/)([^/\s@]+)@/gi;
const BEARER = /\b(Bearer|Basic)(\s+)([A-Za-z0-9._~+/=-]+)/g;
// `name=value`, `name: value`, `"name": "value"` where the name is secret-looking by the same rules
// as a key (isSecretKey: access_token, client_secret, terminalPassword, X-Auth-Token, pwd, …).
// Not after `.`, `/` or `-` or inside a word: `issuer.secret: mode 0644` names a file, it does not
// show a secret. Unquoted values are read 256 characters at a time (VALUE_REST reads on).
// A quoted value (any of them below) runs to the matching unescaped quote of the same kind —
// `"ab'cd"`, `"ab\"cd"` are whole values (review 3 #7) — read at most MAX_QUOTED characters (an
// unclosed quote masks that far: never a secret's tail shown).
// A JSON text quoted again inside a string (`{\"password\":\"…\"}`, an error quoting a body) has
// its quotes escaped: such a value runs to the same escaped quote.
const INLINE = /(?<![\w./-])([A-Za-z][\w-]{0,63})(\s*(?:\\{0,3}["']\s*)?[:=]\s*)(\\{1,3}["']|["']|[^\s"',;&)<>\\]{1,256})/g;
const VALUE_REST = /[^\s"',;&)<>]*/y;
// `"X-Auth-Token","value"` — a header pair serialised as JSON (`[["X-Auth-Token","…"]]`).
const QUOTED_PAIR = /(["'])([A-Za-z][\w-]{0,63})\1\s{0,8},\s{0,8}(["'])/g;
// Natural language: `password 'x'`, `token "x"`, `password is "x"` (a secret word, then a quoted value).
const WORD_QUOTED = /(?<![\w./-])([A-Za-z][\w-]{0,63})(\s{1,8}(?:(?:is|was|are|were|of|set to)\s{1,8})?)(["'])/g;
// `<password>…</password>`, `<ns:terminalPassword attr="…">…</ns:terminalPassword>`: the content is
// everything up to the element's closing tag — text, CDATA sections, comments, entities alike.
const XML_OPEN = /<((?:[A-Za-z][\w.-]{0,63}:)?([A-Za-z][\w.-]{0,63}))(\s[^<>]{0,128})?>/g;
// The same elements entity-escaped once more (a SOAP fault string quoting the request):
// `&lt;password&gt;…&lt;/password&gt;`.
const ENTITY_OPEN = /&lt;((?:[A-Za-z][\w.-]{0,63}:)?([A-Za-z][\w.-]{0,63}))(\s[^<>&]{0,128})?&gt;/g;
// `password%3D…` — a form body or query string URL-encoded inside another (`data=user%3Dx%26password%3D…`,
// `next=%2Fcb%3Ftoken%3D…`): the name after a non-word or an escape (`%26`, `%3F`), the value all
// the characters encodeURIComponent leaves or escapes, up to an encoded `&` (%26).
const ENCODED_INLINE = /(?:(?<=%[0-9A-Fa-f]{2})|(?<![\w./-]))([A-Za-z][\w-]{0,63})%3[Dd]((?:[A-Za-z0-9_.!~*'()+-]|%(?!26)[0-9A-Fa-f]{2}){1,1024})/g;
const MAX_QUOTED = 1024;

/** Index of the quote closing the one at `open` (backslash escapes skipped), or where the read stops. */
function quotedEnd(text: string, open: number): { end: number; closed: boolean } {
  const q = text[open];
  const limit = Math.min(text.length, open + 1 + MAX_QUOTED);
  for (let i = open + 1; i < limit; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === q) return { end: i, closed: true };
  }
  return { end: limit, closed: false };
}

type Range = readonly [start: number, end: number];

/**
 * INLINE's values under secret-looking names. A name that is not secret gives its value back to
 * be scanned again (`failed: password=x` — the value of `failed` holds the secret); unquoted
 * values are read 256 characters at a time, so a chain like `a=b=c=…` costs a bounded re-read per
 * link, not the rest of the text.
 */
function inlineRanges(text: string, out: Range[]): void {
  INLINE.lastIndex = 0;
  for (let m = INLINE.exec(text); m !== null; m = INLINE.exec(text)) {
    const name = m[1]!;
    const value = m[3]!;
    const valueAt = m.index + name.length + m[2]!.length;
    if (!isSecretKey(name)) {
      INLINE.lastIndex = valueAt;
      continue;
    }
    if (value.length > 1 && value.startsWith("\\")) {
      const close = text.indexOf(value, valueAt + value.length);
      const end = close < 0 ? Math.min(text.length, valueAt + value.length + MAX_QUOTED) : close;
      out.push([valueAt + value.length, end]);
      INLINE.lastIndex = end;
      continue;
    }
    if (value === '"' || value === "'") {
      const q = quotedEnd(text, valueAt);
      out.push([valueAt + 1, q.end]);
      INLINE.lastIndex = q.closed ? q.end + 1 : q.end;
      continue;
    }
    VALUE_REST.lastIndex = valueAt + value.length;
    VALUE_REST.exec(text);
    const end = VALUE_REST.lastIndex;
    out.push([valueAt, end]);
    INLINE.lastIndex = end;
  }
}

/** Where the secrets of `text` are (sorted, merged). */
function secretRanges(text: string): Range[] {
  const found: Range[] = [];
  for (const m of text.matchAll(USERINFO)) found.push([m.index + m[1]!.length, m.index + m[1]!.length + m[2]!.length]);
  for (const m of text.matchAll(BEARER)) found.push([m.index + m[1]!.length + m[2]!.length, m.index + m[0].length]);
  inlineRanges(text, found);
  // Each element name's closing tag is searched for once per position passed (a text of unclosed
  // openings stays linear); without one the content runs to the end of the text.
  for (const [open, closing] of [[XML_OPEN, "</"], [ENTITY_OPEN, "&lt;/"]] as const) {
    const closes = new Map<string, number>();
    for (const m of text.matchAll(open)) {
      if (!isSecretKey(m[2]!)) continue;
      const at = m.index + m[0].length;
      let close = closes.get(m[1]!);
      if (close === undefined || (close < at && close !== text.length)) {
        close = text.indexOf(`${closing}${m[1]!}`, at);
        if (close < 0) close = text.length;
        closes.set(m[1]!, close);
      }
      found.push([at, close]);
    }
  }
  for (const m of text.matchAll(ENCODED_INLINE)) {
    if (isSecretKey(m[1]!)) found.push([m.index + m[0].length - m[2]!.length, m.index + m[0].length]);
  }
  for (const re of [QUOTED_PAIR, WORD_QUOTED]) {
    for (const m of text.matchAll(re)) {
      if (!isSecretKey(re === QUOTED_PAIR ? m[2]! : m[1]!)) continue;
      const open = m.index + m[0].length - 1;
      found.push([open + 1, quotedEnd(text, open).end]);
    }
  }
  for (const secret of knownSecrets()) {
    for (let i = text.indexOf(secret); i >= 0; i = text.indexOf(secret, i + secret.length)) found.push([i, i + secret.length]);
  }
  found.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const [start, end] of found) {
    if (end <= start) continue;
    const prev = merged.at(-1);
    if (prev && start <= prev[1]) prev[1] = Math.max(prev[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** `text` up to `cutAt` with every range as `***`; a range that begins before the cut is masked whole. */
function applyRanges(text: string, ranges: readonly Range[], cutAt = text.length): string {
  let out = "";
  let at = 0;
  for (const [start, end] of ranges) {
    if (start >= cutAt) break;
    out += `${text.slice(at, start)}***`;
    at = end;
  }
  return at < cutAt ? out + text.slice(at, cutAt) : out;
}

/** Strings longer than this are cut (after finding the secrets of a window around the cut). */
export const MAX_STRING = 8 * 1024;

/** The scrub of a whole string, however long (linear time); `scrub` cuts long strings. */
export function scrubText(text: string): string {
  return applyRanges(text, secretRanges(text));
}

/**
 * A string with URL userinfo, inline `password=…`, `Bearer …`, secret XML elements and every
 * known secret value masked, cut to MAX_STRING characters: the secrets are found in a window that
 * reaches past the cut, and one that begins before the cut is masked whole.
 */
export function scrub(text: string): string {
  if (text.length <= MAX_STRING) return scrubText(text);
  const window = text.slice(0, MAX_STRING + Math.max(longest, 1024));
  return `${applyRanges(window, secretRanges(window), MAX_STRING)}…[${text.length - MAX_STRING} more characters cut]`;
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
  if (typeof v === "string") rememberSeen(v);
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
        // Header lists: `[["X-Auth-Token", v]]` pairs and Node's flat rawHeaders `[name, v, …]`.
        const secretAfter = (i: number) => i % 2 === 1 && obj.length % 2 === 0 && typeof obj[i - 1] === "string" && isSecretKey(obj[i - 1] as string);
        const items = obj.slice(0, MAX_ITEMS).map((v, i) => (secretAfter(i) ? mask(v) : safeValue(v, seen, depth + 1)));
        return obj.length > MAX_ITEMS ? [...items, `… ${obj.length - MAX_ITEMS} more`] : items;
      }
      const out: Record<string, unknown> = {};
      // A name/value pair (`{ name: "password", value }`, `{ key: "X-Auth-Token", value }`: SOAP
      // parameter lists, header arrays): the value is a secret when its sibling name says so.
      const named = obj as Record<string, unknown>;
      const pairName = [named.name, named.key, named.header, named.field].find((n): n is string => typeof n === "string");
      const secretValue = pairName !== undefined && isSecretKey(pairName);
      for (const [k, v] of Object.entries(obj)) out[k] = isSecretKey(k) || (secretValue && k === "value") ? mask(v) : safeValue(v, seen, depth + 1);
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
