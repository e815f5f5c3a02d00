// Power cuts at every durability boundary of `register` and `assign-id` (agent stopped). strace
// stops the real command right after each fsync/rename/unlink under the state directory; the
// test copies the directory as it stands there and then, as a power cut would, empties every file
// whose data has not been fsynced since its last write (what ext4 showed for the old writer: a
// renamed, never-fsynced point-N.json at 0 bytes). A rename or unlink not yet made durable by its
// directory's fsync may be undone by the cut: that state is the copy of the boundary before.
// The agent is then started on every distinct copy. Each must start; point 1 (terminal in the
// config) must take customers; point 2 must be in service with working credentials, or out of
// service with an alarm — and whenever Glase had already created the terminal, the copy must
// still hold its password.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, truncate } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import type { AlarmInfo, PointSnapshot } from "../../agent/engine-api.ts";
import { AgentProcess, BIN, POINT1, Site } from "./site.ts";
import { straced, under, type TraceEvent } from "./strace.ts";

interface Snapshot {
  readonly label: string;
  readonly dir: string;
  /** Terminals Glase had created (besides point 1's) when the cut happened. */
  readonly created: ReadonlyArray<{ terminalId: string; externalTerminalId?: string }>;
  /** What the technician had been told was done before the cut. */
  readonly confirmed: "nothing" | "registered" | "assigned";
}

let site: Site;
beforeAll(async () => {
  site = await Site.open();
});
afterAll(async () => {
  await site?.close();
});

/** Files under `state` written since their last fsync, per the trace so far (renames carry the flag). */
function dirtyFiles(events: readonly TraceEvent[], state: string): Set<string> {
  const dirty = new Set<string>();
  for (const e of events) {
    if (!under(state, e) || e.result.startsWith("-1")) continue;
    if ((e.syscall === "write" || e.syscall === "writev" || e.syscall === "pwrite64") && e.fdPath) dirty.add(e.fdPath);
    else if ((e.syscall === "fsync" || e.syscall === "fdatasync") && e.fdPath) dirty.delete(e.fdPath);
    else if (e.syscall.startsWith("rename")) {
      const [src, dst] = [...e.args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
      if (src && dst) {
        if (dirty.delete(src)) dirty.add(dst);
        else dirty.delete(dst);
      }
    }
  }
  return dirty;
}

async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

async function fingerprint(dir: string): Promise<string> {
  const h = createHash("sha256");
  for (const f of (await listFiles(dir)).sort()) h.update(relative(dir, f)).update("\0").update(await readFile(f)).update("\0");
  return h.digest("hex");
}

/** Every password-bearing record in a copy: credentials, pending registrations, orphans. */
async function records(dir: string): Promise<Array<{ terminalId?: string; externalTerminalId?: string; password?: string }>> {
  const out = [];
  for (const f of await listFiles(join(dir, "terminals")).catch(() => [])) {
    try {
      const j = JSON.parse(await readFile(f, "utf8"));
      out.push(j.record ?? j);
    } catch {
      // empty or torn: holds nothing
    }
  }
  return out;
}

describe("power cut at every fsync/rename boundary", () => {
  it("register then assign-id: every copy starts, point 1 serves, point 2 is usable or alarmed, no created terminal loses its password", async () => {
    const state = join(site.dir, "pc-state");
    const snaps = join(site.dir, "pc-snapshots");
    await mkdir(snaps);
    const config = await site.config("pc", state);
    const snapshots: Snapshot[] = [];
    let confirmed: Snapshot["confirmed"] = "nothing";
    const take = async (label: string, events: readonly TraceEvent[]) => {
      const dir = join(snaps, String(snapshots.length).padStart(2, "0"));
      if (spawnSync("cp", ["-a", state, dir]).status !== 0) await mkdir(dir); // before the state dir existed
      for (const f of dirtyFiles(events, state)) await truncate(join(dir, relative(state, f))).catch(() => undefined);
      const created = site.sim.sim.dump().terminals.filter((t) => t.terminalId !== POINT1.id && t.registered);
      snapshots.push({ label, dir, created, confirmed });
    };
    const run = (...args: string[]) =>
      straced([process.execPath, BIN, ...args, "--config", config, "--socket-dir", join(site.dir, "no-agent"), "--json"], {
        onBoundary: async (e, events) => {
          if (under(state, e)) await take(`${args[0]} after ${e.syscall} ${e.paths.map((p) => relative(state, p)).join(" → ")}`, events);
        },
      });

    const reg = await run("register", "--point", "2");
    expect(reg.code, reg.stderr).toBe(0);
    await take("register done", reg.events);
    confirmed = "registered";
    const assign = await run("assign-id", "--point", "2", "PWRCUT1");
    expect(assign.code, assign.stderr).toBe(0);
    await take("assign-id done", assign.events);
    confirmed = "assigned";

    // One agent start per distinct state.
    const seen = new Map<string, string>();
    let starts = 0;
    for (const s of snapshots) {
      const print = await fingerprint(s.dir);
      if (seen.has(print)) continue;
      seen.set(print, s.label);
      starts++;
      const name = `pc-start-${starts}`;
      const startConfig = await site.config(name, s.dir);
      const agent = await AgentProcess.start(startConfig);
      try {
        await agent.ready(60_000);
        const status = await ControlClient.connect(join(site.socketDir(name, s.dir), "status.sock"));
        const points = await status.request<PointSnapshot[]>("points");
        const alarms = await status.request<AlarmInfo[]>("alarms");
        status.close();
        const p1 = points.find((p) => p.point === 1)!;
        const p2 = points.find((p) => p.point === 2)!;
        expect(p1.state, s.label).toBe("idle");
        const held = await records(s.dir);
        if (p2.state === "idle") {
          expect(await site.credentialsWork({ terminalId: p2.terminalId, password: held.find((r) => r.terminalId === p2.terminalId)!.password! }), s.label).toBe(true);
        } else {
          expect(s.confirmed, `${s.label}: register had reported success, yet point 2 is ${p2.state}`).toBe("nothing");
          // Out of service: either never registered, or alarmed with what to do.
          if (s.created.length > 0) expect(alarms.some((a) => a.point === 2 && a.code === "registration-unconfirmed"), s.label).toBe(true);
        }
        for (const t of s.created) {
          const rec = held.find((r) => r.terminalId === t.terminalId || (t.externalTerminalId !== undefined && r.externalTerminalId === t.externalTerminalId));
          expect(rec?.password, `${s.label}: Glase holds terminal ${t.terminalId} but the copy has no password for it`).toBeDefined();
          expect(await site.credentialsWork({ terminalId: t.terminalId, password: rec!.password! }), s.label).toBe(true);
        }
        if (s.confirmed === "assigned") expect(JSON.parse(await readFile(join(s.dir, "terminals", "point-2.json"), "utf8")).seqrId).toBe("PWRCUT1");
        agent.kill("SIGTERM");
        expect(await agent.exit(), s.label).toBe(0);
      } catch (e) {
        throw new Error(`${s.label}: ${(e as Error).message}\n${agent.output.slice(-1500)}`, { cause: e });
      } finally {
        await agent.dispose();
      }
    }
    // 14 boundaries (3 durable writes, 1 durable unlink, 1 directory) collapse to 8 distinct states.
    expect(snapshots.length).toBeGreaterThanOrEqual(10);
    expect(starts).toBeGreaterThanOrEqual(5);
  }, 240_000);
});
