// Runs a process the way systemd/glase-agent.service would, without systemd as PID 1 — read
// from the unit file itself, so a change of the unit is what the tests run:
//   - User=/Group= and the user's groups from /etc/group (setpriv --init-groups), no capabilities,
//     NoNewPrivileges, UMask=;
//   - ProtectSystem=strict: a private mount namespace whose / is read-only except the state and
//     runtime directories and the ReadWritePaths given (unshare -m, bind mounts, remount ro);
//   - SystemCallFilter=/SystemCallErrorNumber=EPERM: every system call the unit's filter denies —
//     computed from its lines in order with `systemd-analyze syscall-filter` — fails with EPERM,
//     injected by strace (-e inject), and each such attempt is logged for the test to read.
// Not emulated: PrivateTmp, ProtectHome, PrivateDevices/DeviceAllow, the cgroup limits.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

export const UNIT_FILE = "systemd/glase-agent.service";

export interface UnitFacts {
  readonly text: string;
  /** Every value of a key, in file order. */
  values(key: string): string[];
  value(key: string): string | undefined;
}

export function readUnit(path = UNIT_FILE): UnitFacts {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n").filter((l) => !l.startsWith("#"));
  const values = (key: string) => lines.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1).trim());
  return { text, values, value: (key) => values(key).at(-1) };
}

const groups = new Map<string, string[]>();

/** A syscall group (`@system-service`) expanded to its calls, nested groups included. */
export function expandSyscallGroup(name: string): string[] {
  if (!name.startsWith("@")) return [name];
  const cached = groups.get(name);
  if (cached) return cached;
  const out = execFileSync("systemd-analyze", ["syscall-filter", "--no-pager", name], { encoding: "utf8", env: { ...process.env, SYSTEMD_COLORS: "0" } });
  const members = out
    .split("\n")
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const calls = [...new Set(members.flatMap((m) => expandSyscallGroup(m)))];
  groups.set(name, calls);
  return calls;
}

/**
 * The calls the unit allows, applying its SystemCallFilter= lines as systemd does: the first line
 * is an allow list (ours is), a `~` line removes from it, a later plain line adds back.
 */
export function allowedSyscalls(unit: UnitFacts): Set<string> {
  const lines = unit.values("SystemCallFilter");
  if (lines.length === 0 || lines[0]!.startsWith("~")) throw new Error("the unit's SystemCallFilter must start with an allow list");
  const allowed = new Set<string>();
  for (const line of lines) {
    const deny = line.startsWith("~");
    for (const item of (deny ? line.slice(1) : line).split(/\s+/).filter(Boolean)) {
      for (const call of expandSyscallGroup(item)) {
        if (deny) allowed.delete(call);
        else allowed.add(call);
      }
    }
  }
  return allowed;
}

export function sandboxTools(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (users, mount namespace)";
  for (const tool of ["/usr/bin/strace", "/usr/bin/unshare", "/usr/bin/setpriv", "/usr/sbin/useradd"]) if (!existsSync(tool)) return `needs ${tool}`;
  if (!["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].some((p) => existsSync(p))) return "needs systemd-analyze";
  return undefined;
}

export interface SandboxOptions {
  readonly user: string;
  /** Writable under ProtectSystem=strict: StateDirectory, RuntimeDirectory, ReadWritePaths. */
  readonly readWrite: readonly string[];
  /** strace's log of the injected (denied) calls; its directory must be in readWrite. */
  readonly traceLog?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly argv: readonly string[];
  /** The unit's filter, or a changed one (tests of the test). */
  readonly allowed?: ReadonlySet<string>;
  readonly umask?: string;
  /** Read-only bind mounts made in the namespace first (`from` shown at `to`, an existing directory). */
  readonly binds?: ReadonlyArray<{ readonly from: string; readonly to: string }>;
}

const bindLines = (binds: SandboxOptions["binds"] = []) => binds.flatMap((b) => [`mount --bind ${shQuote(b.from)} ${shQuote(b.to)}`, `mount -o remount,bind,ro ${shQuote(b.to)}`]);

/**
 * `argv` as another user (setpriv) in a mount namespace of its own with `binds` made: how a test
 * shows the checkout to users who could not reach it where it lies, without changing the modes of
 * its parents (a change that would outlive a killed test). Resolves with the exit code and output.
 */
export function spawnAs(o: { readonly user: string; readonly binds?: SandboxOptions["binds"]; readonly argv: readonly string[]; readonly cwd?: string }): ChildProcess {
  const inner = ["setpriv", `--reuid=${o.user}`, `--regid=${o.user}`, "--init-groups", "--", ...o.argv];
  const script = ["set -e", ...bindLines(o.binds), `cd ${shQuote(o.cwd ?? "/")}`, `exec ${inner.map(shQuote).join(" ")}`].join("\n");
  return spawn("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", script], { stdio: ["ignore", "pipe", "pipe"] });
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Starts `argv` under the unit's identity, file system protection and system-call filter. */
export function spawnSandboxed(o: SandboxOptions): ChildProcess {
  const set = [...(o.allowed ?? allowedSyscalls(readUnit()))].map((c) => `?${c}`).join(",");
  const strace = o.traceLog ? ["strace", "-f", "-qq", "-o", o.traceLog, "-e", `trace=!${set}`, "-e", `inject=!${set}:error=EPERM`, "--"] : [];
  const envArgs = Object.entries(o.env).map(([k, v]) => `${k}=${v}`);
  const inner = [
    "setpriv",
    `--reuid=${o.user}`,
    `--regid=${o.user}`,
    "--init-groups",
    "--no-new-privs",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--",
    ...strace,
    "env",
    "-i",
    ...envArgs,
    ...o.argv,
  ];
  const script = [
    "set -e",
    ...bindLines(o.binds),
    ...o.readWrite.map((p) => `mount --bind ${shQuote(p)} ${shQuote(p)}`),
    "mount -o remount,bind,ro /",
    `umask ${o.umask ?? "0077"}`,
    `exec ${inner.map(shQuote).join(" ")}`,
  ].join("\n");
  return spawn("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", script], { stdio: ["ignore", "pipe", "pipe"] });
}

/** The denied calls a traced run attempted (strace marks them INJECTED), with a count each. */
export function deniedAttempts(traceLog: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(traceLog)) return counts;
  for (const line of readFileSync(traceLog, "utf8").split("\n")) {
    if (!line.includes("(INJECTED)")) continue;
    const m = /^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]/.exec(line);
    if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  }
  return counts;
}

/**
 * Test users and groups, named after the creating process (`gtp<pid>-<role>`): never an existing
 * account (none is deleted or reused), and the accounts of a test run that was killed before its
 * cleanup are removed by the next run (their pid is gone). `remove` also runs at process exit.
 */
export class TestAccounts {
  private readonly users: string[] = [];
  private readonly groups: string[] = [];
  private readonly onExit = () => this.remove();

  constructor() {
    removeStaleAccounts();
    process.once("exit", this.onExit);
  }

  /** This run's name for a role: `gtp<pid>-<role>` (useradd's 32-character limit is far away). */
  name(role: string): string {
    return `gtp${process.pid}-${role}`;
  }

  group(role: string): string {
    const name = this.name(role);
    accountsCommand("groupadd", ["--system", name]);
    this.groups.push(name);
    return name;
  }

  /** A system user with its own group, plus `extraGroups`. */
  user(role: string, extraGroups: readonly string[] = []): { name: string; uid: number; gid: number } {
    const name = this.name(role);
    accountsCommand("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", ...(extraGroups.length ? ["--groups", extraGroups.join(",")] : []), name]);
    this.users.push(name);
    const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
    return { name, uid, gid };
  }

  remove(): void {
    for (const u of this.users.splice(0)) quietly("userdel", u);
    for (const g of this.groups.splice(0)) quietly("groupdel", g);
    process.off("exit", this.onExit);
  }
}

/**
 * useradd/groupadd take /etc/passwd's and /etc/group's locks and give up at once when another
 * test file (in another vitest worker) holds them: retried a few times before failing.
 */
function accountsCommand(cmd: string, args: string[]): void {
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
      return;
    } catch (e) {
      const stderr = String((e as { stderr?: Buffer }).stderr ?? "");
      if (attempt >= 20 || !/lock|try again/i.test(stderr)) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100 * attempt);
    }
  }
}

const TEST_ACCOUNT = /^gtp(\d+)-[a-z]+$/;

function quietly(cmd: string, name: string): void {
  try {
    execFileSync(cmd, [name], { stdio: "ignore" });
  } catch {
    /* already gone */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Accounts of earlier runs whose process is gone (killed before their cleanup). */
function removeStaleAccounts(): void {
  const stale = (file: string) =>
    readFileSync(file, "utf8")
      .split("\n")
      .map((l) => l.split(":")[0]!)
      .filter((n) => {
        const m = TEST_ACCOUNT.exec(n);
        return m !== null && !alive(Number(m[1]));
      });
  for (const u of stale("/etc/passwd")) quietly("userdel", u);
  for (const g of stale("/etc/group")) quietly("groupdel", g);
}
