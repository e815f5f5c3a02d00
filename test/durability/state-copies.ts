// Reading the copies of a state directory the power-cut tests take: its files, a fingerprint to
// start the agent once per distinct state, and every password-bearing record in it.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { isTemporary } from "./discipline.ts";

export async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

/** Names and contents of every file; the helper's temporaries left out unless `withTemporaries`. */
export async function fingerprint(dir: string, withTemporaries: boolean): Promise<string> {
  const h = createHash("sha256");
  for (const f of (await listFiles(dir)).sort()) {
    if (!withTemporaries && isTemporary(f)) continue;
    h.update(relative(dir, f)).update("\0").update(await readFile(f)).update("\0");
  }
  return h.digest("hex");
}

/** Every password-bearing record in a copy: credentials, pending registrations, orphans. */
export async function records(dir: string): Promise<Array<{ terminalId?: string; externalTerminalId?: string; password?: string }>> {
  const out = [];
  for (const f of await listFiles(join(dir, "terminals"))) {
    try {
      const j = JSON.parse(await readFile(f, "utf8"));
      out.push(j.record ?? j);
    } catch {
      // empty or torn: holds nothing
    }
  }
  return out;
}
