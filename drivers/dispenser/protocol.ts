// The controller line protocol codec (docs/dispenser-protocol.md), shared by the real driver and
// the virtual controller so both sides speak exactly the same bytes. Pure: strings in, typed
// values out. Parsing never throws; a bad line yields a typed error naming what was wrong.
import type { AuthorizeCommand, PointId } from "../../contracts/dispenser.ts";
import { checksumHex } from "./checksum.ts";
import {
  ABSENT,
  escapeText,
  readCode,
  readCurrency,
  readGrade,
  readOptional,
  readPoint,
  readReason,
  readTxid,
  readUint,
  readVersion,
  unescapeText,
} from "./protocol-fields.ts";
import type { PointEvent } from "./point-model.ts";

export const PROTOCOL_VERSION = "1.0";
export const PROTOCOL_MAJOR = 1;
/** Longest line (body + `*XX`, without CR LF) either side accepts. */
export const MAX_LINE = 512;
export const MAX_TAG = 999_999;

export type Verb = "HELLO" | "STATUS" | "PRICES" | "AUTH" | "STOP" | "DISPLAY" | "SALE";
export const VERBS: readonly Verb[] = ["HELLO", "STATUS", "PRICES", "AUTH", "STOP", "DISPLAY", "SALE"];

export type Request =
  | { readonly verb: "HELLO"; readonly version: string }
  | { readonly verb: "STATUS" }
  | { readonly verb: "PRICES" }
  | ({ readonly verb: "AUTH" } & AuthorizeCommand)
  | { readonly verb: "STOP"; readonly point: PointId }
  | { readonly verb: "DISPLAY"; readonly point: PointId; readonly text: string }
  | { readonly verb: "SALE"; readonly transactionId: string };

/** A reply before its fields are decoded (that needs the verb of the request, see protocol-replies.ts). */
export type RawReply = { readonly ok: true; readonly fields: readonly string[] } | { readonly ok: false; readonly code: string; readonly text: string };

export type Frame =
  | { readonly kind: "request"; readonly tag: number; readonly request: Request }
  | { readonly kind: "reply"; readonly tag: number; readonly reply: RawReply }
  | { readonly kind: "notification"; readonly event: PointEvent };

export type ParseErrorKind = "framing" | "checksum" | "syntax";
export interface ParseError {
  readonly kind: ParseErrorKind;
  readonly message: string;
  /** The request tag, when it could be read (so a controller can answer `ERR SYNTAX`). */
  readonly tag?: number;
}
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ParseError };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(kind: ParseErrorKind, message: string, tag?: number): Parsed<T> => ({
  ok: false,
  error: { kind, message, ...(tag !== undefined ? { tag } : {}) },
});

// ---- encoding ----------------------------------------------------------------------------------

/** Appends `*XX` and CR LF to a body. */
export function frameLine(body: string): string {
  return `${body}*${checksumHex(body)}\r\n`;
}

const tagToken = (tag: number): string => `T${tag}`;
const opt = (v: string | number | undefined): string => (v === undefined ? ABSENT : String(v));

export function encodeRequest(tag: number, r: Request): string {
  const t = tagToken(tag);
  switch (r.verb) {
    case "HELLO":
      return frameLine(`${t} HELLO ${r.version}`);
    case "STATUS":
    case "PRICES":
      return frameLine(`${t} ${r.verb}`);
    case "AUTH":
      return frameLine(`${t} AUTH ${r.point} ${r.limitMinor} ${r.currency} ${r.transactionId}${r.gradeId !== undefined ? ` ${r.gradeId}` : ""}`);
    case "STOP":
      return frameLine(`${t} STOP ${r.point}`);
    case "DISPLAY":
      return frameLine(`${t} DISPLAY ${r.point} ${escapeText(r.text)}`);
    case "SALE":
      return frameLine(`${t} SALE ${r.transactionId}`);
  }
}

export function encodeOk(tag: number, fields: readonly string[] = []): string {
  return frameLine([tagToken(tag), "OK", ...fields].join(" "));
}

export function encodeErr(tag: number, code: string, text: string): string {
  return frameLine(`${tagToken(tag)} ERR ${code} ${escapeText(text)}`);
}

export function encodeNotification(e: PointEvent): string {
  switch (e.type) {
    case "call":
      return frameLine(`*CALL ${e.point} ${opt(e.presetMinor)} ${opt(e.gradeId)}`);
    case "nozzle":
      return frameLine(`*NOZZLE ${e.point} ${e.up ? "U" : "D"} ${opt(e.gradeId)}`);
    case "progress":
      return frameLine(`*PROGRESS ${e.point} ${e.transactionId} ${e.milli} ${e.amountMinor}`);
    case "end":
      return frameLine(`*END ${e.point} ${e.transactionId} ${e.gradeId} ${e.milli} ${e.amountMinor} ${e.unitPriceMinor} ${e.reason}`);
    case "fault":
      return frameLine(`*FAULT ${opt(e.point ?? undefined)} ${e.code} ${opt(e.transactionId)} ${escapeText(e.message)}`);
  }
}

// ---- parsing -----------------------------------------------------------------------------------

/**
 * Parses one line (with or without its CR LF / LF). Checks, in order: length, charset,
 * checksum, then the grammar of the tag, verb and fields.
 */
export function parseLine(raw: string): Parsed<Frame> {
  const line = raw.endsWith("\r\n") ? raw.slice(0, -2) : raw.endsWith("\n") || raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line.length === 0) return fail("framing", "empty line");
  if (line.length > MAX_LINE) return fail("framing", `line longer than ${MAX_LINE} characters (${line.length})`);
  if (!/^[ -~]*$/.test(line)) return fail("framing", "line contains a byte outside printable ASCII");
  const star = line.lastIndexOf("*");
  if (star <= 0 || star !== line.length - 3) return fail("framing", "line does not end with *XX checksum");
  const body = line.slice(0, star);
  const given = line.slice(star + 1);
  if (!/^[0-9A-F]{2}$/.test(given)) return fail("framing", `checksum ${JSON.stringify(given)} is not two upper-case hex digits`);
  const expected = checksumHex(body);
  if (given !== expected) return fail("checksum", `checksum ${given} does not match body (expected ${expected})`);
  if (body.includes("  ") || body.endsWith(" ") || body.startsWith(" ")) return fail("syntax", "fields must be separated by single spaces");
  const tokens = body.split(" ");
  if (body.startsWith("*")) return parseNotification(body.slice(1).split(" "));
  const head = tokens[0]!;
  const tagMatch = /^T(0|[1-9]\d{0,5})$/.exec(head);
  if (!tagMatch) return fail("syntax", `line starts with ${JSON.stringify(head.slice(0, 12))}, expected a tag T<n> or * (notification)`);
  const tag = Number(tagMatch[1]);
  const kw = tokens[1];
  if (kw === "OK") return ok({ kind: "reply", tag, reply: { ok: true, fields: tokens.slice(2) } });
  if (kw === "ERR") {
    const code = readCode(tokens[2]);
    const text = tokens.length === 4 ? unescapeText(tokens[3]) : tokens.length === 3 ? "" : undefined;
    if (code === undefined || text === undefined) return fail("syntax", "ERR reply needs a code and an optional escaped text", tag);
    return ok({ kind: "reply", tag, reply: { ok: false, code, text } });
  }
  const request = parseRequest(kw, tokens.slice(2));
  if (!request.ok) return fail("syntax", request.error.message, tag);
  return ok({ kind: "request", tag, request: request.value });
}

function arity<T>(name: string, args: readonly string[], min: number, max: number, build: () => Parsed<T>): Parsed<T> {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : `${min}..${max}`;
    return fail("syntax", `${name} takes ${want} fields, got ${args.length}`);
  }
  return build();
}

function parseRequest(verb: string | undefined, a: readonly string[]): Parsed<Request> {
  switch (verb) {
    case "HELLO":
      return arity(verb, a, 1, 1, () => (readVersion(a[0]) ? ok({ verb, version: a[0]! }) : fail("syntax", "HELLO version must be <major>.<minor>")));
    case "STATUS":
    case "PRICES":
      return arity(verb, a, 0, 0, () => ok({ verb }));
    case "AUTH":
      return arity(verb, a, 4, 5, () => {
        const point = readPoint(a[0]);
        const limitMinor = readUint(a[1]);
        const currency = readCurrency(a[2]);
        const transactionId = readTxid(a[3]);
        const gradeId = a[4] === undefined ? undefined : readGrade(a[4]);
        if (point === undefined) return fail("syntax", "AUTH point must be 1..999");
        if (limitMinor === undefined) return fail("syntax", "AUTH limit must be an unsigned integer of minor units");
        if (currency === undefined) return fail("syntax", "AUTH currency must be three upper-case letters");
        if (transactionId === undefined) return fail("syntax", "AUTH transaction id must be 1..64 of [A-Za-z0-9._:-]");
        if (a[4] !== undefined && gradeId === undefined) return fail("syntax", "AUTH grade must be 1..16 of [A-Za-z0-9_]");
        return ok({ verb, point, limitMinor, currency, transactionId, ...(gradeId !== undefined ? { gradeId } : {}) });
      });
    case "STOP":
      return arity(verb, a, 1, 1, () => {
        const point = readPoint(a[0]);
        return point === undefined ? fail("syntax", "STOP point must be 1..999") : ok({ verb, point });
      });
    case "DISPLAY":
      return arity(verb, a, 2, 2, () => {
        const point = readPoint(a[0]);
        const text = unescapeText(a[1]);
        if (point === undefined) return fail("syntax", "DISPLAY point must be 1..999");
        if (text === undefined) return fail("syntax", "DISPLAY text is not a valid escaped text");
        return ok({ verb, point, text });
      });
    case "SALE":
      return arity(verb, a, 1, 1, () => {
        const transactionId = readTxid(a[0]);
        return transactionId === undefined ? fail("syntax", "SALE transaction id must be 1..64 of [A-Za-z0-9._:-]") : ok({ verb, transactionId });
      });
    default:
      return fail("syntax", `unknown command ${JSON.stringify((verb ?? "").slice(0, 16))}`);
  }
}

function parseNotification(t: readonly string[]): Parsed<Frame> {
  const [name, ...a] = t;
  const note = (event: PointEvent): Parsed<Frame> => ok({ kind: "notification", event });
  switch (name) {
    case "CALL":
      return arity(name, a, 3, 3, () => {
        const point = readPoint(a[0]);
        const presetMinor = readOptional(a[1], readUint);
        const gradeId = readOptional(a[2], readGrade);
        if (point === undefined || presetMinor === null || gradeId === null) return fail("syntax", "CALL needs <point> <preset|-> <grade|->");
        return note({ type: "call", point, ...(presetMinor !== undefined ? { presetMinor } : {}), ...(gradeId !== undefined ? { gradeId } : {}) });
      });
    case "NOZZLE":
      return arity(name, a, 3, 3, () => {
        const point = readPoint(a[0]);
        const gradeId = readOptional(a[2], readGrade);
        if (point === undefined || (a[1] !== "U" && a[1] !== "D") || gradeId === null) return fail("syntax", "NOZZLE needs <point> <U|D> <grade|->");
        return note({ type: "nozzle", point, up: a[1] === "U", ...(gradeId !== undefined ? { gradeId } : {}) });
      });
    case "PROGRESS":
      return arity(name, a, 4, 4, () => {
        const point = readPoint(a[0]);
        const transactionId = readTxid(a[1]);
        const milli = readUint(a[2]);
        const amountMinor = readUint(a[3]);
        if (point === undefined || transactionId === undefined || milli === undefined || amountMinor === undefined) {
          return fail("syntax", "PROGRESS needs <point> <txid> <milli> <amount>");
        }
        return note({ type: "progress", point, transactionId, milli, amountMinor });
      });
    case "END":
      return arity(name, a, 7, 7, () => {
        const point = readPoint(a[0]);
        const transactionId = readTxid(a[1]);
        const gradeId = readGrade(a[2]);
        const milli = readUint(a[3]);
        const amountMinor = readUint(a[4]);
        const unitPriceMinor = readUint(a[5]);
        const reason = readReason(a[6]);
        if (
          point === undefined ||
          transactionId === undefined ||
          gradeId === undefined ||
          milli === undefined ||
          amountMinor === undefined ||
          unitPriceMinor === undefined ||
          reason === undefined
        ) {
          return fail("syntax", "END needs <point> <txid> <grade> <milli> <amount> <unit price> <reason>");
        }
        return note({ type: "end", point, transactionId, gradeId, milli, amountMinor, unitPriceMinor, reason });
      });
    case "FAULT":
      return arity(name, a, 4, 4, () => {
        const point = readOptional(a[0], readPoint);
        const code = readCode(a[1]);
        const transactionId = readOptional(a[2], readTxid);
        const message = unescapeText(a[3]);
        if (point === null || code === undefined || transactionId === null || message === undefined) {
          return fail("syntax", "FAULT needs <point|-> <code> <txid|-> <text>");
        }
        return note({ type: "fault", point: point ?? null, code, message, ...(transactionId !== undefined ? { transactionId } : {}) });
      });
    default:
      return fail("syntax", `unknown notification ${JSON.stringify((name ?? "").slice(0, 16))}`);
  }
}
