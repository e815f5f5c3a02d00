// The documented install, run as the unit would run it (unit-sandbox.ts reads the unit file):
// the production bundle with the unit's node flags as the unit's user, under ProtectSystem=strict
// with the drop-in `glase-agent config unit-dropin` writes, and under the unit's system-call
// filter enforced (every denied call fails with EPERM). A whole simulated station runs there —
// customers paying, receipts to a file printer, an Invoice Service payment, metrics, the
// technician sockets — so a change of the filter or the hardening that breaks the service fails
// here. A technician who is only in the technician group is served on status.sock, an outsider
// is refused, and a status group the agent's user is not in fails the start at once.
import { execFile, execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { parseConfig } from "../../agent/config/load.ts";
import { classFromName } from "../../agent/config/device-allow.ts";
import { unitDropin } from "../../agent/config/unit-dropin.ts";
import { freePort } from "../support/free-port.ts";
import { eventually } from "./agent-process.ts";
import { NotifyListener } from "./notify-listener.ts";
import { deniedAttempts, readUnit, sandboxTools, spawnAs, spawnSandboxed, TestAccounts } from "./unit-sandbox.ts";

const exec = promisify(execFile);
const ROOT = resolve(".");
// The checkout is shown to the test users by a bind mount, so its own mode must let them in
// (its parents' need not: nothing outside the test's namespace changes).
const skip = sandboxTools() ?? ((statSync(ROOT).mode & 0o005) !== 0o005 ? "needs a checkout directory others may read" : undefined);

/**
 * Denied calls the agent may attempt and must survive (the unit denies them on purpose); any
 * other denied call is a finding — either the filter must allow it or the code must not need it.
 */
const TOLERATED: Record<string, string> = {
  // V8 probes memory protection keys (PKU) for its JIT pages and works without them when refused.
  pkey_alloc: "V8's memory-protection-key probe; code space is protected without keys",
  // libuv (on kernels where it tries io_uring for file I/O) falls back to its thread pool.
  io_uring_setup: "libuv's io_uring probe; falls back to the thread pool",
};

let accounts: TestAccounts | undefined;
let work: string;
let bundle: string;
let outDir: string;
/** The checkout as the test users see it: bound read-only into their mount namespace (no mode of its parents changes). */
let checkout: string;
let binds: Array<{ from: string; to: string }> = [];
// This run's accounts (gtp<pid>-…): never an existing user or group.
const agentUser = `gtp${process.pid}-agent`;
const techGroup = `gtp${process.pid}-tech`;
const techUser = `gtp${process.pid}-tk`;
const outsider = `gtp${process.pid}-out`;
let dirs: { state: string; run: string; spool: string; trace: string; etc: string };
let notify: NotifyListener;
let agent: ChildProcess | undefined;
let output: () => string = () => "";
let agentExit: Promise<number | null>;
let metricsPort: number;
const unit = readUnit();
const nodeFlags = (/^ExecStart=\S+ (.*?)\s*\S+\/glase-agent\.mjs /m.exec(unit.text)?.[1] ?? "").split(" ").filter(Boolean);
const unitEnv = Object.fromEntries(unit.values("Environment").map((e) => [e.split("=")[0]!, e.slice(e.indexOf("=") + 1)]));

async function owned(path: string, mode: number, user = agentUser, group = user): Promise<string> {
  await mkdir(path, { recursive: true });
  await chown(path, Number(execFileSync("id", ["-u", user], { encoding: "utf8" })), Number(execFileSync("getent", ["group", group], { encoding: "utf8" }).split(":")[2]));
  await chmod(path, mode);
  return path;
}

/** `glase-agent …` (the bundle) as another user, as a technician would type it. */
function runAs(user: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawnAs({ user, binds, argv: [process.execPath, bundle, ...args] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code: code ?? 1, stdout, stderr })));
}

async function stationConfig(statusGroup: string): Promise<string> {
  const doc = parse(await readFile("config/simulated-station.yaml", "utf8"));
  doc.sockets = { statusGroup };
  doc.devices.printer = { kind: "file", path: join(dirs.spool, "receipts.prn"), width: 58 };
  doc.metrics = { host: "127.0.0.1", port: metricsPort };
  doc.simulation.customers.meanIntervalS = 3;
  // The unit's sandbox, not kiosks: the simulated station's car-wash API (a socket beside the
  // checkout) and vending machine (a socat pty) are left out (test/kiosk/ tests them).
  const kioskPoints = new Set(doc.points.filter((p: { kind: string }) => p.kind === "kiosk").map((p: { id: number }) => p.id));
  doc.points = doc.points.filter((p: { id: number }) => !kioskPoints.has(p.id));
  doc.devices.controllers = doc.devices.controllers.filter((c: { driver: string }) => c.driver !== "kiosk-api" && c.driver !== "mdb");
  const secretFile = join(dirs.etc, "issuer.secret");
  await writeFile(secretFile, "installed-unit-issuer-secret\n");
  await chown(secretFile, Number(execFileSync("id", ["-u", agentUser], { encoding: "utf8" })), 0);
  await chmod(secretFile, 0o600);
  const tokenFile = join(dirs.etc, "notification.token");
  await writeFile(tokenFile, "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978\n");
  await chown(tokenFile, Number(execFileSync("id", ["-u", agentUser], { encoding: "utf8" })), 0);
  await chmod(tokenFile, 0o600);
  const invoicePort = await freePort();
  doc.invoiceService = { issuerName: "unit-kiosk", secretFile, notificationTokenFile: tokenFile, listen: `127.0.0.1:${invoicePort}`, publicUrl: `http://127.0.0.1:${invoicePort}/glase/notify` };
  const file = join(dirs.etc, `config-${statusGroup}.yaml`);
  await writeFile(file, stringify(doc));
  await chmod(file, 0o640);
  await chown(file, 0, Number(execFileSync("getent", ["group", agentUser], { encoding: "utf8" }).split(":")[2]));
  return file;
}

function startAgent(configFile: string, trace: boolean): { child: ChildProcess; exit: Promise<number | null>; output: () => string } {
  const dropin = unitDropin(parseConfig(parse(readFileSync(configFile, "utf8"))).config, (p) => (classFromName(p) ? { allow: classFromName(p)!, node: p } : { problem: "not a known device name" }));
  const child = spawnSandboxed({
    user: agentUser,
    readWrite: [dirs.state, dirs.run, dirs.trace, ...dropin.readWritePaths.map((p) => p.path)],
    ...(trace ? { traceLog: join(dirs.trace, "denied.log") } : {}),
    umask: unit.value("UMask"),
    binds,
    env: {
      PATH: "/usr/bin:/bin",
      ...unitEnv,
      STATE_DIRECTORY: dirs.state,
      RUNTIME_DIRECTORY: dirs.run,
      NOTIFY_SOCKET: notify.path,
      WATCHDOG_USEC: "30000000",
    },
    argv: [process.execPath, ...nodeFlags, bundle, "run", "--config", configFile],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, exit, output: () => output };
}

beforeAll(async () => {
  if (skip) return;
  try {
    accounts = new TestAccounts();
    accounts.group("tech");
    accounts.user("agent", [techGroup]);
    accounts.user("tk", [techGroup]);
    accounts.user("out");
    const cache = join(ROOT, "node_modules", ".cache");
    await mkdir(cache, { recursive: true });
    outDir = await mkdtemp(join(cache, "glase-unit-test-"));
    await exec(process.execPath, ["scripts/build.mjs", "--outdir", outDir], { cwd: ROOT });
    execFileSync("chmod", ["-R", "a+rX", outDir]);
    work = await mkdtemp(join(tmpdir(), "glase-unit-"));
    await chmod(work, 0o755); // under /tmp (1777): every user can reach it
    checkout = join(work, "checkout");
    await mkdir(checkout);
    binds = [{ from: ROOT, to: checkout }];
    bundle = join(checkout, relative(ROOT, outDir), "glase-agent.mjs");
    const mode = (key: string) => Number.parseInt(unit.value(key)!, 8);
    dirs = {
      state: await owned(join(work, "var-lib-glase-agent"), mode("StateDirectoryMode")),
      run: await owned(join(work, "run-glase-agent"), mode("RuntimeDirectoryMode")),
      spool: await owned(join(work, "spool"), 0o750),
      trace: await owned(join(work, "trace"), 0o700),
      etc: await owned(join(work, "etc-glase-agent"), mode("ConfigurationDirectoryMode"), "root", agentUser),
    };
    notify = await NotifyListener.open();
    await chmod(dirname(notify.path), 0o755);
    await chmod(notify.path, 0o777);
    metricsPort = await freePort();
    const config = await stationConfig(techGroup);
    const started = startAgent(config, true);
    agent = started.child;
    agentExit = started.exit;
    output = started.output;
  } catch (e) {
    await cleanup(); // a failed set-up leaves no account or directory behind
    throw e;
  }
}, 240_000);

async function cleanup(): Promise<void> {
  if (agent && agent.exitCode === null) agent.kill("SIGKILL");
  await notify?.close().catch(() => undefined);
  if (work) await rm(work, { recursive: true, force: true }).catch(() => undefined);
  if (outDir) await rm(outDir, { recursive: true, force: true }).catch(() => undefined);
  accounts?.remove();
}

afterAll(async () => {
  if (skip) return;
  await cleanup();
});

describe.skipIf(skip !== undefined)(`the installed unit (${skip ?? "root, strace, unshare, setpriv"})`, () => {
  it("starts under the unit's user, ProtectSystem=strict and system-call filter: READY", async () => {
    await Promise.race([
      notify.waitFor((m) => m.fields.READY === "1", 120_000),
      agentExit.then((code) => {
        throw new Error(`agent exited (${code}) before READY:\n${output().slice(-4000)}`);
      }),
    ]);
  }, 150_000);

  it("serves a technician who is only in the technician group on status.sock, and refuses an outsider", async () => {
    const status = await runAs(techUser, ["ctl", "status", "--json", "--socket-dir", dirs.run]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ station: "Glase Demo Station", phase: "running" });
    const admin = await runAs(techUser, ["ctl", "stop-point", "--point", "1", "--socket-dir", dirs.run]);
    expect(admin.code).not.toBe(0);
    expect(admin.stderr).toMatch(/permission denied/);
    for (const cmd of [["ctl", "status"], ["ctl", "stop-point", "--point", "1"]]) {
      const out = await runAs(outsider, [...cmd, "--socket-dir", dirs.run]);
      expect(out.code, out.stdout).not.toBe(0);
      expect(out.stderr).toMatch(/permission denied/);
    }
  }, 60_000);

  it("takes payments: customers pay and their receipts reach the file printer (ReadWritePaths from the drop-in)", async () => {
    const flows = await eventually(
      async () => {
        const r = await runAs(techUser, ["ctl", "flows", "--all", "--json", "--socket-dir", dirs.run]);
        const list = r.code === 0 ? (JSON.parse(r.stdout) as Array<{ outcome?: string }>) : [];
        return list.filter((f) => f.outcome === "paid").length >= 2 ? list : undefined;
      },
      120_000,
      "two paid customers",
    );
    expect(flows.length).toBeGreaterThanOrEqual(2);
    await eventually(async () => (await readFile(join(dirs.spool, "receipts.prn"), "latin1").catch(() => "")).includes("Glase payment"), 30_000, "a printed receipt");
  }, 150_000);

  it("releases an Invoice Service payment (details fetched with fetch(), journal, printer)", async () => {
    const issued = await runAs(agentUser, ["ctl", "issue-invoice", "49.00", "Car wash", "UNIT-0001", "--json", "--socket-dir", dirs.run]);
    expect(issued.code, issued.stderr).toBe(0);
    const { qr } = JSON.parse(issued.stdout) as { qr: string };
    const status = JSON.parse((await runAs(techUser, ["ctl", "status", "--json", "--socket-dir", dirs.run])).stdout) as { devices: Array<{ device: string; detail?: string }> };
    const simBase = new URL(status.devices.find((d) => d.device === "glase")!.detail!).origin;
    const pay = await fetch(`${simBase}/__sim/invoice/pay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ qr }) });
    expect(pay.status).toBe(200);
    await eventually(
      async () => {
        const r = await runAs(techUser, ["ctl", "invoices", "--json", "--socket-dir", dirs.run]);
        return r.code === 0 && (JSON.parse(r.stdout) as { invoices: Array<{ reference: string; state: string }> }).invoices.some((i) => i.reference === "UNIT-0001" && i.state === "released");
      },
      60_000,
      "the invoice released",
    );
  }, 90_000);

  it("answers metrics, and stays well inside MemoryMax and TasksMax", async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("process_resident_memory_bytes");
    const { pid } = JSON.parse((await runAs(techUser, ["ctl", "status", "--json", "--socket-dir", dirs.run])).stdout) as { pid: number };
    const proc = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(proc)![1]);
    const threads = Number(/^Threads:\s+(\d+)/m.exec(proc)![1]);
    const bytes = (v: string) => Number(/^(\d+)M$/.exec(v)![1]) * 1024 * 1024;
    console.log(`installed unit: agent RSS ${(rssKiB / 1024).toFixed(0)} MiB (MemoryHigh ${unit.value("MemoryHigh")}, MemoryMax ${unit.value("MemoryMax")}), ${threads} threads (TasksMax ${unit.value("TasksMax")})`);
    expect(rssKiB * 1024).toBeLessThan(bytes(unit.value("MemoryHigh")!) / 1.5);
    expect(threads).toBeLessThan(Number(unit.value("TasksMax")) / 2);
  }, 30_000);

  it("stops on SIGTERM with exit 0, having attempted no denied system call but the tolerated ones", async () => {
    const { pid } = JSON.parse((await runAs(techUser, ["ctl", "status", "--json", "--socket-dir", dirs.run])).stdout) as { pid: number };
    process.kill(pid, "SIGTERM");
    expect(await agentExit).toBe(0);
    const denied = deniedAttempts(join(dirs.trace, "denied.log"));
    console.log(`installed unit: denied system calls attempted: ${[...denied].map(([c, n]) => `${c}×${n}`).join(", ") || "none"}`);
    const unexpected = [...denied.keys()].filter((c) => !(c in TOLERATED));
    expect(unexpected, `denied by the unit's SystemCallFilter and attempted:\n${output().slice(-3000)}`).toEqual([]);
  }, 200_000);

  it("fails the start at once, naming the cause, when its user is not in the status group (chown EPERM)", async () => {
    const config = await stationConfig(outsider);
    const run = startAgent(config, false);
    const timer = setTimeout(() => run.child.kill("SIGKILL"), 30_000);
    const code = await run.exit;
    clearTimeout(timer);
    expect(code, run.output()).toBe(78);
    const errors = run.output().split("\n").filter((l) => /\bERROR\b/.test(l));
    expect(errors, errors.join("\n")).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`start-failed code=CONFIG_INVALID .*cannot give .*status\\.sock to group ${outsider}: EPERM .*must be a member of group ${outsider}`));
  }, 60_000);
});
