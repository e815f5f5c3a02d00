// The production build (`npm run build` → scripts/build.mjs): the bundle must run on its own, not
// just compile — its lazily imported parts (simulator, virtual devices, CLI commands) are chunks,
// the Glase client reads its XSD relative to the bundle, unix-dgram is required at run time. So
// the bundle built here runs `--help`, `config check` and the shipped simulated station until a
// customer has paid and a receipt is printed, then stops on SIGTERM.
import { execFile, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import { freePort } from "../support/free-port.ts";
import { eventually } from "./agent-process.ts";
import { NotifyListener } from "./notify-listener.ts";

const exec = promisify(execFile);
const ROOT = resolve(".");
const CONFIG = join(ROOT, "config", "simulated-station.yaml");
// Packages stay external to the bundle, so it must live where the checkout's node_modules resolve.
const CACHE = join(ROOT, "node_modules", ".cache");
let outDir: string;
let bundle: string;
const work: string[] = [];

beforeAll(async () => {
  await mkdir(CACHE, { recursive: true });
  outDir = await mkdtemp(join(CACHE, "glase-build-test-"));
  const { stdout } = await exec(process.execPath, ["scripts/build.mjs", "--outdir", outDir], { cwd: ROOT });
  bundle = join(outDir, "glase-agent.mjs");
  expect(stdout).toContain(bundle);
}, 120_000);

afterAll(async () => {
  for (const d of [outDir, ...work]) if (d) await rm(d, { recursive: true, force: true });
});

describe("npm run build", () => {
  it("bundles an entry that prints the help", async () => {
    const { stdout } = await exec(process.execPath, [bundle, "--help"]);
    expect(stdout).toMatch(/^Usage: glase-agent <command>/);
    expect(stdout).toMatch(/^\s+run\s+run the agent/m);
  });

  it("validates the shipped configs", async () => {
    const { stdout } = await exec(process.execPath, [bundle, "config", "check", CONFIG]);
    expect(stdout).toContain("simulated-station.yaml: valid");
    const bad = await exec(process.execPath, [bundle, "config", "check", join(ROOT, "package.json")]).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(2);
  });

  it("runs the simulated station with the unit's node flags: READY, a paid customer's receipt, SIGTERM exits 0", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "glase-build-run-"));
    work.push(cwd);
    // The V8/malloc settings of systemd/glase-agent.service: a flag that breaks the agent fails here.
    const unit = readFileSync(join(ROOT, "systemd", "glase-agent.service"), "utf8");
    const flags = (/^ExecStart=\S+ (.*?)\s*\S+\/glase-agent\.mjs /m.exec(unit)?.[1] ?? "").split(" ").filter(Boolean);
    const unitEnv = Object.fromEntries([...unit.matchAll(/^Environment=(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    const notify = await NotifyListener.open();
    // The shipped config on a metrics port of its own: other tests run the shipped station too,
    // and a port in use fails the start.
    const config = join(cwd, "station.yaml");
    writeFileSync(config, readFileSync(CONFIG, "utf8").replace(/^(metrics:\n\s+host: 127\.0\.0\.1\n\s+port: )9464$/m, `$1${await freePort()}`));
    const child = spawn(process.execPath, [...flags, bundle, "run", "--config", config], {
      cwd,
      // GLASE_AGENT_TEST_HOOKS must not switch test hooks on in the production bundle.
      env: { ...process.env, ...unitEnv, NOTIFY_SOCKET: notify.path, GLASE_AGENT_TEST_HOOKS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      await Promise.race([
        notify.waitFor((m) => m.fields.READY === "1", 90_000),
        exited.then((code) => {
          throw new Error(`bundle exited (${code}) before READY:\n${out.slice(-3000)}`);
        }),
      ]);
      // A receipt means the embedded simulator, the Glase client (its XSD), the virtual controller
      // and the ESC/POS printer chain all loaded from the bundle and a sale completed.
      const receipts = join(cwd, ".glase", "receipts");
      const files = await eventually(async () => {
        const list = await readdir(receipts).catch(() => [] as string[]);
        return list.length >= 1 ? list : undefined;
      }, 150_000, `a receipt in ${receipts}\n${out.slice(-2000)}`);
      expect(await readFile(join(receipts, files[0]!), "utf8")).toContain("Glase payment");
      const ctl = await exec(process.execPath, [bundle, "ctl", "points"], { cwd });
      expect(ctl.stdout).toMatch(/^POINT\s+KIND\s+STATE/m);
      const admin = await ControlClient.connect(join(cwd, ".glase", "run", "admin.sock"));
      try {
        await expect(admin.request("debug-block-loop", { ms: 1 })).rejects.toMatchObject({ remoteCode: "NOT_FOUND", message: expect.stringMatching(/never the production bundle/) });
      } finally {
        admin.close();
      }
      expect(out).not.toContain("test-hooks-enabled");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(out).not.toMatch(/ERR_MODULE_NOT_FOUND|ENOENT.*\.xsd/);
    await notify.close();
  }, 300_000);

  it("is what the technicians' PATH wrapper runs, exactly as the unit runs it", async () => {
    const unit = readFileSync(join(ROOT, "systemd", "glase-agent.service"), "utf8");
    const exec0 = /^ExecStart=(\S+) (.*?)\s*(\S+\/dist\/glase-agent\.mjs) run /m.exec(unit)!;
    const wrapper = readFileSync(join(ROOT, "scripts", "glase-agent.sh"), "utf8");
    const line = /^exec (\S+) (.*?) "\$GLASE_AGENT_HOME(\/dist\/glase-agent\.mjs)" "\$@"$/m.exec(wrapper)!;
    const home = /^GLASE_AGENT_HOME="\$\{GLASE_AGENT_HOME:-(\S+)\}"$/m.exec(wrapper)![1];
    // Same node binary, same flags, same bundle, same environment.
    expect([line[1], line[2], `${home}${line[3]}`]).toEqual([exec0[1], exec0[2], exec0[3]]);
    const env = (text: string, re: RegExp) => [...text.matchAll(re)].map((m) => `${m[1]}=${m[2]}`).sort();
    expect(env(wrapper, /^export (\w+)=(\S*)$/gm)).toEqual(env(unit, /^Environment=(\w+)=(\S*)$/gm));
    // And it runs the bundle: a checkout elsewhere through GLASE_AGENT_HOME.
    const home2 = await mkdtemp(join(tmpdir(), "glase-home-"));
    work.push(home2);
    const { symlink } = await import("node:fs/promises");
    await symlink(outDir, join(home2, "dist"));
    const version = await exec("sh", [join(ROOT, "scripts", "glase-agent.sh"), "--version"], { env: { ...process.env, GLASE_AGENT_HOME: home2 } });
    expect(version.stdout).toBe(`glase-agent ${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}\n`);
    const missing = await exec("sh", [join(ROOT, "scripts", "glase-agent.sh"), "--version"], { env: { ...process.env, GLASE_AGENT_HOME: join(home2, "nothing") } }).catch((e: { code: number; stderr: string }) => e);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining("npm run build") });
  });

  it("is what the systemd unit runs; the development bin keeps running the sources", () => {
    const unit = readFileSync(join(ROOT, "systemd", "glase-agent.service"), "utf8");
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node .*\/opt\/glase-agent\/dist\/glase-agent\.mjs run /m);
    const bin = readFileSync(join(ROOT, "bin", "glase-agent.js"), "utf8");
    expect(bin).toContain('import("../agent/cli/entry.ts")');
    expect(bin).not.toMatch(/import\(["'][^"']*dist\//);
  });
});
