// The driver's secrets on disk: chargers' Basic-auth passwords and the TLS private key. Read
// through the one secret-file check of the agent (base/io/secret-file.ts): not through a link,
// checked on the open descriptor — a regular file, owned by the agent's user or root, mode 0600.
// A leaked (or rewritable) AuthorizationKey lets anyone pose as that charger.
import { readSecretText } from "../../base/io/secret-file.ts";

/** Reads a secret file; `trim` drops surrounding whitespace (passwords), not for PEM keys. */
export function readPrivateFile(path: string, what: string, trim = true): Promise<string> {
  return readSecretText(path, what, { trim });
}
