// HTTP Digest authentication (RFC 7616, RFC 2617 compatible) as the PTS-2 web server asks for it
// (realm "Pts2WebServer", qop=auth, MD5): parse the challenge, answer it, count nonces. Pure apart
// from the random client nonce, which callers may pass in (tests use the RFC's example values).
import { createHash, randomBytes } from "node:crypto";

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly qop?: string;
  readonly opaque?: string;
  readonly algorithm: "MD5" | "MD5-sess" | "SHA-256" | "SHA-256-sess";
  readonly stale: boolean;
}

/** Splits `Digest realm="x", nonce="y", qop="auth"` into lower-cased keys and unquoted values. */
export function parseAuthParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!);
  return out;
}

/** The Digest challenge among a WWW-Authenticate header's challenges, if there is one we can answer. */
export function parseDigestChallenge(header: string | readonly string[] | undefined): DigestChallenge | undefined {
  const values = header === undefined ? [] : typeof header === "string" ? [header] : header;
  for (const value of values) {
    const at = value.search(/\bDigest\s/i);
    if (at < 0) continue;
    const params = parseAuthParams(value.slice(at + 6));
    const realm = params.get("realm");
    const nonce = params.get("nonce");
    if (realm === undefined || nonce === undefined) continue;
    const algorithm = (params.get("algorithm") ?? "MD5").toUpperCase();
    if (algorithm !== "MD5" && algorithm !== "MD5-SESS" && algorithm !== "SHA-256" && algorithm !== "SHA-256-SESS") continue;
    const qops = (params.get("qop") ?? "").split(",").map((q) => q.trim());
    if (params.has("qop") && !qops.includes("auth")) continue; // auth-int only: cannot answer
    return {
      realm,
      nonce,
      ...(params.has("qop") ? { qop: "auth" } : {}),
      ...(params.has("opaque") ? { opaque: params.get("opaque")! } : {}),
      algorithm: (algorithm === "MD5-SESS" ? "MD5-sess" : algorithm === "SHA-256-SESS" ? "SHA-256-sess" : algorithm) as DigestChallenge["algorithm"],
      stale: params.get("stale")?.toLowerCase() === "true",
    };
  }
  return undefined;
}

function hash(algorithm: DigestChallenge["algorithm"], text: string): string {
  return createHash(algorithm.startsWith("SHA-256") ? "sha256" : "md5").update(text, "utf8").digest("hex");
}

export interface DigestAnswer {
  readonly method: string;
  readonly uri: string;
  readonly user: string;
  readonly password: string;
  /** Nonce count of this use of the nonce, 1 for the first. */
  readonly nc: number;
  readonly cnonce?: string;
}

/** The `response` value of a Digest Authorization for this challenge and request. */
export function digestResponse(ch: DigestChallenge, a: DigestAnswer, cnonce: string): string {
  const nc = a.nc.toString(16).padStart(8, "0");
  let ha1 = hash(ch.algorithm, `${a.user}:${ch.realm}:${a.password}`);
  if (ch.algorithm.endsWith("-sess")) ha1 = hash(ch.algorithm, `${ha1}:${ch.nonce}:${cnonce}`);
  const ha2 = hash(ch.algorithm, `${a.method}:${a.uri}`);
  return ch.qop ? hash(ch.algorithm, `${ha1}:${ch.nonce}:${nc}:${cnonce}:${ch.qop}:${ha2}`) : hash(ch.algorithm, `${ha1}:${ch.nonce}:${ha2}`);
}

/** The Authorization header value answering the challenge. */
export function digestAuthorization(ch: DigestChallenge, a: DigestAnswer): string {
  const cnonce = a.cnonce ?? randomBytes(8).toString("hex");
  const nc = a.nc.toString(16).padStart(8, "0");
  const q = (s: string) => `"${s.replace(/(["\\])/g, "\\$1")}"`;
  const parts = [
    `username=${q(a.user)}`,
    `realm=${q(ch.realm)}`,
    `nonce=${q(ch.nonce)}`,
    `uri=${q(a.uri)}`,
    `response=${q(digestResponse(ch, a, cnonce))}`,
    `algorithm=${ch.algorithm}`,
  ];
  if (ch.qop) parts.push(`qop=${ch.qop}`, `nc=${nc}`, `cnonce=${q(cnonce)}`);
  if (ch.opaque !== undefined) parts.push(`opaque=${q(ch.opaque)}`);
  return `Digest ${parts.join(", ")}`;
}
