// The operator's tools against a real `glase-agent run` (the simulated station, no background
// customers): the alerting hook hears the station's start alarm and reaches a webhook that fails
// twice first (bearer token in the header, nowhere in the agent's output); `ctl points` says why a
// point is out of service and who stopped one, a stop survives a reload, resume-point undoes it;
// `doctor` names the broken credentials and prints its test page through the agent; `ctl backup`
// copies the journal while the agent runs.
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBackup } from "../../agent/backup/archive.ts";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import { AgentProcess, eventually } from "./agent-process.ts";
import { writeStationConfig } from "./station-config.ts";

const exec = promisify(execFile);
const TOKEN = "op-daemon-token-7f3a9c";
let dir: string;
let agent: AgentProcess;
let receiver: Server;
let configFile: string;
const hits: Array<{ auth?: string; body: any }> = [];
let failuresLeft = 2;
let delivered: () => void;
const deliveredOnce = new Promise<void>((r) => (delivered = r));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(process.execPath, ["bin/glase-agent.js", ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}
const ctl = (...args: string[]) => cli("ctl", ...args, "--socket-dir", join(dir, "run"));
/** In-process request (the CLI's own behaviour is tested elsewhere; a spawn costs a second). */
async function ask<T>(admin: boolean, cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  const c = await ControlClient.connect(join(dir, "run", admin ? "admin.sock" : "status.sock"));
  try {
    return await c.request<T>(cmd, args);
  } finally {
    c.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-operator-"));
  receiver = createServer((req, res) => {
    let data = "";
    req.on("data", (d) => (data += d));
    req.on("end", () => {
      hits.push({ auth: req.headers.authorization, body: JSON.parse(data) });
      if (failuresLeft-- > 0) return res.writeHead(503).end();
      res.writeHead(204).end();
      delivered();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  const tokenFile = join(dir, "alerts.token");
  await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  configFile = await writeStationConfig(dir, (doc) => {
    doc.alerts = { webhook: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`, bearerTokenFile: tokenFile }, retryBaseMs: 50, retryMaxMs: 200 };
    // Point 5's credentials file is missing: it starts out of service with an alarm.
    doc.points[4].terminal = { credentialsFile: join(dir, "missing-point-5.json") };
  });
  agent = await AgentProcess.start(configFile);
  await agent.ready();
}, 120_000);

afterAll(async () => {
  await agent?.dispose();
  receiver?.closeAllConnections();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  await rm(dir, { recursive: true, force: true });
});

describe("operator tools on a running agent", () => {
  it("the alerting hook delivers the start alarm after the webhook recovers, with the token, which the log never shows", async () => {
    await deliveredOnce;
    expect(hits).toHaveLength(3);
    expect(hits.every((h) => h.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(new Set(hits.map((h) => h.body.id)).size).toBe(1);
    expect(hits[2]!.body).toMatchObject({ event: "alarm-raised", station: "Glase Demo Station", alarm: { code: "credentials-unusable", point: 5 } });
    const status = await ask<any>(false, "status");
    expect(status.alerts.targets[0]).toMatchObject({ target: "webhook", delivered: 1, queued: 0, dropped: 0 });
    expect(agent.output).toContain("alert-retry");
    expect(agent.output).not.toContain(TOKEN);
  });

  it("ctl points says why a point is out of service and who stopped one; a stop survives a reload; resume-point undoes it", async () => {
    type Points = Array<{ point: number; state: string; outOfService?: { cause: string; detail: string; by?: string } }>;
    const before = await ask<Points>(false, "points");
    expect(before.find((p) => p.point === 5)?.outOfService).toMatchObject({ cause: "credentials-unusable" });
    expect(before.find((p) => p.point === 1)?.outOfService).toBeUndefined();

    expect((await ctl("stop-point", "--point", "2")).code).toBe(0);
    const table = (await ctl("points")).stdout;
    expect(table).toMatch(/^2\s+fuel\s+stopped\s.*stopped by /m);
    expect(table).toMatch(/^point 2 \(stopped\): stopped by .* on admin\.sock; `glase-agent ctl resume-point --point 2`/m);

    const from = agent.notify.messages.length;
    agent.kill("SIGHUP");
    await agent.notify.waitFor((m) => m.fields.READY === "1", 60_000, from);
    const reloaded = await ask<Points>(false, "points");
    expect(reloaded.find((p) => p.point === 2)).toMatchObject({ state: "stopped", outOfService: { cause: "stopped", by: expect.stringContaining("admin.sock") } });

    expect(await ask(true, "resume-point", { point: 2 })).toEqual({ point: 2, wasStopped: true });
    const after = await ask<Points>(false, "points");
    expect(after.find((p) => p.point === 2)).toMatchObject({ state: "idle" });
    expect(after.find((p) => p.point === 2)?.outOfService).toBeUndefined();
    const journal = await ask<Array<{ input: string; state: string }>>(false, "journal", { n: 40 });
    expect(journal.some((e) => /^admin resume-point point=2 by .* on admin\.sock$/.test(e.input) && e.state === "admin-done")).toBe(true);
  }, 90_000);

  it("doctor names the missing credentials (exit 6) and prints its test page through the agent", async () => {
    const r = await cli("doctor", "--config", configFile, "--print-test", "--json", "--socket-dir", join(dir, "run"));
    expect(r.code).toBe(6);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ check: string; status: string; detail: string; fix?: string }> };
    expect(report.ok).toBe(false);
    const byName = new Map(report.checks.map((c) => [c.check, c]));
    expect(byName.get("secret points[4].terminal.credentialsFile")).toMatchObject({ status: "fail", fix: expect.stringContaining("chmod 600") });
    expect(byName.get("agent")).toMatchObject({ status: "ok" });
    expect(byName.get("journal")).toMatchObject({ status: "ok" });
    expect(byName.get("controller")).toMatchObject({ status: "ok" });
    expect(byName.get("test print")).toMatchObject({ status: "ok" });
    const printed = await eventually(async () => {
      for (const f of await readdir(join(dir, "receipts")).catch(() => [] as string[])) {
        const text = await readFile(join(dir, "receipts", f), "utf8");
        if (text.includes("TEST PRINT")) return text;
      }
      return undefined;
    }, 20_000, "the test page in the virtual printer's folder");
    expect(printed).toContain("Test print - not a receipt");
  }, 60_000);

  it("ctl backup copies the journal while the agent runs, into one 0600 file a restore accepts", async () => {
    const file = join(dir, "station.tar");
    const r = await ctl("backup", file, "--json");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { bytes: number; files: string[]; journal: { steps: number } };
    expect(out.files).toContain("journal.sqlite");
    // The drivers' store (OCPP/PTS transaction ↔ flow) travels with the journal it refers to (review 3 #3).
    expect(out.files).toContain("drivers.sqlite");
    expect(out.journal.steps).toBeGreaterThan(0);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(file)).size).toBe(out.bytes);
    // The staging copy in the state directory is gone.
    expect((await readdir(join(dir, "state"))).filter((n) => n.startsWith(".backup-"))).toEqual([]);
    expect((await openBackup(file)).manifest.station).toBe("Glase Demo Station");

    // --force (review 11 #10f): never over the live journal or into the state directory; an
    // existing file only with --force, and the refusal says what --force does.
    const journal = join(dir, "state", "journal.sqlite");
    const before = await stat(journal);
    for (const target of [journal, `${journal}-wal`, join(dir, "state", "copy.tar")]) {
      const refused = await ctl("backup", target, "--force");
      expect(refused.code, `${target}: ${refused.stdout}`).not.toBe(0);
      expect(refused.stderr).toMatch(/live journal|state directory/);
    }
    expect((await stat(journal)).ino).toBe(before.ino);
    expect((await readdir(join(dir, "state"))).filter((n) => n === "copy.tar" || n.startsWith(".backup-"))).toEqual([]);
    const again = await ctl("backup", file);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("--force replaces it");
    const replaced = await ctl("backup", file, "--force");
    expect(replaced.code, replaced.stderr).toBe(0);
    // --force replaces only an old backup (review 2 of issue 11 #3): never the running agent's
    // config, a secret or any other file.
    const config = await readFile(configFile);
    const overConfig = await ctl("backup", configFile, "--force");
    expect(overConfig.code).not.toBe(0);
    expect(overConfig.stderr).toContain("not a glase-agent backup");
    expect(await readFile(configFile)).toEqual(config);
  }, 60_000);
});
