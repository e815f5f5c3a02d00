import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ControlClient, ControlRequestError } from "../../agent/daemon/sockets/client.ts";
import { COMMANDS } from "../../agent/daemon/sockets/commands.ts";
import { startSocketServers, type SocketServers } from "../../agent/daemon/sockets/server.ts";
import { createLogger } from "../../agent/log.ts";
import { TestStation } from "./test-station.ts";

const log = createLogger("test");
let dir: string;
let station: TestStation;
let servers: SocketServers;
const clients: ControlClient[] = [];

async function connect(which: "status" | "admin"): Promise<ControlClient> {
  const c = await ControlClient.connect(which === "status" ? servers.statusPath : servers.adminPath);
  clients.push(c);
  return c;
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ControlRequestError) return { code: e.remoteCode, message: e.message };
    throw e;
  }
  throw new Error("expected the request to fail");
}

/** Raw line exchange for malformed-input tests. */
async function rawExchange(path: string, payload: string, replies: number): Promise<any[]> {
  const { createConnection } = await import("node:net");
  const s = createConnection(path);
  s.setEncoding("utf8");
  let buf = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got only: ${buf}`)), 10_000);
    s.on("data", (d: string) => {
      buf += d;
      const lines = buf.split("\n").filter(Boolean);
      if (lines.length >= replies) {
        clearTimeout(timer);
        s.destroy();
        resolve(lines.map((l) => JSON.parse(l)));
      }
    });
    s.write(payload);
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-sock-"));
  station = new TestStation();
  servers = await startSocketServers({ dir: join(dir, "run"), control: station, logger: log, statusGroup: String(process.getgid!()) });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await servers.close();
  await rm(dir, { recursive: true, force: true });
});

describe("socket permissions", () => {
  it("status.sock is 0660 (technician group), admin.sock 0600", async () => {
    const s = await stat(servers.statusPath);
    const a = await stat(servers.adminPath);
    expect(s.isSocket() && a.isSocket()).toBe(true);
    expect(s.mode & 0o777).toBe(0o660);
    expect(a.mode & 0o777).toBe(0o600);
    expect(s.gid).toBe(process.getgid!());
  });

  it("an unknown status group is a clear config error", async () => {
    await expect(startSocketServers({ dir: join(dir, "other"), control: station, logger: log, statusGroup: "no-such-group-xyz" })).rejects.toThrow(
      /sockets.statusGroup: no group named 'no-such-group-xyz'/,
    );
  });

  it("replaces a stale socket file but refuses to steal a live one", async () => {
    const other = join(dir, "stale");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(other);
    // A stale socket: bound by a process that was SIGKILLed (nothing unlinked it).
    const child = spawn(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(join(other, "status.sock"))}, () => console.log("up"))`]);
    await new Promise<void>((r) => child.stdout.once("data", () => r()));
    child.kill("SIGKILL");
    await new Promise<void>((r) => child.once("exit", () => r()));
    expect((await stat(join(other, "status.sock"))).isSocket()).toBe(true);
    await writeFile(join(other, "admin.sock"), ""); // leftover plain file
    const second = await startSocketServers({ dir: other, control: station, logger: log });
    await expect(startSocketServers({ dir: other, control: station, logger: log })).rejects.toThrow(/another glase-agent is running/);
    await second.close();
  });
});

describe("status.sock commands", () => {
  it("status, points, flows, alarms, journal, receipts, help", async () => {
    const c = await connect("status");
    expect(await c.request("status")).toMatchObject({ station: "Test station", activeFlows: 2, parkedFlows: 1, alarms: 1 });
    expect(await c.request("points")).toHaveLength(2);
    expect(await c.request("flows")).toHaveLength(2);
    expect(await c.request("flows", { all: true })).toHaveLength(3);
    expect(await c.request("alarms")).toEqual(station.alarmList);
    expect(await c.request("journal", { n: 3 })).toHaveLength(3);
    expect(await c.request("journal")).toHaveLength(20);
    expect(await c.request("receipts")).toEqual(station.receiptList);
    const help = (await c.request<Array<{ name: string }>>("help")).map((h) => h.name);
    expect(help).toContain("watch");
    expect(help).not.toContain("refund");
    expect(help).not.toContain("debug-block-loop");
  });

  it("refuses admin commands with FORBIDDEN, and the connection stays usable", async () => {
    const c = await connect("status");
    for (const cmd of COMMANDS.filter((x) => x.role === "admin")) {
      expect((await errorOf(c.request(cmd.name, {}))).code).toBe("FORBIDDEN");
    }
    expect(await c.request("points")).toHaveLength(2);
  });

  it("watch streams a snapshot then events; unwatch ends it", async () => {
    const c = await connect("status");
    const events: any[] = [];
    await c.watch((e) => events.push(e));
    const admin = await connect("admin");
    await admin.request("stop-point", { point: 2 });
    const deadline = Date.now() + 10_000;
    while (events.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(events[0]).toMatchObject({ type: "snapshot", points: expect.any(Array) });
    expect(events[1]).toMatchObject({ type: "point", point: { point: 2, state: "stopped" } });
    await c.request("unwatch");
    station.events$.next({ type: "alarm", alarm: station.alarmList[0]! });
    expect(await c.request("status")).toBeTruthy(); // round trip after the emit: no event frame came
    expect(events).toHaveLength(2);
  });
});

describe("admin.sock commands", () => {
  it("runs every admin command against the station", async () => {
    const c = await connect("admin");
    expect(await c.request("register", { point: 2, name: "Charger 2" })).toEqual({ point: 2, terminalId: "new-2", credentialsFile: "/state/terminals/point-2.json" });
    expect(await c.request("assign-id", { point: 2, glaseId: "HTTP://SEQR.SE/Qglasedemo000123" })).toEqual({ point: 2, glaseId: "glasedemo000123" });
    expect(station.terminals.get(2)?.glaseId).toBe("glasedemo000123");
    expect(await c.request("unregister", { point: 2 })).toEqual({ point: 2, unregistered: true });
    expect(await c.request("stop-point", { point: 1 })).toEqual({ point: 1, stopped: true });
    expect(await c.request("resume-point", { point: 1 })).toEqual({ point: 1, wasStopped: true });
    expect(await c.request("reprint", { ref: "E0" })).toEqual({ reprinted: "E0" });
    expect(await c.request("refund", { ersReference: "E0", amountMinor: 100 })).toEqual({ flowId: "f-r", refundErsReference: "R-E0" });
    expect(await c.request("close-period", {})).toMatchObject({ reportIds: ["Reconciliation/Shop.xml", "Reconciliation/STD_RECON_003.xml"], summary: { salesCount: 1, salesTotalMinor: 5000 } });
    expect(await c.request("close-period", { scope: "terminal", point: 1, reportId: "Reconciliation/STD_RECON_006.xml" })).toMatchObject({ reportIds: ["Reconciliation/STD_RECON_006.xml"] });
    expect(await c.request("resolve", { flowId: "f-p", action: "retry" })).toEqual({ flowId: "f-p", action: "retry" });
    expect(await c.request("scan", { text: "123456" })).toEqual({ injected: true });
    expect(station.scans).toEqual(["123456"]);
    station.scans.length = 0;
    expect(await c.request("debug-block-loop", { ms: 5 })).toEqual({ blocking: 5 });
    expect(await c.request("issue-invoice", { amountMinor: 4900, description: "Car wash", reference: "W1" })).toMatchObject({ reference: "W1", state: "issued" });
    expect(station.issued).toEqual([{ amountMinor: 4900, description: "Car wash", reference: "W1", payOnce: true }]);
    expect(await c.request("invoices")).toMatchObject({ invoices: [{ reference: "W1" }] });
    const scan = c.request("next-scan", { timeoutMs: 20_000 });
    const deadline = Date.now() + 10_000;
    while (!(await station.nextScanWaiting()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await station.injectScan("0039394857311223");
    expect(await scan).toEqual({ text: "0039394857311223" });
    expect((await errorOf(c.request("next-scan", { timeoutMs: 50 }))).code).toBe("ABORTED");
    // status commands work on admin.sock too
    expect(await c.request("points")).toHaveLength(2);
    expect(station.calls.map((x) => x.cmd)).toEqual(["register", "assign-id", "unregister", "reprint", "refund", "close-period", "close-period", "resolve"]);
  });

  it("answers bad arguments and station errors with a code and a message", async () => {
    const c = await connect("admin");
    expect(await errorOf(c.request("refund", { ersReference: "E0", amountMinor: -5 }))).toMatchObject({ code: "BAD_ARGS", message: expect.stringMatching(/^amountMinor: /) });
    expect(await errorOf(c.request("refund", { ersReference: "E0", amountMinor: 1, extra: 1 }))).toMatchObject({ code: "BAD_ARGS" });
    expect(await errorOf(c.request("assign-id", { point: 1, glaseId: "abc-123" }))).toMatchObject({ code: "INPUT_INVALID", message: expect.stringMatching(/only letters and digits/) });
    expect(await errorOf(c.request("close-period", { scope: "terminal" }))).toMatchObject({ code: "BAD_ARGS", message: "point: point: required for scope terminal" });
    expect(await errorOf(c.request("stop-point", { point: 9 }))).toEqual({ code: "NOT_FOUND", message: "no point 9" });
    expect(await errorOf(c.request("resolve", { flowId: "f-1", action: "retry" }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await errorOf(c.request("resolve", { flowId: "f-p", action: "explode" }))).toMatchObject({ code: "BAD_ARGS" });
    expect(await errorOf(c.request("reprint", {}))).toMatchObject({ code: "BAD_ARGS", message: expect.stringMatching(/^ref: /) });
    expect(await errorOf(c.request("nope"))).toMatchObject({ code: "UNKNOWN_COMMAND" });
  });
});

describe("malformed input", () => {
  it("answers each malformed line with an error and keeps the connection", async () => {
    const replies = await rawExchange(
      servers.statusPath,
      [
        "this is not json",
        "[1,2,3]",
        '{"id": 1}',
        '{"id": {"x":1}, "cmd": "status"}',
        '{"id": 2, "cmd": 42}',
        '{"id": 3, "cmd": "flows", "args": "all"}',
        '{"id": 4, "cmd": "status"}\r',
        "",
        '{"id": "five", "cmd": "points"}',
      ].join("\n") + "\n",
      8,
    );
    expect(replies.map((r) => r.error?.code ?? "ok")).toEqual(["BAD_JSON", "BAD_REQUEST", "BAD_REQUEST", "BAD_REQUEST", "BAD_REQUEST", "BAD_ARGS", "ok", "ok"]);
    expect(replies[6]).toMatchObject({ id: 4, ok: true });
    expect(replies[7]).toMatchObject({ id: "five", ok: true });
    expect(replies[0]).toMatchObject({ id: null, ok: false });
  });

  it("rejects an over-long line once, skips it, and serves the next request", async () => {
    const big = JSON.stringify({ id: 1, cmd: "scan", args: { text: "x".repeat(70_000) } });
    // Split across writes so the limit is hit before the newline arrives.
    const replies = await rawExchange(servers.adminPath, big.slice(0, 40_000) + big.slice(40_000) + "\n" + '{"id":2,"cmd":"status"}\n', 2);
    expect(replies[0]).toMatchObject({ id: null, ok: false, error: { code: "LINE_TOO_LONG" } });
    expect(replies[1]).toMatchObject({ id: 2, ok: true });
    expect(station.scans).toEqual([]);
  });

  it("survives random garbage without closing", async () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(rnd() * 200);
      let s = "";
      for (let j = 0; j < len; j++) s += String.fromCharCode(32 + Math.floor(rnd() * 95));
      if (s.trim() !== "") lines.push(s.replace(/\n/g, ""));
    }
    const replies = await rawExchange(servers.statusPath, lines.join("\n") + '\n{"id":"last","cmd":"status"}\n', lines.length + 1);
    expect(replies.at(-1)).toMatchObject({ id: "last", ok: true });
    expect(replies.slice(0, -1).every((r) => r.ok === false)).toBe(true);
  });
});
