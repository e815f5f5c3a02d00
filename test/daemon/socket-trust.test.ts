// The CLI must not trust a socket another user planted in ./.glase/run (review 2 #6): with the
// service stopped /run/glase-agent is gone and the CLI falls back to the working directory's
// .glase/run, where an outsider's fake agent answered root's `register` with "registered: true".
// Root (and any admin command) now refuses a socket or directory owned by someone other than
// root, the invoking user or the service user, saying why (exit 4), and never connects.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../agent/cli/exit-codes.ts";
import { peerCredentialsAvailable } from "../../agent/daemon/sockets/peer.ts";

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
    expect(reg.stderr).toMatch(new RegExp(`refusing .*\\.glase/run: .*is owned by uid ${OUTSIDER}`));
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

// Review 3 #2: the check could be raced by flipping a symlink above ./.glase/run, and it never
// looked at who actually answers. Now every ancestor must be trusted, and after the connect the
// server's SO_PEERCRED uid must be root, this user or the service user.
describe.skipIf(process.getuid?.() !== 0 || existsSync("/run/glase-agent"))("the path to the socket, and who answers on it", () => {
  it("refuses ./.glase/run when an ancestor (./.glase) belongs to another user, though run/ and the socket are root's", async () => {
    await own(0);
    await chown(join(dir, ".glase"), OUTSIDER, OUTSIDER);
    connections = 0;
    try {
      const reg = await cli(["register", "--point", "1", "--config", join(dir, "no-config.yaml")]);
      expect(reg.code, reg.stderr).toBe(EXIT.PERMISSION);
      expect(reg.stdout).not.toContain("ATTACKER");
      expect(reg.stderr).toMatch(new RegExp(`\\.glase is owned by uid ${OUTSIDER}`));
      expect(connections).toBe(0);
    } finally {
      await chown(join(dir, ".glase"), 0, 0);
    }
  });

  it(
    "refuses an agent that listens as another uid, even under --socket-dir (exit 4, naming the uid); doctor and restore too",
    async () => {
      // Not a skip: without the addon nothing reads SO_PEERCRED and this check does not exist.
      expect(peerCredentialsAvailable(), "glase-peer-credentials is not built: npm rebuild glase-peer-credentials").toBe(true);
      const evil = await mkdtemp(join(tmpdir(), "glase-evil-"));
      await chmod(evil, 0o777);
      const script = `const net=require("net");let n=0;for(const f of ["admin.sock","status.sock"]){const s=net.createServer(c=>c.on("data",()=>c.write(JSON.stringify({id:1,ok:true,result:{terminalId:"ATTACKER-CHOSEN-TERMINAL",registered:true}})+"\\n")));s.listen(require("path").join(${JSON.stringify(evil)},f),()=>{if(++n===2)process.stdout.write("ready\\n")})}`;
      const child: ChildProcess = spawn(process.execPath, ["-e", script], { uid: OUTSIDER, gid: OUTSIDER, cwd: "/", stdio: ["ignore", "pipe", "inherit"] });
      try {
        await new Promise<void>((ok, ko) => (child.stdout!.once("data", () => ok()), child.once("exit", (c) => ko(new Error(`fake agent exited ${c}`)))));
        const reg = await cli(["register", "--point", "1", "--socket-dir", evil, "--config", join(dir, "no-config.yaml")]);
        expect(reg.stdout).not.toContain("ATTACKER");
        expect(reg.code, reg.stderr).toBe(EXIT.PERMISSION);
        expect(reg.stderr).toMatch(new RegExp(`runs as uid ${OUTSIDER}`));
        // doctor and restore check the listener too (review 3 #5): refused, never read as the agent.
        const doc = await cli(["doctor", "--socket-dir", evil, "--config", join(dir, "no-config.yaml")]);
        expect(doc.stdout).not.toContain("ATTACKER");
        expect(doc.code, doc.stderr).toBe(EXIT.PERMISSION);
        expect(doc.stderr).toMatch(new RegExp(`status\\.sock: the process listening on it \\(pid \\d+\\) runs as uid ${OUTSIDER}`));
        const config = join(dir, "restore.yaml");
        await writeFile(config, `${await readFile("config/simulated-station.yaml", "utf8")}\nstateDir: ${join(dir, "state")}\nsockets: { dir: ${join(dir, "no-run")} }\n`, { mode: 0o600 });
        const res = await cli(["restore", "--abort", "--socket-dir", evil, "--config", config]);
        expect(res.code).not.toBe(0);
        expect(res.stderr).toMatch(new RegExp(`runs as uid ${OUTSIDER}, not as root`));
      } finally {
        child.kill("SIGKILL");
        await rm(evil, { recursive: true, force: true });
      }
    },
  );
});
