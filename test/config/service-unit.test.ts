// `glase-agent register` with the agent stopped resolves the state directory as the installed
// service does: the unit's StateDirectory (under /var/lib) when the config is the one its
// ExecStart runs, read from the unit file and its drop-ins; not the shell's working directory.
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../agent/config/load.ts";
import { resolveCommandPaths } from "../../agent/config/paths.ts";
import { configOfExecStart, readInstalledUnit, serviceContextFor, SHIPPED_UNIT } from "../../agent/config/service-unit.ts";
import { AgentProcess, eventually, Site } from "../durability/site.ts";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-unit-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const minimalConfig = () => parseConfig({ version: 2, station: { name: "S", currency: "SEK" }, glase: { endpoint: "http://127.0.0.1:1/x" }, points: [{ id: 1, kind: "fuel", grades: ["95"], maxPreliminaryMinor: 10_000 }], devices: { dispenser: { kind: "tcp", host: "127.0.0.1", port: 1 } } }).config;

describe("the service's paths", () => {
  it("the built-in defaults are what the shipped unit says", async () => {
    const shipped = readInstalledUnit({ GLASE_AGENT_UNIT: "systemd/glase-agent.service" });
    expect(shipped).toMatchObject({ configFile: SHIPPED_UNIT.configFile, stateDirectory: SHIPPED_UNIT.stateDirectory, workingDirectory: SHIPPED_UNIT.workingDirectory });
  });

  it("reads ExecStart's --config, StateDirectory and WorkingDirectory, with drop-ins in name order (empty resets)", async () => {
    const sys = join(dir, "etc");
    await mkdir(join(sys, "glase-agent.service.d"), { recursive: true });
    await writeFile(join(sys, "glase-agent.service"), "[Unit]\nStateDirectory=wrong-section\n[Service]\nExecStart=/usr/bin/node \\\n  /opt/x.mjs run --config /srv/site.yaml\nStateDirectory=glase-agent\n");
    await writeFile(join(sys, "glase-agent.service.d", "20-state.conf"), "[Service]\nStateDirectory=\nStateDirectory=glase-b other\nWorkingDirectory=/srv\n");
    await writeFile(join(sys, "glase-agent.service.d", "10-first.conf"), "[Service]\nStateDirectory=glase-a\n");
    const unit = readInstalledUnit({}, [sys, join(dir, "none")]);
    expect(unit).toMatchObject({ configFile: "/srv/site.yaml", stateDirectory: "glase-b", workingDirectory: "/srv" });
    expect(configOfExecStart("/usr/bin/node a.mjs run -c /a.yaml")).toBe("/a.yaml");
    expect(configOfExecStart("/usr/bin/node a.mjs run --config=/b.yaml")).toBe("/b.yaml");
  });

  it("resolves to the unit's StateDirectory for the service's config, to the working directory otherwise", async () => {
    const config = minimalConfig();
    const siteConfig = join(dir, "site.yaml");
    await writeFile(siteConfig, "");
    const unit = join(dir, "glase-agent.service");
    await writeFile(unit, `[Service]\nExecStart=/usr/bin/node /opt/glase-agent/dist/glase-agent.mjs run --config ${siteConfig}\nStateDirectory=glase-agent\n`);
    const env = { GLASE_AGENT_UNIT: unit };
    expect(resolveCommandPaths(config, siteConfig, env, "/home/tech").terminalsDir).toBe("/var/lib/glase-agent/terminals");
    expect(resolveCommandPaths(config, join(dir, "other.yaml"), env, "/home/tech").terminalsDir).toBe("/home/tech/.glase/state/terminals");
    // Under systemd (and an explicit stateDir) nothing changes.
    expect(resolveCommandPaths(config, siteConfig, { ...env, STATE_DIRECTORY: "/x" }, "/home/tech").stateDir).toBe("/x");
    expect(resolveCommandPaths({ ...config, stateDir: "/y" }, siteConfig, env, "/home/tech").stateDir).toBe("/y");
    // No unit installed: the shipped unit's config path is the service's.
    expect(serviceContextFor("/etc/glase-agent/config.yaml", {}, { searchPath: [join(dir, "none")] })?.env.STATE_DIRECTORY).toBe("/var/lib/glase-agent");
  });

  it("refuses to guess for a masked unit or one without StateDirectory= (it would write to /.glase/state)", async () => {
    const config = minimalConfig();
    const masked = join(dir, "masked", "glase-agent.service");
    await mkdir(dirname(masked), { recursive: true });
    await symlink("/dev/null", masked);
    expect(readInstalledUnit({ GLASE_AGENT_UNIT: masked })).toMatchObject({ masked: true });
    const shipped = "/etc/glase-agent/config.yaml";
    expect(() => resolveCommandPaths(config, shipped, { GLASE_AGENT_UNIT: masked }, "/home/tech")).toThrow(/masked.*systemctl unmask glase-agent.*stateDir/);
    const bare = join(dir, "bare.service");
    await writeFile(bare, `[Service]\nExecStart=/usr/bin/node /opt/glase-agent/dist/glase-agent.mjs run --config ${shipped}\n`);
    expect(() => resolveCommandPaths(config, shipped, { GLASE_AGENT_UNIT: bare }, "/home/tech")).toThrow(/no StateDirectory=/);
    // An explicit stateDir needs no unit to say where.
    expect(resolveCommandPaths({ ...config, stateDir: "/srv/state" }, shipped, { GLASE_AGENT_UNIT: masked }, "/home/tech").stateDir).toBe("/srv/state");
  });

  it.skipIf(process.getuid?.() !== 0)("register run by root from another directory writes into the service's StateDirectory (a link to the data partition), and the service — as its own user — finds it", async () => {
    const site = await Site.open();
    const name = `glase-agent-test-${process.pid}`;
    const stateLink = join("/var/lib", name);
    try {
      await chmod(site.dir, 0o755); // the service's user must reach its config and sockets here
      const config = await site.config("svc", join(site.dir, "placeholder"));
      // The site config as installed: no stateDir of its own (the service gets STATE_DIRECTORY).
      const text = (await readFile(config, "utf8")).replace(/^stateDir:.*\n/m, "");
      await writeFile(config, text);
      await chmod(config, 0o644);
      const unit = join(site.dir, "glase-agent.service");
      await writeFile(unit, `[Service]\nExecStart=/usr/bin/node /opt/glase-agent/dist/glase-agent.mjs run --config ${config}\nStateDirectory=${name}\n`);
      // The state directory the service's user owns, on the data partition, linked from /var/lib.
      const real = join(site.dir, "data", name);
      await mkdir(real, { recursive: true, mode: 0o700 });
      await chmod(join(site.dir, "data"), 0o755);
      await chown(real, 65534, 65534);
      await symlink(real, stateLink);
      const sockets = site.socketDir("svc", join(site.dir, "placeholder"));
      await mkdir(sockets, { mode: 0o750 });
      await chown(sockets, 65534, 65534);
      const elsewhere = join(site.dir, "home");
      await mkdir(elsewhere);
      const reg = await site.cli(["register", "--point", "2", "--config", config, "--socket-dir", join(site.dir, "none"), "--json"], { cwd: elsewhere, env: { GLASE_AGENT_UNIT: unit } });
      expect(reg.code, reg.stderr).toBe(0);
      const { credentialsFile, terminalId } = JSON.parse(reg.stdout);
      expect(credentialsFile).toBe(join(stateLink, "terminals", "point-2.json"));
      expect(await stat(credentialsFile)).toMatchObject({ uid: 65534, gid: 65534 });
      expect((await stat(credentialsFile)).mode & 0o777).toBe(0o600);
      expect(await stat(join(real, "terminals"))).toMatchObject({ uid: 65534, gid: 65534 });
      expect((await stat(join(real, "terminals"))).mode & 0o777).toBe(0o700);
      await expect(stat(join(elsewhere, ".glase"))).rejects.toThrow();
      // The service, as systemd starts it: its own user, STATE_DIRECTORY set, working directory /.
      const agent = await AgentProcess.start(config, { STATE_DIRECTORY: stateLink }, { user: { uid: 65534, gid: 65534 } });
      try {
        await agent.ready(60_000);
        const status = await ControlClient.connect(join(sockets, "status.sock"));
        await eventually(async () => (await status.request<Array<{ point: number; state: string; terminalId: string }>>("points")).find((p) => p.point === 2 && p.state === "idle" && p.terminalId === terminalId), 30_000, "point 2 in service");
        status.close();
        agent.kill("SIGTERM");
        expect(await agent.exit()).toBe(0);
      } finally {
        await agent.dispose();
      }
    } finally {
      await rm(stateLink, { force: true });
      await site.close();
    }
  }, 120_000);

  it.skipIf(process.getuid?.() !== 0)("root's register acts with the service user's rights in its directory: a link planted there to a root-only directory gets nothing written into it", async () => {
    const site = await Site.open();
    try {
      await chmod(site.dir, 0o755);
      const state = join(site.dir, "svc-state");
      await mkdir(state, { mode: 0o700 });
      await chown(state, 65534, 65534);
      const rootOnly = join(site.dir, "root-only");
      await mkdir(rootOnly, { mode: 0o700 });
      // What the service user can do in its own directory: terminals/ is a link to root's directory.
      await symlink(rootOnly, join(state, "terminals"));
      const config = await site.config("linked", state);
      const reg = await site.cli(["register", "--point", "2", "--config", config, "--socket-dir", join(site.dir, "none"), "--json"]);
      expect(reg.code).not.toBe(0);
      expect(reg.stderr).toMatch(/EACCES/);
      expect(await readdir(rootOnly)).toEqual([]);
      expect(site.sim.sim.dump().terminals.filter((t) => t.externalTerminalId?.includes("Pump 2"))).toEqual([]);
    } finally {
      await site.close();
    }
  }, 60_000);
});
