// `glase-agent ctl …` and the terminal commands as real child processes against socket servers
// in this process backed by a TestStation.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSocketServers, type SocketServers } from "../../agent/daemon/sockets/server.ts";
import { createLogger } from "../../agent/log.ts";
import { TestStation } from "./test-station.ts";

const exec = promisify(execFile);
let dir: string;
let runDir: string;
let station: TestStation;
let servers: SocketServers;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-ctl-"));
  runDir = join(dir, "run");
  station = new TestStation();
  servers = await startSocketServers({ dir: runDir, control: station, logger: createLogger("test") });
});
afterAll(async () => {
  await servers.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec("node", ["bin/glase-agent.js", ...args], { cwd: process.cwd() });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e: any) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const ctl = (...args: string[]) => cli("ctl", ...args, "--socket-dir", runDir);

describe("glase-agent ctl", () => {
  it("prints human tables and --json", async () => {
    const points = await ctl("points");
    expect(points.code).toBe(0);
    expect(points.stdout).toMatch(/^POINT\s+KIND\s+STATE\s+AMOUNT\s+VOLUME/m);
    expect(points.stdout).toMatch(/^1\s+fuel\s+delivering\s+123\.45\s+6\.500 L/m);
    const json = JSON.parse((await ctl("points", "--json")).stdout);
    expect(json).toEqual(station.pointList);
    const status = await ctl("status");
    expect(status.stdout).toContain("station:   Test station");
    expect(status.stdout).toMatch(/printer\s+virtual\s+degraded/);
    expect((await ctl("flows", "--all")).stdout).toContain("settling (PARKED)");
    expect((await ctl("alarms")).stdout).toContain("settlement-parked");
    expect((await ctl("journal", "-n", "2")).stdout.trim().split("\n")).toHaveLength(3);
    expect((await ctl("receipts")).stdout).toMatch(/E0\s+50\.00 SEK/);
  }, 120_000);

  it("runs admin commands and reports failures with exit 1 and the error code", async () => {
    const refund = await ctl("refund", "E0", "12.50");
    expect(refund.code).toBe(0);
    expect(refund.stdout).toContain("refundErsReference: R-E0");
    expect(station.calls.at(-1)).toEqual({ cmd: "refund", args: { ersReference: "E0", amountMinor: 1250 } });
    const bad = await ctl("reprint", "nope");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("NOT_FOUND: no receipt for nope");
    const usage = await ctl("refund", "E0");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("expected 2 argument(s)");
    const amount = await ctl("refund", "E0", "1.234");
    expect(amount.code).toBe(2);
    expect(amount.stderr).toContain("more than two decimals");
  }, 120_000);

  it("has --help on every level", async () => {
    expect((await cli("--help")).stdout).toContain("ctl");
    expect((await cli("ctl", "--help")).stdout).toContain("close-period");
    for (const sub of ["status", "points", "flows", "refund", "close-period", "resolve", "top", "watch", "resume-point", "export"]) {
      const r = await cli("ctl", sub, "--help");
      expect(r.code, sub).toBe(0);
      expect(r.stdout, sub).toMatch(/^Usage: glase-agent ctl /);
    }
    for (const cmd of ["register", "unregister", "assign-id", "config", "doctor", "restore"]) {
      expect((await cli(cmd, "--help")).stdout).toMatch(/^Usage: glase-agent /);
    }
  }, 180_000);

  it("a missing agent gives a clear hint and exit status 3", async () => {
    const r = await cli("ctl", "status", "--socket-dir", join(dir, "nothing-here"));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("is the agent running?");
  });

  it("top, piped (not a terminal), prints the plain view periodically and quits on q", async () => {
    const child = spawn("node", ["bin/glase-agent.js", "ctl", "top", "--interval", "0.2", "--socket-dir", runDir], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const deadline = Date.now() + 60_000;
    while (!out.includes("delivering") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    station.pointList = station.pointList.map((p) => (p.point === 2 ? { ...p, state: "waiting-customer" as const } : p));
    station.events$.next({ type: "point", point: station.pointList[1]! });
    while (!out.includes("waiting-customer") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.stdin.write("q");
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    station.pointList = station.pointList.map((p) => (p.point === 2 ? { ...p, state: "idle" as const } : p));
    expect(code).toBe(0);
    expect(out).toContain("glase-agent top — Test station");
    expect(out).toContain("waiting-customer");
    expect(out).not.toContain("\x1b");
    expect(out).not.toContain("q or Ctrl-C quits");
    // Views follow one another, each whole, a blank line between them.
    expect(out.match(/^glase-agent top — /gm)!.length).toBeGreaterThanOrEqual(2);
  }, 90_000);
});

describe("terminal commands through the running agent", () => {
  it("register, assign-id (typed and from the scanner), unregister", async () => {
    const reg = await cli("register", "--point", "2", "--name", "Charger", "--socket-dir", runDir, "--json");
    expect(reg.code).toBe(0);
    expect(JSON.parse(reg.stdout)).toEqual({ point: 2, terminalId: "new-2", credentialsFile: "/state/terminals/point-2.json" });
    const typed = await cli("assign-id", "--point", "2", "ABC123", "--socket-dir", runDir);
    expect(typed.stdout).toContain("glaseId: ABC123");
    const invalid = await cli("assign-id", "--point", "2", "AB-12", "--socket-dir", runDir);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("only letters and digits");

    const scanning = cli("assign-id", "--point", "2", "--from-scanner", "--socket-dir", runDir);
    const deadline = Date.now() + 20_000;
    // The scan arrives once the command is waiting for it.
    while (Date.now() < deadline && !(await station.nextScanWaiting())) await new Promise((r) => setTimeout(r, 50));
    await station.injectScan("HTTP://SEQR.SE/Q0039394857311223");
    const scanned = await scanning;
    expect(scanned.code).toBe(0);
    expect(station.terminals.get(2)?.glaseId).toBe("0039394857311223");
    expect((await cli("unregister", "--point", "2", "--socket-dir", runDir)).code).toBe(0);
    expect(station.terminals.has(2)).toBe(false);
  }, 120_000);
});
