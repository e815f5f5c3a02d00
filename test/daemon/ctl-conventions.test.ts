// The CLI's conventions, as a script sees them: --version, usage errors on stderr, one exit status
// per kind of failure (also with --json, where a failure is a JSON error object on stdout), the
// socket directory chosen in a documented order and named by `ctl status`, resume-point, and
// `ctl top` redrawing in place only on a terminal.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, exitCodeOf } from "../../agent/cli/exit-codes.ts";
import { chooseSocketDir } from "../../agent/cli/commands/socket-dir.ts";
import { runTop } from "../../agent/cli/commands/ctl-top.ts";
import { ControlClient, ControlRequestError } from "../../agent/daemon/sockets/client.ts";
import { startSocketServers, type SocketServers } from "../../agent/daemon/sockets/server.ts";
import { AgentError } from "../../agent/errors.ts";
import { createLogger } from "../../agent/log.ts";
import { TestStation } from "./test-station.ts";

const exec = promisify(execFile);
let dir: string;
let runDir: string;
let station: TestStation;
let servers: SocketServers;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-ctl-conv-"));
  runDir = join(dir, "run");
  station = new TestStation();
  servers = await startSocketServers({ dir: runDir, control: station, logger: createLogger("test") });
});
afterAll(async () => {
  await servers.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string; asUser?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = join(process.cwd(), "bin/glase-agent.js");
  const [file, argv] = opts.asUser !== undefined ? ["setpriv", ["--reuid", String(opts.asUser), "--regid", String(opts.asUser), "--clear-groups", process.execPath, bin, ...args]] : [process.execPath, [bin, ...args]];
  try {
    const r = await exec(file as string, argv as string[], { cwd: opts.cwd ?? process.cwd(), env: { ...process.env, ...opts.env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e: any) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("glase-agent CLI conventions", () => {
  it("--version prints the package version", async () => {
    const { version } = JSON.parse(await readFile("package.json", "utf8")) as { version: string };
    const r = await cli(["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `glase-agent ${version}\n`, stderr: "" });
  });

  it("usage errors go to stderr with exit 2; with --json a JSON error on stdout", async () => {
    const bare = await cli([]);
    expect(bare.code).toBe(EXIT.USAGE);
    expect(bare.stdout).toBe("");
    expect(bare.stderr).toMatch(/^Usage: glase-agent <command>/);
    const ctl = await cli(["ctl"]);
    expect(ctl).toMatchObject({ code: 2, stdout: "" });
    expect(ctl.stderr).toMatch(/^Usage: glase-agent ctl/);
    const unknown = await cli(["ctl", "frobnicate", "--json"]);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toEqual({ error: { code: "INPUT_INVALID", message: "unknown ctl command 'frobnicate'", exitCode: 2 } });
    expect(unknown.stderr).toBe("glase-agent ctl frobnicate: unknown ctl command 'frobnicate'\nsee `glase-agent ctl --help`\n");
    const missing = await cli(["ctl", "resume-point", "--json", "--socket-dir", runDir]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ code: "INPUT_INVALID", message: "--point is required" });
  });

  it("a usage error says what was wrong in one line, the command's synopsis, and where the help is — not the whole usage (review 11 #10c)", async () => {
    const refund = await cli(["ctl", "refund", "--socket-dir", runDir]);
    expect(refund.code).toBe(2);
    expect(refund.stderr.split("\n")).toEqual([
      "glase-agent ctl refund: expected 2 argument(s): refund ERSREFERENCE AMOUNT [--point N] [--force]",
      "usage: glase-agent ctl refund ERSREFERENCE AMOUNT [--point N] [--force]",
      "see `glase-agent ctl refund --help`",
      "",
    ]);
    const top = await cli(["frobnicate"]);
    expect(top).toMatchObject({ code: 2, stderr: "glase-agent: unknown command 'frobnicate'\nsee `glase-agent --help`\n" });
  });

  it("an unreachable agent is exit 3, and a JSON error object with --json", async () => {
    const r = await cli(["ctl", "points", "--json", "--socket-dir", join(dir, "nobody-here")]);
    expect(r.code).toBe(EXIT.UNREACHABLE);
    const body = JSON.parse(r.stdout) as { error: { code: string; message: string; exitCode: number } };
    expect(body.error).toMatchObject({ code: "AGENT_UNREACHABLE", exitCode: 3 });
    expect(body.error.message).toContain(join(dir, "nobody-here", "status.sock"));
    expect(r.stderr).toContain("is the agent running?");
  });

  it("a refusal by the agent is exit 1 with its code, also as JSON", async () => {
    const r = await cli(["ctl", "reprint", "nope", "--json", "--socket-dir", runDir]);
    expect(r.code).toBe(EXIT.FAILED);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: "NOT_FOUND", message: "no receipt for nope", exitCode: 1 } });
    expect(r.stderr).toBe("glase-agent ctl reprint: NOT_FOUND: no receipt for nope\n");
  });

  it("a socket this user may not open is exit 4 (permission), not 'unreachable'", async () => {
    const r = await cli(["ctl", "status", "--json", "--socket-dir", runDir], { asUser: 65534 });
    expect(r.code, r.stderr).toBe(EXIT.PERMISSION);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: "PERMISSION_DENIED", exitCode: 4 });
  });

  it("maps every failure to its exit status by code (timeout 5)", () => {
    expect(exitCodeOf(new ControlRequestError("TIMEOUT", "no answer"))).toBe(EXIT.TIMEOUT);
    expect(exitCodeOf(new ControlRequestError("CONFLICT", "busy"))).toBe(EXIT.FAILED);
    expect(exitCodeOf(new AgentError("AGENT_UNREACHABLE", "x"))).toBe(EXIT.UNREACHABLE);
    expect(exitCodeOf(new AgentError("PERMISSION_DENIED", "x"))).toBe(EXIT.PERMISSION);
    expect(exitCodeOf(new AgentError("INPUT_INVALID", "x"))).toBe(EXIT.USAGE);
    expect(exitCodeOf(new Error("boom"))).toBe(EXIT.FAILED);
  });
});

describe("the socket directory", () => {
  it("is --socket-dir, then $RUNTIME_DIRECTORY, then the service's when it exists, then ./.glase/run", async () => {
    const service = join(dir, "service-run");
    const cwd = join(dir, "work");
    expect(chooseSocketDir("x", { RUNTIME_DIRECTORY: "/r" }, cwd, service)).toMatchObject({ dir: join(cwd, "x"), source: "--socket-dir" });
    expect(chooseSocketDir(undefined, { RUNTIME_DIRECTORY: "/r:/other" }, cwd, service)).toMatchObject({ dir: "/r", source: "$RUNTIME_DIRECTORY" });
    expect(chooseSocketDir(undefined, {}, cwd, service)).toMatchObject({ dir: join(cwd, ".glase/run"), source: "local" });
    await mkdir(service);
    expect(chooseSocketDir(undefined, {}, cwd, service)).toMatchObject({ dir: service, source: "service" });
    // The service's directory wins over a local one, even when the local one exists.
    await mkdir(join(cwd, ".glase/run"), { recursive: true });
    expect(chooseSocketDir(undefined, {}, cwd, service)).toMatchObject({ dir: service, source: "service" });
  });

  it("ctl status says which one it used and why", async () => {
    const flag = await cli(["ctl", "status", "--socket-dir", runDir]);
    expect(flag.stdout).toContain(`sockets:   ${runDir} — from --socket-dir`);
    const env = await cli(["ctl", "status", "--json"], { env: { RUNTIME_DIRECTORY: runDir } });
    expect(JSON.parse(env.stdout).socketDir).toEqual({ dir: runDir, source: "$RUNTIME_DIRECTORY", why: "from $RUNTIME_DIRECTORY" });
  });
});

describe("ctl resume-point and stop-point", () => {
  it("stop-point hands the station who asked; resume-point puts the point back", async () => {
    expect((await cli(["ctl", "stop-point", "--point", "2", "--socket-dir", runDir])).code).toBe(0);
    const by = station.stoppedBy.get(2);
    expect(by?.socket).toBe("admin.sock");
    expect(by?.claimed?.pid ?? by?.peer?.pid).toBeGreaterThan(0);
    const r = await cli(["ctl", "resume-point", "--point", "2", "--socket-dir", runDir]);
    expect(r).toMatchObject({ code: 0, stdout: "point 2: back in service\n" });
    expect(station.pointList.find((p) => p.point === 2)?.state).toBe("idle");
    const again = await cli(["ctl", "resume-point", "--point", "2", "--json", "--socket-dir", runDir]);
    expect(JSON.parse(again.stdout)).toEqual({ point: 2, wasStopped: false });
    expect((await cli(["ctl", "resume-point", "--point", "9", "--socket-dir", runDir])).code).toBe(EXIT.FAILED);
  });
});

describe("ctl top", () => {
  it("on a terminal redraws in place (clear screen, hidden cursor); piped it never writes escape codes", async () => {
    const run = async (isTTY: boolean) => {
      let written = "";
      const out = { isTTY, write: (s: string) => ((written += s), true) };
      const input = new PassThrough() as unknown as NodeJS.ReadStream;
      const code = await runTop(await ControlClient.connect(servers.statusPath), out, input, { iterations: 2, intervalMs: 10 });
      return { code, written };
    };
    const tty = await run(true);
    expect(tty.code).toBe(0);
    expect(tty.written).toContain("\x1b[H\x1b[2J");
    expect(tty.written).toContain("\x1b[?25l");
    expect(tty.written).toContain("q or Ctrl-C quits");
    const piped = await run(false);
    expect(piped.written).not.toContain("\x1b");
    expect(piped.written.match(/^glase-agent top — Test station/gm)).toHaveLength(2);
  });
});
