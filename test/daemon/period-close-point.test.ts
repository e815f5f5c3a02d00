// Review 2 of issue 11: `ctl close-period --point 2` (no --scope) must not close the WHOLE SHOP's
// period at Glase (markTransactionPeriod is irreversible). The check must stop it as a usage error
// (exit 2) before any agent is asked; with no agent running, exit 3 proves the check let it through.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exec = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  const bin = join(process.cwd(), "bin/glase-agent.js");
  try {
    const r = await exec(process.execPath, [bin, ...args], { timeout: 20_000 });
    return { code: 0, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stderr?: string };
    return { code: x.code ?? -1, stderr: x.stderr ?? "" };
  }
}

describe("close-period --point without --scope", () => {
  it("is a usage error, not a whole-shop close", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rv11-cp-"));
    try {
      const r = await cli(["ctl", "close-period", "--point", "2", "--socket-dir", dir]);
      expect(r.stderr).toMatch(/--point|--scope/);
      expect(r.code).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
