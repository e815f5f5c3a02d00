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

/** Test users and groups (useradd/groupadd), removed again by `remove`. */
export class TestAccounts {
  private readonly users: string[] = [];
  private readonly groups: string[] = [];

  group(name: string): string {
    this.dropGroup(name);
    execFileSync("groupadd", ["--system", name]);
    this.groups.push(name);
    return name;
  }

  /** A system user with its own group, plus `extraGroups`. */
  user(name: string, extraGroups: readonly string[] = []): { name: string; uid: number; gid: number } {
    this.dropUser(name);
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", ...(extraGroups.length ? ["--groups", extraGroups.join(",")] : []), name]);
    this.users.push(name);
    const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
    return { name, uid, gid };
  }

  private dropUser(name: string): void {
    try {
      execFileSync("userdel", [name], { stdio: "ignore" });
    } catch {
      /* not there */
    }
  }

  private dropGroup(name: string): void {
    try {
      execFileSync("groupdel", [name], { stdio: "ignore" });
    } catch {
      /* not there */
    }
  }

  remove(): void {
    for (const u of this.users.splice(0)) this.dropUser(u);
    for (const g of this.groups.splice(0)) this.dropGroup(g);
  }
}

/**
 * Other users must be able to reach `path` (the checkout, a temp dir): every ancestor gets o+x
 * for the test, and `restore` puts the old modes back.
 */
export function makeTraversable(path: string): { restore(): void } {
  const changed: Array<[string, number]> = [];
  for (let p = path; ; p = dirname(p)) {
    const mode = Number.parseInt(execFileSync("stat", ["-c", "%a", p], { encoding: "utf8" }).trim(), 8);
    if ((mode & 0o001) === 0) {
      execFileSync("chmod", ["o+x", p]);
      changed.push([p, mode]);
    }
    if (p === "/") break;
  }
  return { restore: () => changed.forEach(([p, mode]) => execFileSync("chmod", [mode.toString(8), p])) };
}
