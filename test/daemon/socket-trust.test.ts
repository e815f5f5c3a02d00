// The CLI must not trust a socket another user planted in ./.glase/run (review 2 #6): with the
// service stopped /run/glase-agent is gone and the CLI falls back to the working directory's
// .glase/run, where an outsider's fake agent answered root's `register` with "registered: true".
// Root (and any admin command) now refuses a socket or directory owned by someone other than
// root, the invoking user or the service user, saying why (exit 4), and never connects.
import { execFile } from "node:child_process";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../agent/cli/exit-codes.ts";

const exec = promisify(execFile);
const OUTSIDER = 65534;
const BIN = join(process.cwd(), "bin/glase-agent.js");

let dir: string;
let run: string;
const servers: Server[] = [];
let connections = 0;

async function fakeAgent(path: string): Promise<void> {
  const server = createServer((s) => {
    connections++;
    s.on("data", () => s.write(JSON.stringify({ id: 1, ok: true, result: { terminalId: "ATTACKER-CHOSEN-TERMINAL", registered: true } }) + "\n"));
  });
  await new Promise<void>((r) => server.listen(path, r));
  servers.push(server);
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, RUNTIME_DIRECTORY: "" } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

async function own(uid: number): Promise<void> {
  for (const p of [run, join(run, "admin.sock"), join(run, "status.sock")]) await chown(p, uid, uid);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-trust-"));
  run = join(dir, ".glase", "run");
  await mkdir(run, { recursive: true, mode: 0o755 });
  await fakeAgent(join(run, "admin.sock"));
  await fakeAgent(join(run, "status.sock"));
});
afterAll(async () => {
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.getuid?.() !== 0 || existsSync("/run/glase-agent"))("a socket in ./.glase/run owned by another user", () => {
  it("root's register and ctl refuse it, name the owner and never connect", async () => {
    await own(OUTSIDER);
    connections = 0;
    const reg = await cli(["register", "--point", "1", "--config", join(dir, "no-config.yaml")]);
    expect(reg.code, reg.stderr).toBe(EXIT.PERMISSION);
    expect(reg.stdout).not.toContain("ATTACKER");
    expect(reg.stderr).toMatch(new RegExp(`refusing .*\\.glase/run: the directory is owned by uid ${OUTSIDER}`));
    const st = await cli(["ctl", "status"]);
    expect(st.code, st.stderr).toBe(EXIT.PERMISSION);
    expect(connections).toBe(0);
  });

  it("a socket of root's own is used as before", async () => {
    await own(0);
    connections = 0;
    const st = await cli(["ctl", "points", "--json"]);
    expect(connections).toBe(1);
    expect(st.stdout).toContain("ATTACKER"); // the fake answered: it was trusted, as it should be here
  });
});
