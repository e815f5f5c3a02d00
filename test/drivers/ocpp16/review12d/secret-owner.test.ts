// Review 12d #7: readPrivateFile (secrets.ts) checks only the mode bits. A charger's password
// file that is 0600 but OWNED BY ANOTHER USER (e.g. the technician's login, or `nobody`, after a
// copy) passes — and that user reads (and rewrites) the AuthorizationKey: anyone who can log in as
// them poses as the charger. OpenSSH's StrictModes refuses the same. Expected: refused unless
// owned by the agent's own user (or root), naming the chown that fixes it.
// FAILS on lead5 (resolves with the password). Needs root (chown), as the sandbox and CI are.
import { chmodSync, chownSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { readPrivateFile } from "../../../../drivers/ocpp16/secrets.ts";

it.skipIf(process.getuid?.() !== 0)("a 0600 password file owned by another user is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rv12d-"));
  const file = join(dir, "cp1.pass");
  writeFileSync(file, "s3cret\n");
  chmodSync(file, 0o600);
  chownSync(file, 65534, 65534); // nobody
  await expect(readPrivateFile(file, "password file of charger CP-1")).rejects.toMatchObject({ code: "CONFIG_INVALID" });
});
