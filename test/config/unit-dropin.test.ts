// `glase-agent config unit-dropin` as the installer runs it (docs/install.md §3): the real CLI on
// this machine's /proc/devices and device nodes. A grant names only the device asked for (a major
// shared with the virtual consoles is granted as the node, not as a class), a relative file
// printer path is resolved where the service resolves it, and --write never leaves an empty or
// partial drop-in behind: on any problem (an unplugged device, a config the installer's user
// cannot read) it writes nothing and exits non-zero.
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { charDriversOf, deviceAllowFor } from "../../agent/config/device-allow.ts";

const exec = promisify(execFile);
const ROOT = resolve(".");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-dropin-"));
  await chmod(dir, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A site config with the given devices, written to dir/NAME.yaml. */
async function siteConfig(name: string, devices: Record<string, unknown>): Promise<string> {
  const doc = parse(await readFile("config/simulated-station.yaml", "utf8"));
  const { dispenser, ...rest } = devices;
  doc.devices = { ...doc.devices, ...rest };
  if (dispenser) {
    // The pumps' board on a real link instead of its virtual twin.
    delete doc.devices.controllers[0].virtual;
    doc.devices.controllers[0].link = dispenser;
  }
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, stringify(doc));
  return file;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: string[], opts: { cwd?: string; env?: Record<string, string>; asUser?: { uid: number; gid: number } } = {}): Promise<Run> {
  const argv = [process.execPath, join(ROOT, "bin/glase-agent.js"), "config", "unit-dropin", ...args];
  const [cmd, ...rest] = opts.asUser ? ["setpriv", `--reuid=${opts.asUser.uid}`, `--regid=${opts.asUser.gid}`, "--clear-groups", "--", ...argv] : argv;
  // No installed unit on a test machine decides where relative paths go: name one (or none).
  const env = { ...process.env, GLASE_AGENT_UNIT: join(dir, "no-unit-installed.service"), ...opts.env };
  return exec(cmd!, rest, { cwd: opts.cwd ?? ROOT, env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

const PROC_DEVICES = "Character devices:\n  1 mem\n  4 /dev/vc/0\n  4 tty\n  4 ttyS\n  5 /dev/tty\n188 ttyUSB\n245 hidraw\n\nBlock devices:\n  8 sd\n188 notachar\n";

describe("DeviceAllow= from /proc/devices", () => {
  it("a major of its own is granted as its class; a shared one (4: consoles and UARTs) as the node only", () => {
    expect(charDriversOf(4, PROC_DEVICES)).toEqual(["/dev/vc/0", "tty", "ttyS"]);
    expect(charDriversOf(188, PROC_DEVICES)).toEqual(["ttyUSB"]); // not the block section's 188
    expect(deviceAllowFor("/dev/ttyUSB0", 188, PROC_DEVICES)).toEqual({ allow: "char-ttyUSB" });
    expect(deviceAllowFor("/dev/ttyS0", 4, PROC_DEVICES)).toMatchObject({ allow: "/dev/ttyS0", note: expect.stringContaining("shared by /dev/vc/0, tty, ttyS") });
    expect(deviceAllowFor("/dev/x", 99, PROC_DEVICES)).toBeUndefined();
  });

  const ttyS0 = existsSync("/dev/ttyS0") && statSync("/dev/ttyS0").isCharacterDevice();
  it.skipIf(!ttyS0)("the CLI grants /dev/ttyS0 itself — not char-/dev/vc/0, not every tty", async () => {
    const config = await siteConfig("uart", { dispenser: { kind: "serial", path: "/dev/ttyS0", baudRate: 9600 } });
    const r = await cli([config]);
    expect(r.code, r.stderr).toBe(0);
    const grants = r.stdout.split("\n").filter((l) => l.startsWith("DeviceAllow="));
    expect(grants).toEqual(["DeviceAllow=/dev/ttyS0 rw"]);
  });
});

describe("a file printer's directory", () => {
  it("a relative path resolves against the service's working directory, not the installer's shell", async () => {
    const config = await siteConfig("spool", { printer: { kind: "file", path: "spool/receipts.prn", width: 58 } });
    const shell = await mkdtemp(join(dir, "installer-cwd-"));
    // No unit installed: the shipped unit (WorkingDirectory unset: `/`).
    const shipped = await cli([config], { cwd: shell });
    expect(shipped.code, shipped.stderr).toBe(0);
    expect(shipped.stdout).toContain("\nReadWritePaths=/spool\n");
    expect(shipped.stdout).not.toContain(shell);
    // An installed unit with a WorkingDirectory of its own.
    const unit = join(dir, "glase-agent.service");
    await writeFile(unit, "[Service]\nExecStart=/usr/bin/node /opt/glase-agent/dist/glase-agent.mjs run --config /etc/glase-agent/config.yaml\nWorkingDirectory=/srv/glase\n");
    const installed = await cli([config], { cwd: shell, env: { GLASE_AGENT_UNIT: unit } });
    expect(installed.stdout).toContain("\nReadWritePaths=/srv/glase/spool\n");
  });
});

describe("--write", () => {
  it("writes the drop-in durably, 0644, and says what to run next", async () => {
    const config = await siteConfig("ok", { printer: { kind: "file", path: "/var/spool/glase/receipts.prn", width: 58 } });
    const target = join(dir, "ok.service.d", "site.conf");
    const r = await cli([config, "--write", target]);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(target, "utf8")).toMatch(/^# .*\n\[Service\]\n# devices\.printer\.path .*\nReadWritePaths=\/var\/spool\/glase\n$/s);
    expect((await stat(target)).mode & 0o777).toBe(0o644);
    expect(r.stderr).toContain("systemctl daemon-reload");
  });

  it("a device that is not plugged in: nothing written (an existing drop-in kept), exit non-zero, and it says so", async () => {
    const config = await siteConfig("unplugged", { dispenser: { kind: "serial", path: "/dev/glase-dispenser-not-here", baudRate: 115200 } });
    const fresh = join(dir, "unplugged.service.d", "site.conf");
    const r = await cli([config, "--write", fresh]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/devices\.controllers\[0\]\.link\.path: \/dev\/glase-dispenser-not-here does not exist — is the device unplugged/);
    expect(r.stderr).toContain("not written");
    expect(existsSync(fresh)).toBe(false);
    expect(existsSync(dirname(fresh))).toBe(false);
    // An earlier, good drop-in stays as it was.
    const kept = join(dir, "kept.conf");
    await writeFile(kept, "[Service]\nDeviceAllow=char-ttyUSB rw\n");
    expect((await cli([config, "--write", kept])).code).not.toBe(0);
    expect(await readFile(kept, "utf8")).toBe("[Service]\nDeviceAllow=char-ttyUSB rw\n");
  });

  const asOther = process.getuid?.() === 0 && existsSync("/usr/bin/setpriv") && traversableByOthers(ROOT);
  it.skipIf(!asOther)("run without sudo on a config only root and the agent's group can read: nothing written, exit non-zero, 'run this with sudo'", async () => {
    const etc = await mkdtemp(join(dir, "etc-"));
    const config = join(etc, "config.yaml");
    await writeFile(config, await readFile(await siteConfig("private", {}), "utf8"));
    await chmod(config, 0o640);
    await chmod(etc, 0o750); // /etc/glase-agent: root:glase-agent 0750
    const out = await mkdtemp(join(dir, "out-"));
    await chmod(out, 0o777);
    const target = join(out, "site.conf");
    const r = await cli([config, "--write", target], { asUser: { uid: 65534, gid: 65534 }, cwd: "/", env: { HOME: "/nonexistent" } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot read \(EACCES\)/);
    expect(r.stderr).toContain("run this with sudo");
    expect(existsSync(target)).toBe(false);
  });
});

/** Every ancestor lets others through and the checkout's files are world-readable (a typical clone). */
function traversableByOthers(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    if ((statSync(p).mode & 0o005) !== 0o005) return false;
    if (p === "/") return true;
  }
}
