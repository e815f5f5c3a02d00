// The signed JWT inside an Invoice Service QR code (contract §7.4). HS256 with the raw 32-byte
// SHA-256 digest of the issuer secret as the key; header `{"alg":"HS256","typ":"JWT","iss":…}`
// in exactly that key order (the documented signature depends on the serialised bytes).
// Signing is the issuer's (agent's) side, verification the simulator's; both share the field
// rules so an invoice the agent can issue is one the service accepts.
import { createHash, createHmac } from "node:crypto";
import { AgentError } from "../../base/errors.ts";
import { formatMinor, parseMinor } from "../../base/money.ts";
import { constantTimeEqual } from "./token.ts";

/** The invoice as the program sees it: money in integer minor units. */
export interface InvoiceClaims {
  readonly description: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly reference: string;
  readonly payOnce: boolean;
}

/** Wire payload: every field is a string (§7.4). Key order is the documented one. */
export interface InvoicePayload {
  readonly a: string;
  readonly c: string;
  readonly d: string;
  readonly r: string;
  readonly o: "true" | "false";
}

export type JwtField = "jwt" | "header" | "alg" | "iss" | "signature" | "payload" | "d" | "a" | "c" | "r" | "o";

export type JwtVerdict =
  | { readonly ok: true; readonly issuer: string; readonly payload: InvoicePayload; readonly claims: InvoiceClaims }
  | { readonly ok: false; readonly field: JwtField; readonly reason: string };

export const DESCRIPTION_MAX = 50;
export const REFERENCE_MAX = 30;
// Letters, digits, whitespace and ( ) - / , . ' " — the documented set for `d` and `r`.
const TEXT_CHARS = /^[\p{L}\p{Nd}\s()\-/,.'"]+$/u;
const AMOUNT = /^\d{1,13}(\.\d{1,2})?$/;
const CURRENCY = /^[A-Z]{3}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

type FieldCheck = { ok: true } | { ok: false; field: JwtField; reason: string };

function checkText(field: "d" | "r", value: unknown, max: number): FieldCheck {
  if (typeof value !== "string") return { ok: false, field, reason: `${field} must be a string` };
  const length = [...value].length;
  if (length === 0) return { ok: false, field, reason: `${field} must not be empty` };
  if (length > max) return { ok: false, field, reason: `${field} is ${length} characters, at most ${max} allowed` };
  if (!TEXT_CHARS.test(value)) {
    return { ok: false, field, reason: `${field} has a character outside letters, digits, whitespace and ( ) - / , . ' "` };
  }
  return { ok: true };
}

/** Applies the §7.4 field rules to a decoded payload object. */
export function validatePayload(value: unknown): { ok: true; payload: InvoicePayload; claims: InvoiceClaims } | { ok: false; field: JwtField; reason: string } {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, field: "payload", reason: "payload is not a JSON object" };
  }
  const p = value as Record<string, unknown>;
  for (const check of [checkText("d", p.d, DESCRIPTION_MAX), checkText("r", p.r, REFERENCE_MAX)]) {
    if (!check.ok) return check;
  }
  if (typeof p.a !== "string" || !AMOUNT.test(p.a)) {
    return { ok: false, field: "a", reason: "a must be a decimal string with at most 2 decimals, e.g. \"29.99\"" };
  }
  const amountMinor = parseMinor(p.a);
  if (amountMinor <= 0) return { ok: false, field: "a", reason: "a must be greater than zero" };
  if (typeof p.c !== "string" || !CURRENCY.test(p.c)) {
    return { ok: false, field: "c", reason: "c must be a 3-letter upper-case currency code" };
  }
  // `o` defaults to "false" (§7.4); anything but the two literal strings is an error.
  const o = p.o === undefined ? "false" : p.o;
  if (o !== "true" && o !== "false") return { ok: false, field: "o", reason: 'o must be "true" or "false"' };
  const d = p.d as string;
  const r = p.r as string;
  return {
    ok: true,
    payload: { a: p.a, c: p.c, d, r, o },
    claims: { description: d, amountMinor, currency: p.c, reference: r, payOnce: o === "true" },
  };
}

/** Builds the wire payload from claims, rejecting what the service would reject. */
export function payloadOf(claims: InvoiceClaims): InvoicePayload {
  if (!Number.isSafeInteger(claims.amountMinor)) {
    throw new AgentError("INPUT_INVALID", `invalid invoice: amount must be integer minor units, got ${claims.amountMinor}`, { field: "a" });
  }
  const payload = {
    a: formatMinor(claims.amountMinor),
    c: claims.currency,
    d: claims.description,
    r: claims.reference,
    o: claims.payOnce ? "true" : "false",
  } as const;
  const verdict = validatePayload(payload);
  if (!verdict.ok) throw new AgentError("INPUT_INVALID", `invalid invoice: ${verdict.reason}`, { field: verdict.field });
  return verdict.payload;
}

function hmacKey(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

function sign(signingInput: string, secret: string): string {
  return createHmac("sha256", hmacKey(secret)).update(signingInput, "ascii").digest("base64url");
}

const b64 = (json: string) => Buffer.from(json, "utf8").toString("base64url");

/** Signs an invoice payload; payload key order a, c, d, r, o as in the documented example. */
export function signInvoiceJwt(issuer: string, secret: string, payload: InvoicePayload): string {
  if (issuer.length === 0) throw new AgentError("INPUT_INVALID", "issuer name must not be empty", { field: "iss" });
  const header = b64(JSON.stringify({ alg: "HS256", typ: "JWT", iss: issuer }));
  const body = b64(JSON.stringify({ a: payload.a, c: payload.c, d: payload.d, r: payload.r, o: payload.o }));
  return `${header}.${body}.${sign(`${header}.${body}`, secret)}`;
}

function decodeSegment(segment: string): unknown {
  if (!BASE64URL.test(segment)) return undefined;
  try {
    return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Verifies a JWT: structure, header, issuer (via `secretOf`, undefined = unknown issuer),
 * signature, then the payload field rules. The first failure is returned, naming its field.
 */
export function verifyInvoiceJwt(jwt: string, secretOf: (issuer: string) => string | undefined): JwtVerdict {
  const parts = jwt.split(".");
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) {
    return { ok: false, field: "jwt", reason: "a JWT has three non-empty dot-separated parts" };
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeSegment(headerPart);
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    return { ok: false, field: "header", reason: "header is not base64url-encoded JSON object" };
  }
  const h = header as Record<string, unknown>;
  if (h.alg !== "HS256") return { ok: false, field: "alg", reason: `alg must be HS256, got ${JSON.stringify(h.alg)}` };
  if (h.typ !== undefined && h.typ !== "JWT") return { ok: false, field: "header", reason: 'typ must be "JWT"' };
  if (typeof h.iss !== "string" || h.iss.length === 0) return { ok: false, field: "iss", reason: "header has no issuer (iss)" };
  const secret = secretOf(h.iss);
  if (secret === undefined) return { ok: false, field: "iss", reason: `unknown issuer ${JSON.stringify(h.iss)}` };
  if (!BASE64URL.test(signaturePart) || !constantTimeEqual(signaturePart, sign(`${headerPart}.${payloadPart}`, secret))) {
    return { ok: false, field: "signature", reason: "signature does not match the issuer's secret" };
  }
  const payload = decodeSegment(payloadPart);
  if (payload === undefined) return { ok: false, field: "payload", reason: "payload is not base64url-encoded JSON" };
  const verdict = validatePayload(payload);
  if (!verdict.ok) return verdict;
  return { ok: true, issuer: h.iss, payload: verdict.payload, claims: verdict.claims };
}
