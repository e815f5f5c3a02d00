// Hostile local clients of the technician sockets, against the real socket servers and a
// TestStation, with the limits shrunk so each bound is reached in milliseconds: repeated watches,
// a client that stops reading, pipelined floods, idle and surplus connections, oversized replies —
// and the client side: a request timeout and an over-long reply reported as errors.
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ControlClient, ControlRequestError } from "../../agent/daemon/sockets/client.ts";
import type { IdleTimers } from "../../agent/daemon/sockets/connection.ts";
import type { ConnectionLimits } from "../../agent/daemon/sockets/limits.ts";
import { startSocketServers, type SocketServers } from "../../agent/daemon/sockets/server.ts";
import type { Logger } from "../../agent/log.ts";
import { TestStation } from "./test-station.ts";

const logged: string[] = [];
const log: Logger = {
  debug() {},
  info() {},
  warn: (event, fields) => void logged.push(`${event} ${JSON.stringify(fields ?? {})}`),
  error: (event, fields) => void logged.push(`${event} ${JSON.stringify(fields ?? {})}`),
  child: () => log,
};

let dir: string;
let station: TestStation;
let servers: SocketServers | undefined;
const open: Array<{ destroy(): void } | ControlClient> = [];

async function start(limits: Partial<ConnectionLimits>, timers?: IdleTimers): Promise<SocketServers> {
  servers = await startSocketServers({ dir: join(dir, "run"), control: station, logger: log, limits, ...(timers ? { timers } : {}) });
  return servers;
}

/** Idle timers that fire only when the test says so: no race between a connect and its first request. */
function manualTimers(): IdleTimers & { fireAll(): void; readonly pending: number } {
  const live = new Set<() => void>();
  return {
    setTimer(_ms, fn) {
      const entry = () => {
        live.delete(entry);
        fn();
      };
      live.add(entry);
      return () => void live.delete(entry);
    },
    fireAll() {
      for (const f of [...live]) f();
    },
    get pending() {
      return live.size;
    },
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-limits-"));
  station = new TestStation();
  logged.length = 0;
});
afterEach(async () => {
  for (const c of open.splice(0)) {
    if (c instanceof ControlClient) c.close();
    else c.destroy();
  }
  await servers?.close();
  servers = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A raw connection that reads nothing unless asked; resolves once connected. */
function raw(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    open.push(s);
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** Collects reply lines of a raw connection. */
function lines(s: Socket): string[] {
  const out: string[] = [];
  let buf = "";
  s.setEncoding("utf8");
  s.on("data", (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      out.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  return out;
}

const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once("close", () => resolve())));
const observers = () => (station.events$ as unknown as { observers: unknown[] }).observers.length;

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("watch", () => {
  it("1,000 watch requests on one connection make one subscription; the rest are refused", async () => {
    const { statusPath } = await start({ requestsPerSecond: 100_000 });
    const s = await raw(statusPath);
    const got = lines(s);
    s.write(Array.from({ length: 1_000 }, (_, i) => JSON.stringify({ id: i, cmd: "watch" })).join("\n") + "\n");
    await until("1,000 answers", () => got.filter((l) => !l.includes('"event"')).length >= 1_000);
    const answers = got.map((l) => JSON.parse(l)).filter((r) => r.event === undefined);
    expect(answers.filter((r) => r.ok)).toHaveLength(1);
    expect(answers.filter((r) => r.error?.code === "CONFLICT")).toHaveLength(999);
    expect(observers()).toBe(1);
    station.events$.next({ type: "alarm", alarm: station.alarmList[0]! });
    await until("one event frame", () => got.filter((l) => l.includes('"type":"alarm"')).length === 1);
    s.destroy();
    await until("unsubscribed", () => observers() === 0);
  });

  it("a watcher that stops reading is dropped once its unread events pass the bound", async () => {
    const { statusPath } = await start({ maxUnreadBytes: 64 * 1024, writeStallMs: 60_000 });
    const s = await raw(statusPath);
    s.pause(); // never reads
    s.write(JSON.stringify({ id: 1, cmd: "watch" }) + "\n");
    await until("subscribed", () => observers() === 1);
    const big = "x".repeat(4_000);
    for (let i = 0; i < 2_000 && observers() > 0; i++) {
      station.events$.next({ type: "alarm", alarm: { ...station.alarmList[0]!, message: big } });
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await until("dropped", () => observers() === 0);
    expect(logged.some((l) => l.startsWith("socket-client-dropped") && l.includes("NOT_READING"))).toBe(true);
  });
});

describe("backpressure", () => {
  it("pipelined requests from a client that does not read: reading pauses, the client is dropped after the stall", async () => {
    station.journalSize = 100_000;
    const { statusPath } = await start({ writeStallMs: 300, maxQueuedRequests: 4 });
    const s = await raw(statusPath);
    s.pause();
    const flood = Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ id: i, cmd: "journal", args: { n: 200 } })).join("\n") + "\n";
    s.write(flood);
    // (The client is paused, so it would not even see its own connection close: watch the agent.)
    await until("dropped", () => logged.some((l) => l.includes("NOT_READING")));
    // Only the replies that fit in the kernel's socket buffer were ever built, not 2,000.
    expect(station.journalCalls).toBeLessThan(50);
  });

  it("other clients keep getting answers while one is stuck", async () => {
    const { statusPath } = await start({ writeStallMs: 60_000 });
    const stuck = await raw(statusPath);
    stuck.pause();
    stuck.write(Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: i, cmd: "journal", args: { n: 200 } })).join("\n") + "\n");
    const c = await ControlClient.connect(statusPath);
    open.push(c);
    for (let i = 0; i < 20; i++) expect(await c.request("status", {}, { timeoutMs: 2_000 })).toMatchObject({ station: "Test station" });
  });
});

describe("request rate", () => {
  it("is shared fairly: a flooding client does not hold a quiet one back by more than its turn", async () => {
    const { statusPath } = await start({ requestsPerSecond: 50 });
    const flood = await raw(statusPath);
    lines(flood);
    flood.write(Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: i, cmd: "status" })).join("\n") + "\n");
    await new Promise((r) => setTimeout(r, 200));
    const c = await ControlClient.connect(statusPath);
    open.push(c);
    const t = Date.now();
    await c.request("status");
    // One turn after the flooder's current one, not after its 500 requests (10 s at 50/s).
    expect(Date.now() - t).toBeLessThan(1_000);
  });
});

describe("connections", () => {
  it("at the cap an idle connection is evicted for a new one, else the oldest watch; BUSY only when all are in a request", async () => {
    const { statusPath, adminPath } = await start({ maxConnections: 3 });
    const idle = await raw(statusPath);
    const idleLines = lines(idle);
    const w1 = await ControlClient.connect(statusPath);
    const w2 = await ControlClient.connect(statusPath);
    open.push(w1, w2);
    await w1.watch(() => {});
    await w2.watch(() => {});
    const fresh = await ControlClient.connect(statusPath);
    open.push(fresh);
    expect(await fresh.request("points")).toHaveLength(2);
    await closed(idle);
    expect(idleLines.map((l) => JSON.parse(l).error?.code)).toEqual(["EVICTED"]);
    // Three watchers: the oldest watch (w1) makes room, it is told why.
    await fresh.watch(() => {});
    const w1Closed = w1.closedPromise();
    const next = await ControlClient.connect(statusPath);
    open.push(next);
    expect(await next.request("status")).toBeTruthy();
    await w1Closed;
    await expect(w1.request("status")).rejects.toMatchObject({ remoteCode: "EVICTED" });
    expect(await w2.request("status")).toBeTruthy();
    // Every connection with a request in flight: nothing to take, the newcomer reads BUSY.
    const held = await Promise.all([0, 1, 2].map(() => ControlClient.connect(adminPath)));
    open.push(...held);
    const scans = held.map((h) => h.request("next-scan", { timeoutMs: 60_000 }).catch((e: unknown) => e));
    await until("three scans waiting", () => (station as unknown as { scanWaiters: unknown[] }).scanWaiters.length === 3);
    const refused = await ControlClient.connect(adminPath);
    open.push(refused);
    await expect(refused.request("status")).rejects.toMatchObject({ remoteCode: "BUSY" });
    for (const t of ["a", "b", "c"]) await station.injectScan(t);
    await Promise.all(scans);
  });

  it("closes a connection that sends nothing for the idle timeout, but not a watcher", async () => {
    const timers = manualTimers();
    const { statusPath } = await start({ idleTimeoutMs: 150 }, timers);
    const idle = await raw(statusPath);
    const got = lines(idle);
    const watcher = await ControlClient.connect(statusPath);
    open.push(watcher);
    await watcher.watch(() => {});
    await until("both connections have an idle timer", () => timers.pending >= 2);
    timers.fireAll(); // the idle timeout passes
    await closed(idle);
    expect(JSON.parse(got[0]!).error.code).toBe("IDLE_TIMEOUT");
    timers.fireAll(); // and passes again, twice: a watcher is never idle
    timers.fireAll();
    expect(await watcher.request("status")).toBeTruthy();
  });
});

describe("bounded replies", () => {
  it("pages the journal with n, since and cursor", async () => {
    const { statusPath } = await start({});
    const c = await ControlClient.connect(statusPath);
    open.push(c);
    const page1 = await c.request<Array<{ seq: number }>>("journal", { n: 5 });
    expect(page1.map((e) => e.seq)).toEqual([9996, 9997, 9998, 9999, 10000]);
    const page2 = await c.request<Array<{ seq: number }>>("journal", { n: 5, cursor: String(page1[0]!.seq) });
    expect(page2.map((e) => e.seq)).toEqual([9991, 9992, 9993, 9994, 9995]);
    expect((await c.request<unknown[]>("journal", { n: 200, since: 9_990 })).length).toBe(11);
    await expect(c.request("journal", { n: 100_000 })).rejects.toMatchObject({ remoteCode: "BAD_ARGS" });
  });

  it("answers REPLY_TOO_LARGE instead of a reply past the bound", async () => {
    const { statusPath } = await start({ maxReplyBytes: 4_096 });
    const c = await ControlClient.connect(statusPath);
    open.push(c);
    await expect(c.request("journal", { n: 200 })).rejects.toMatchObject({ remoteCode: "REPLY_TOO_LARGE", message: expect.stringMatching(/smaller page/) });
    expect(await c.request("journal", { n: 2 })).toHaveLength(2);
  });
});

describe("the client", () => {
  it("times a request out instead of hanging on a wedged agent", async () => {
    const path = join(dir, "wedged.sock");
    const server = createServer((s) => s.on("data", () => undefined)).listen(path);
    await new Promise((r) => server.once("listening", r));
    try {
      const c = await ControlClient.connect(path);
      open.push(c);
      const started = Date.now();
      const e = await c.request("status", {}, { timeoutMs: 200 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ControlRequestError);
      expect(e).toMatchObject({ remoteCode: "TIMEOUT", message: expect.stringMatching(/no answer to 'status' within 200 ms/) });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      server.close();
    }
  });

  it("reports an over-long reply as an error instead of dropping it and hanging", async () => {
    const path = join(dir, "chatty.sock");
    const server = createServer((s) => s.once("data", () => s.write(JSON.stringify({ id: 1, ok: true, result: "x".repeat(5 * 1024 * 1024) }) + "\n"))).listen(path);
    await new Promise((r) => server.once("listening", r));
    try {
      const c = await ControlClient.connect(path);
      open.push(c);
      await expect(c.request("journal", {}, { timeoutMs: 10_000 })).rejects.toMatchObject({ remoteCode: "REPLY_TOO_LONG" });
    } finally {
      server.close();
    }
  });
});
