// One technician-group member must not lock the others out of status.sock (review 2 #2): 64
// reading `watch`es from one uid used to hold every slot for good, and the BUSY line the next
// client got was lost in an EPIPE stack trace. Real sockets, a real second uid (65534, a child
// process started with it) — the per-peer bound reads the kernel's SO_PEERCRED.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../agent/cli/exit-codes.ts";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import type { ConnectionLimits } from "../../agent/daemon/sockets/limits.ts";
import { peerCredentialsAvailable } from "../../agent/daemon/sockets/peer.ts";
import { startSocketServers, type SocketServers } from "../../agent/daemon/sockets/server.ts";
import type { Logger } from "../../agent/log.ts";
import { TestStation } from "./test-station.ts";

const exec = promisify(execFile);
const NOBODY = 65534;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

let dir: string;
let station: TestStation;
let servers: SocketServers | undefined;
const clients: ControlClient[] = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-peers-"));
  await chmod(dir, 0o755);
  station = new TestStation();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const c of children.splice(0)) c.kill("SIGKILL");
  await servers?.close();
  servers = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(limits: Partial<ConnectionLimits> = {}): Promise<SocketServers> {
  servers = await startSocketServers({ dir: join(dir, "run"), control: station, logger: quiet, statusGroup: String(NOBODY), limits });
  return servers;
}

/**
 * A technician as uid 65534 opening `n` watches one after the other: prints `ready` once each got
 * its answer, then `closed K` whenever the agent closes one of them.
 */
function hog(path: string, n: number): { lines: AsyncIterator<string>; child: ChildProcess } {
  const script = `
    const net = require("node:net");
    let answered = 0, closed = 0;
    const open = (i) => {
      if (i === ${n}) return console.log("ready");
      const s = net.createConnection(${JSON.stringify(path)});
      let first = true;
      s.setEncoding("utf8");
      s.on("data", () => { if (first) { first = false; open(i + 1); } });
      s.on("error", () => {});
      s.on("close", () => console.log("closed " + ++closed));
      s.on("connect", () => s.write(JSON.stringify({ id: 1, cmd: "watch" }) + "\\n"));
    };
    open(0);
  `;
  const child = spawn(process.execPath, ["-e", script], { uid: NOBODY, gid: NOBODY, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return { lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator](), child };
}

async function lineOf(it: AsyncIterator<string>, want: string): Promise<void> {
  for (let r = await it.next(); !r.done; r = await it.next()) if (r.value === want) return;
  throw new Error(`child ended before '${want}'`);
}

// Never a silent skip (review 3 #9): without the native addon the per-peer bound is not what runs
// in production, so its absence fails here; not being root (a second real uid needs it) is said
// out loud in the test names and on stderr.
const ROOT = process.getuid?.() === 0;
it("can run: the native peer-credentials addon is built (SO_PEERCRED)", () => {
  expect(peerCredentialsAvailable(), "glase-peer-credentials is not built: npm rebuild glase-peer-credentials (node-gyp, the toolchain sqlite3 builds with)").toBe(true);
});
if (!ROOT) process.stderr.write("socket-peers.test: SKIPPED the per-uid slot tests — they need root (a second real uid); CI runs them as root\n");

describe.skipIf(!ROOT || !peerCredentialsAvailable())(`status.sock slots per peer uid${ROOT ? "" : " (SKIPPED: not root)"}`, () => {
  it("64 reading watches of one technician: another is still answered, the hog gets 16", async () => {
    const { statusPath } = await start(); // the shipped limits: 64 per socket, 16 per uid
    const h = hog(statusPath, 64);
    await lineOf(h.lines, "ready");
    const other = await ControlClient.connect(statusPath);
    clients.push(other);
    expect(await other.request("status")).toBeTruthy();
    await lineOf(h.lines, "closed 48"); // 64 − 16: the hog's connections past its 16 were refused
  });

  it("at the socket's cap the oldest watch of the uid holding the most makes room", async () => {
    const { statusPath } = await start({ maxConnections: 6, maxConnectionsPerPeer: 4 });
    const h = hog(statusPath, 4);
    await lineOf(h.lines, "ready");
    const mine = await Promise.all([0, 1].map(() => ControlClient.connect(statusPath)));
    clients.push(...mine);
    for (const m of mine) await m.watch(() => {});
    const fresh = await ControlClient.connect(statusPath);
    clients.push(fresh);
    expect(await fresh.request("status")).toBeTruthy();
    await lineOf(h.lines, "closed 1");
    for (const m of mine) expect(await m.request("status")).toBeTruthy();
  });

  it("the CLI prints a refused connection as BUSY with exit 3, no stack trace", async () => {
    const { adminPath } = await start({ maxConnections: 1, maxConnectionsPerPeer: 1 });
    const holder = await ControlClient.connect(adminPath);
    clients.push(holder);
    const scan = holder.request("next-scan", { timeoutMs: 60_000 });
    void scan.catch(() => {});
    while (!(await station.nextScanWaiting())) await new Promise((r) => setImmediate(r)); // the request is in flight
    const r = await exec(process.execPath, [join(process.cwd(), "bin/glase-agent.js"), "ctl", "stop-point", "--point", "1", "--socket-dir", join(dir, "run")]).then(
      (x) => ({ code: 0, stderr: x.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(r.code).toBe(EXIT.UNREACHABLE);
    expect(r.stderr).toMatch(/BUSY/);
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    await station.injectScan("x");
    await scan;
  });
});
