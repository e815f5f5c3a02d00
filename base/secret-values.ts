// The known secret values. Its own file because three parts share it: redact.ts adds what it
// sees, scrub.ts masks them in text, and the agent registers its credentials (through log.ts).

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
export function rememberSeen(value: string): void {
  if (value.length < 4 || pinned.has(value)) return;
  if (seenSecrets.delete(value)) {
    seenSecrets.add(value); // most recent again
    return;
  }
  if (seenSecrets.size >= MAX_SEEN) seenSecrets.delete(seenSecrets.values().next().value!);
  seenSecrets.add(value);
  noteLength(value);
}

export function knownSecrets(): string[] {
  ordered ??= [...pinned, ...seenSecrets].sort((a, b) => b.length - a.length);
  return ordered;
}

/** The longest secret known: how far past a cut a long string must still be searched. */
export function longestSecret(): number {
  return longest;
}
