// The walk that makes any value safe to log: a JSON-safe copy with every value under a secret key
// masked (and remembered), every string scrubbed, errors kept whole, cycles and odd types never
// throwing. Apart from the logger (log.ts) because the admin audit trail redacts before storing.
import { AgentError } from "./errors.ts";
import { scrub } from "./scrub.ts";
import { isSecretKey } from "./secret-keys.ts";
import { rememberSeen } from "./secret-values.ts";

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
