// `npm start` + Ctrl-C while virtual cars charge and pumps run: the drain stops every running
// delivery (a charger's RemoteStop, the board's stop) and settles what it metered instead of
// waiting for the cars to be full, so the station stops in seconds (the bound, 150 s, is for a
// real station's customers). Afterwards the journal holds no flow that delivered and was not
// settled: each one is finished paid, or unfinished (recovered at the next start).
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openJournal } from "../../agent/journal/journal.ts";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import { eventually } from "./agent-process.ts";

const ROOT = resolve(".");
let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function points(runDir: string): Promise<Array<{ point: number; kind: string; state: string }>> {
  const c = await ControlClient.connect(join(runDir, "status.sock"));
  try {
    return await c.request("points");
  } finally {
    c.close();
  }
}

it("SIGTERM while EVs charge: stopped within seconds, every delivery settled at what it metered (or journaled for recovery)", async () => {
  await mkdir(join(ROOT, ".glase"), { recursive: true });
  dir = await mkdtemp(join(ROOT, ".glase", "drain-"));
  await symlink(join(ROOT, "bin"), join(dir, "bin"));
  await mkdir(join(dir, "config"));
  // The shipped config; metrics on any free port, customers arriving every second.
  const shipped = await readFile(join(ROOT, "config", "simulated-station.yaml"), "utf8");
  expect(shipped).toMatch(/^flows:\n  drainEndsSessions: true$/m);
  await writeFile(join(dir, "config", "simulated-station.yaml"), shipped.replace(/^(metrics:\n(?:  .*\n)*?  port: )\d+$/m, "$10").replace(/meanIntervalS: \d+/, "meanIntervalS: 1"));
  const child = spawn(process.execPath, ["bin/glase-agent.js", "run", "--config", "config/simulated-station.yaml"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NOTIFY_SOCKET: "" } });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const runDir = join(dir, ".glase", "run");
  try {
    // Both chargers and a pump delivering at once.
    await eventually(async () => {
      const ps = await points(runDir).catch(() => []);
      return ps.filter((p) => p.kind === "ev" && p.state === "delivering").length === 2 && ps.some((p) => p.kind === "fuel" && p.state === "delivering");
    }, 90_000, `both chargers and a pump delivering\n${out.slice(-2000)}`);
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  const t0 = Date.now();
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
  const tookMs = Date.now() - t0;
  expect(out).toContain("daemon stopped signal=SIGTERM");
  expect(out).toMatch(/drain_ends_session/);
  expect(tookMs, out.slice(-3000)).toBeLessThan(20_000);

  const journal = await openJournal({ path: join(dir, ".glase", "state", "journal.sqlite") });
  try {
    const flows = await journal.flows({ kind: "preliminary", limit: 10_000 });
    expect(flows.length).toBeGreaterThan(2);
    for (const f of flows) {
      const s = f.state as { flowId: string; point: number; phase: string; outcome?: string; delivered?: { amountMinor: number }; commitMinor?: number };
      if (!f.finished) continue; // journaled unfinished: the next start recovers it
      if ((s.delivered?.amountMinor ?? 0) > 0) {
        expect(s.outcome, `${s.flowId} delivered ${s.delivered?.amountMinor}`).toBe("paid");
        expect(s.commitMinor, s.flowId).toBe(s.delivered?.amountMinor);
      }
    }
    // The sessions running at the signal were stopped and settled, not left to finish.
    expect(flows.filter((f) => f.finished && (f.state as { technicianStop?: boolean; point: number }).technicianStop && [5, 6].includes((f.state as { point: number }).point)).length).toBeGreaterThanOrEqual(2);
  } finally {
    await journal.close();
  }
}, 180_000);
