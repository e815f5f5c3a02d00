// The scrub of free text: every secret in a string (URL userinfo, `password=…`, `Bearer …`, secret
// XML elements, the known secret values) masked in linear time, long strings cut. Apart from the
// walk over a value (redact.ts) because error messages and stacks are text of any shape.
import { isSecretKey } from "./secret-keys.ts";
import { knownSecrets, longestSecret } from "./secret-values.ts";

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
  const window = text.slice(0, MAX_STRING + Math.max(longestSecret(), 1024));
  return `${applyRanges(window, secretRanges(window), MAX_STRING)}…[${text.length - MAX_STRING} more characters cut]`;
}
