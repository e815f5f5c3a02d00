// Which keys name a secret (`password`, `apiKey`, `X-Auth-Token`, …) and which only look like it
// (`secretFile`, `sortKey`, `tokens`). Its own file because two things ask it: the walk over a
// log line's fields (redact.ts) and the scan of free text for `name=value` (scrub.ts).

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
