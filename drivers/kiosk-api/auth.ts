// The bearer token a kiosk app presents, read from a file that only the agent's user may read
// (0600; a wider mode is refused at start, like any secret file of the agent). The comparison is
// constant-time: both sides are hashed to 32 bytes and compared with timingSafeEqual, so neither
// the token's content nor its length leaks through response timing.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { AgentError } from "../../base/errors.ts";

export const MIN_TOKEN_LENGTH = 16;

export async function loadToken(path: string): Promise<Buffer> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw new AgentError("CONFIG_INVALID", `kiosk API token file ${path} cannot be read: ${(err as Error).message}`, { path }, { cause: err });
  }
  if (!st.isFile()) throw new AgentError("CONFIG_INVALID", `kiosk API token file ${path} is not a regular file`, { path });
  if ((st.mode & 0o077) !== 0) {
    throw new AgentError("CONFIG_INVALID", `kiosk API token file ${path} has mode ${(st.mode & 0o777).toString(8)}; it must be 0600 (chmod 600 ${path})`, { path });
  }
  const token = (await readFile(path, "utf8")).trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new AgentError("CONFIG_INVALID", `kiosk API token in ${path} must be one word of at least ${MIN_TOKEN_LENGTH} characters`, { path });
  }
  return digest(token);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** True when the Authorization header carries exactly this token as a Bearer credential. */
export function authorized(header: string | undefined, tokenDigest: Buffer): boolean {
  const m = /^Bearer ([\x21-\x7e]+)$/i.exec(header ?? "");
  // Hash even a missing credential, so every answer costs the same.
  return timingSafeEqual(digest(m?.[1] ?? ""), tokenDigest) && m !== null;
}
