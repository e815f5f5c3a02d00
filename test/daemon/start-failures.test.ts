// A start that cannot succeed fails fast: the real `glase-agent run` with a config that breaks one
// start-up step exits non-zero within seconds, logs exactly one error line naming the cause, and
// leaves no socket behind — instead of listening without READY until systemd's start timeout.
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeNotificationToken, writeStationConfig } from "./station-config.ts";

let dir: string;
const servers: Server[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-startfail-"));
});
afterAll(async () => {
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

interface Exit {
  readonly code: number | null;
  readonly output: string;
  readonly ms: number;
}

/** Runs the agent until it exits (fails the test after 30 s: a hang is the bug). */
function runToExit(configFile: string): Promise<Exit> {
  const started = Date.now();
  const child = spawn(process.execPath, ["bin/glase-agent.js", "run", "--config", configFile], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GLASE_LOG_LEVEL: "info" } });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the agent did not exit within 30 s (hangs instead of failing fast):\n${output.slice(-2000)}`));
    }, 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

async function occupied(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

async function caseDir(name: string): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  return d;
}

/** The one error line, and that nothing was left listening. */
async function expectFastFailure(exit: Exit, sub: string, status: number, cause: RegExp): Promise<void> {
  expect(exit.code, exit.output).toBe(status);
  expect(exit.ms).toBeLessThan(20_000);
  const errors = exit.output.split("\n").filter((l) => /\bERROR\b/.test(l));
  expect(errors, exit.output).toHaveLength(1);
  expect(errors[0]).toMatch(/ daemon start-failed /);
  expect(errors[0]).toMatch(cause);
  expect(exit.output).not.toMatch(/\n\s+at /); // no stack trace spilled
  const left = await readdir(join(sub, "run")).catch(() => [] as string[]);
  expect(left.filter((f) => f.endsWith(".sock"))).toEqual([]);
}

describe("start-up failures exit at once with one line naming the cause", () => {
  it("a status group that does not exist (exit 78: the configuration)", async () => {
    const sub = await caseDir("group");
    const config = await writeStationConfig(sub, (doc) => (doc.sockets = {}));
    const patched = config.replace("station.yaml", "station-group.yaml");
    const { readFile } = await import("node:fs/promises");
    await writeFile(patched, (await readFile(config, "utf8")).replace(/sockets:\n(\s+)dir: (.*)\n/, "sockets:\n$1dir: $2\n$1statusGroup: no-such-group-xyz\n"));
    await expectFastFailure(await runToExit(patched), sub, 78, /code=CONFIG_INVALID .*sockets\.statusGroup: no group named 'no-such-group-xyz'/);
  }, 60_000);

  it("the metrics port is in use", async () => {
    const sub = await caseDir("metrics");
    const port = await occupied();
    const config = await writeStationConfig(sub);
    const { readFile } = await import("node:fs/promises");
    const withMetrics = join(sub, "metrics.yaml");
    await writeFile(withMetrics, (await readFile(config, "utf8")) + `metrics:\n  host: 127.0.0.1\n  port: ${port}\n`);
    await expectFastFailure(await runToExit(withMetrics), sub, 1, new RegExp(`EADDRINUSE.*${port}|${port}.*EADDRINUSE`));
  }, 60_000);

  it("the Invoice Service endpoint's port is in use", async () => {
    const sub = await caseDir("invoice-port");
    const port = await occupied();
    const secretFile = join(sub, "issuer.secret");
    await writeFile(secretFile, "s3cret\n", { mode: 0o600 });
    const tokenFile = await writeNotificationToken(sub);
    const config = await writeStationConfig(sub, (doc) => {
      doc.invoiceService = { issuerName: "demo-kiosk", secretFile, notificationTokenFile: tokenFile, listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}/glase/notify` };
    });
    await expectFastFailure(await runToExit(config), sub, 1, /EADDRINUSE/);
  }, 60_000);

  it("a secret file the agent must refuse (group/world readable)", async () => {
    const sub = await caseDir("secret");
    const secretFile = join(sub, "issuer.secret");
    await writeFile(secretFile, "s3cret\n");
    await chmod(secretFile, 0o644);
    const config = await writeStationConfig(sub, (doc) => {
      doc.invoiceService = { issuerName: "demo-kiosk", secretFile, notificationTokenFile: join(sub, "notification.token"), listen: `127.0.0.1:${0}`, publicUrl: "http://127.0.0.1:1/glase/notify" };
    });
    await expectFastFailure(await runToExit(config), sub, 78, /issuer\.secret: mode 0644/);
  }, 60_000);

  it("a secret file that cannot be read (exit 78, naming its config key)", async () => {
    const sub = await caseDir("secret-missing");
    const config = await writeStationConfig(sub, (doc) => {
      doc.invoiceService = { issuerName: "demo-kiosk", secretFile: join(sub, "no-such.secret"), notificationTokenFile: join(sub, "notification.token"), listen: "127.0.0.1:0", publicUrl: "http://127.0.0.1:1/glase/notify" };
    });
    await expectFastFailure(await runToExit(config), sub, 78, /code=CONFIG_INVALID .*invoiceService\.secretFile .*no-such\.secret: cannot read \(ENOENT\)/);
  }, 60_000);

  it("a notification token too weak to keep strangers out (exit 78, naming its config key)", async () => {
    const sub = await caseDir("token-weak");
    const secretFile = join(sub, "issuer.secret");
    await writeFile(secretFile, "s3cret\n", { mode: 0o600 });
    const tokenFile = await writeNotificationToken(sub, "1234");
    const config = await writeStationConfig(sub, (doc) => {
      doc.invoiceService = { issuerName: "demo-kiosk", secretFile, notificationTokenFile: tokenFile, listen: "127.0.0.1:0", publicUrl: "http://127.0.0.1:1/glase/notify" };
    });
    const exit = await runToExit(config);
    await expectFastFailure(exit, sub, 78, /invoiceService\.notificationTokenFile .*notification\.token: the token must be 32–128 letters/);
    expect(exit.output).not.toMatch(/\b1234\b/); // the (weak) token is still a secret
  }, 60_000);

  it("a journal that cannot be opened", async () => {
    const sub = await caseDir("journal");
    await writeFile(join(sub, "not-a-dir"), "");
    const config = await writeStationConfig(sub, (doc) => (doc.journal = { path: join(sub, "not-a-dir", "journal.sqlite") }));
    await expectFastFailure(await runToExit(config), sub, 1, /code=JOURNAL_FAILED .*journal open failed/);
  }, 60_000);

  it("a socket directory the status group cannot reach", async () => {
    const sub = await caseDir("sockdir");
    await mkdir(join(sub, "run"), { mode: 0o750 });
    await chmod(join(sub, "run"), 0o750);
    const config = await writeStationConfig(sub);
    const { readFile } = await import("node:fs/promises");
    const patched = join(sub, "sockdir.yaml");
    // gid 0's own directory is reachable; pick another group: the first non-root one in /etc/group.
    const gid = (await readFile("/etc/group", "utf8")).split("\n").map((l) => l.split(":")[2]).find((g) => g !== undefined && g !== "0")!;
    await writeFile(patched, (await readFile(config, "utf8")).replace(/sockets:\n(\s+)dir: (.*)\n/, `sockets:\n$1dir: $2\n$1statusGroup: "${gid}"\n`));
    await expectFastFailure(await runToExit(patched), sub, 78, /cannot reach status\.sock; make it 0755 \(RuntimeDirectoryMode=0755\)/);
  }, 60_000);
});
