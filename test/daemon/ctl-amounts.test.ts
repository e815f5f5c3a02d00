// Review 2 of issue 11 (#7): a refund or an invoice of 0 or less is a usage error (exit 2) in the
// CLI, never a request sent to the agent (which could only refuse it, exit 1).
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exec = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const r = await exec(process.execPath, [join(process.cwd(), "bin/glase-agent.js"), ...args], { timeout: 20_000 });
    return { code: 0, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stderr?: string };
    return { code: x.code ?? -1, stderr: x.stderr ?? "" };
  }
}

describe("ctl amounts", () => {
  it("refund 0, refund -5 and issue-invoice 0 are usage errors naming AMOUNT", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ctl-amounts-"));
    try {
      const runs = await Promise.all([
        cli(["ctl", "refund", "E1", "0", "--socket-dir", dir]),
        cli(["ctl", "refund", "--socket-dir", dir, "E1", "--", "-5"]),
        cli(["ctl", "issue-invoice", "0.00", "coffee", "ref-1", "--socket-dir", dir]),
      ]);
      for (const r of runs) {
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain("AMOUNT: expected more than 0");
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
