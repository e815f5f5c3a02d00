// Terminal lifecycle through the running daemon: a point without credentials is shown
// unregistered; `glase-agent register` goes through admin.sock (the embedded simulator registers
// the terminal), the agent swaps in an engine that knows it, the credentials are stored 0600;
// `assign-id --from-scanner` takes the sticker from the (virtual) scanner.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import { AgentProcess, eventually } from "./agent-process.ts";
import { writeStationConfig } from "./station-config.ts";

const exec = promisify(execFile);
let dir: string | undefined;
let agent: AgentProcess | undefined;

afterAll(async () => {
  await agent?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("terminal lifecycle through the daemon", () => {
  it("register → engine knows the point; assign-id from the scanner; unregister", async () => {
    dir = await mkdtemp(join(tmpdir(), "glase-term-daemon-"));
    const configFile = await writeStationConfig(dir, (doc) => {
      delete doc.points[4].terminal; // the EV charger is not registered yet
    });
    agent = await AgentProcess.start(configFile);
    await agent.ready();
    const run = join(dir, "run");
    const cli = (...args: string[]) => exec(process.execPath, [resolve("bin/glase-agent.js"), ...args, "--socket-dir", run]);

    expect((await cli("ctl", "points")).stdout).toMatch(/^5\s+ev\s+stopped\s.*\(unregistered\)/m);
    const reg = JSON.parse((await cli("register", "--point", "5", "--config", configFile, "--json")).stdout);
    expect(reg.terminalId).toMatch(/^[0-9a-f]{32}$/);
    expect((await stat(reg.credentialsFile)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(reg.credentialsFile, "utf8"));
    expect(agent.output).not.toContain(stored.password);
    const status = await ControlClient.connect(join(run, "status.sock"));
    await eventually(async () => (await status.request<Array<{ point: number; state: string; terminalId: string }>>("points")).find((p) => p.point === 5 && p.state === "idle" && p.terminalId === reg.terminalId), 30_000, "point 5 idle with its new terminal");

    const assigning = cli("assign-id", "--point", "5", "--from-scanner", "--config", configFile);
    // The command waits for the next scan; scan the sticker's QR through the virtual scanner.
    const admin = await ControlClient.connect(join(run, "admin.sock"));
    let done = false;
    void assigning.finally(() => (done = true));
    await eventually(async () => {
      await admin.request("scan", { text: "HTTP://SEQR.SE/Qglasedemo000555" });
      return done;
    }, 60_000, "assign-id to take the scan");
    expect((await assigning).stdout).toContain("glaseId: glasedemo000555");
    expect(JSON.parse(await readFile(reg.credentialsFile, "utf8")).seqrId).toBe("glasedemo000555");

    await cli("unregister", "--point", "5", "--config", configFile);
    await expect(stat(reg.credentialsFile)).rejects.toThrow();
    await eventually(async () => (await status.request<Array<{ point: number; terminalId: string }>>("points")).find((p) => p.point === 5 && p.terminalId === ""), 30_000, "point 5 unregistered again");
    status.close();
    admin.close();
    agent.kill("SIGTERM");
    expect(await agent.exit()).toBe(0);
  }, 240_000);
});
