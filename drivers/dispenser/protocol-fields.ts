// Field-level grammar of the controller protocol (docs/dispenser-protocol.md §3): what a point
// number, an amount, a transaction id, a grade id or an escaped text token may look like.
// Readers return undefined for anything that does not match, so the frame parser can name the
// offending field; nothing here throws.
import type { DeliveryEndReason, PointState, QuantityUnit } from "../../contracts/dispenser.ts";

/** Written in place of an absent optional field. */
export const ABSENT = "-";

const POINT = /^[1-9]\d{0,2}$/;
const UINT = /^(0|[1-9]\d{0,14})$/;
const TXID = /^[A-Za-z0-9._:-]{1,64}$/;
const GRADE = /^[A-Za-z0-9_]{1,16}$/;
const CURRENCY = /^[A-Z]{3}$/;
const CODE = /^[A-Z][A-Z0-9_]{0,15}$/;
const VERSION = /^(\d{1,3})\.(\d{1,3})$/;
const FIRMWARE = /^[A-Za-z0-9._:+-]{1,32}$/;

export const REASONS: readonly DeliveryEndReason[] = ["nozzle-down", "limit", "stopped", "stall", "fault"];
export const STATES: readonly PointState[] = ["idle", "calling", "authorized", "delivering", "finished", "fault", "offline"];
export const UNITS: readonly QuantityUnit[] = ["L", "kWh"];

export const readPoint = (t: string | undefined): number | undefined => (t !== undefined && POINT.test(t) ? Number(t) : undefined);
export const readUint = (t: string | undefined): number | undefined => (t !== undefined && UINT.test(t) ? Number(t) : undefined);
export const readTxid = (t: string | undefined): string | undefined => (t !== undefined && t !== ABSENT && TXID.test(t) ? t : undefined);
export const readGrade = (t: string | undefined): string | undefined => (t !== undefined && GRADE.test(t) ? t : undefined);
export const readCurrency = (t: string | undefined): string | undefined => (t !== undefined && CURRENCY.test(t) ? t : undefined);
export const readCode = (t: string | undefined): string | undefined => (t !== undefined && CODE.test(t) ? t : undefined);
export const readFirmware = (t: string | undefined): string | undefined => (t !== undefined && FIRMWARE.test(t) ? t : undefined);
export const readReason = (t: string | undefined): DeliveryEndReason | undefined => REASONS.find((r) => r === t);
export const readState = (t: string | undefined): PointState | undefined => STATES.find((s) => s === t);
export const readUnit = (t: string | undefined): QuantityUnit | undefined => UNITS.find((u) => u === t);

export function readVersion(t: string | undefined): { major: number; minor: number } | undefined {
  const m = t === undefined ? null : VERSION.exec(t);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export const isTxid = (t: string): boolean => readTxid(t) !== undefined;
export const isGrade = (t: string): boolean => GRADE.test(t);

/** Optional field: `-` means absent; anything else must parse. `null` = present but invalid. */
export function readOptional<T>(t: string | undefined, read: (t: string) => T | undefined): T | undefined | null {
  if (t === undefined || t === ABSENT) return undefined;
  const v = read(t);
  return v === undefined ? null : v;
}

// ---- text ------------------------------------------------------------------------------------
// A text field is one token: printable ASCII except space, `%`, `*` and `,` stands for itself;
// every other byte of the UTF-8 encoding is `%XX` (upper-case hex). The empty text is `-`,
// so a text that is exactly "-" is written `%2D`.

const LITERAL = /^[!-~]$/;
const MUST_ESCAPE = new Set(["%", "*", ","]);

export function escapeText(text: string): string {
  if (text === "") return ABSENT;
  if (text === ABSENT) return "%2D";
  let out = "";
  for (const ch of text) {
    if (LITERAL.test(ch) && !MUST_ESCAPE.has(ch)) out += ch;
    else for (const b of Buffer.from(ch, "utf8")) out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** undefined when the token is not a valid escaped text (stray `%`, bad hex, invalid UTF-8). */
export function unescapeText(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  if (token === ABSENT) return "";
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const ch = token[i]!;
    if (ch === "%") {
      const hex = token.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (LITERAL.test(ch) && !MUST_ESCAPE.has(ch)) bytes.push(ch.charCodeAt(0));
    else return undefined;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}
