// The unit file's hardening is measured by systemd itself, not asserted line by line.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const UNIT = "systemd/glase-agent.service";
const analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => existsSync(p));

describe("systemd/glase-agent.service", () => {
  it.skipIf(!analyze)("rates exposure ≤ 2.5 in systemd-analyze security (skipped: systemd-analyze not installed)", async () => {
    const { stdout } = await run(analyze!, ["security", "--offline=true", "--no-pager", UNIT], { env: { ...process.env, SYSTEMD_COLORS: "0" } });
    const m = /Overall exposure level for glase-agent\.service:\s*([\d.]+)/.exec(stdout);
    expect(m, stdout.slice(-500)).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2.5);
  });

  it.skipIf(!analyze)("passes systemd-analyze verify syntax checks for the settings we use (skipped: no systemd-analyze)", async () => {
    // `verify` also checks ExecStart's binary exists, which it does not on a dev box: only fail
    // on unknown keys / bad values in our sections.
    const r = await run(analyze!, ["verify", UNIT]).catch((e: { stderr: string }) => e);
    expect(r.stderr).not.toMatch(/Unknown key|Failed to parse|Invalid/i);
  });

  it("is a notify service with watchdog, restart, stop bound and the directories the agent uses", async () => {
    const text = await readFile(UNIT, "utf8");
    for (const line of [
      "Type=notify",
      "NotifyAccess=main",
      "Restart=on-failure",
      "StateDirectory=glase-agent",
      "RuntimeDirectory=glase-agent",
      "ConfigurationDirectory=glase-agent",
      "SupplementaryGroups=dialout plugdev",
    ]) {
      expect(text.split("\n")).toContain(line);
    }
    expect(text).toMatch(/^WatchdogSec=\d+s$/m);
    expect(text).toMatch(/^TimeoutStopSec=\d+s$/m);
  });
});
