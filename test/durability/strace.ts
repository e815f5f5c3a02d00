// Runs a real agent command under strace and hands back what the kernel saw: every file
// syscall with its paths (-y), in order, across all threads (-f). Optionally pauses the process
// at each durability boundary (fsync, fdatasync, rename*, unlink*) — strace injects SIGSTOP
// after the syscall — so a test can copy the state directory exactly as it stands there, then
// lets it continue (SIGCONT). strace is the independent witness: the agent's code is not asked
// what it did.
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const FILE_SYSCALLS = [
  "openat", "write", "writev", "pwrite64", "fsync", "fdatasync", "rename", "renameat", "renameat2", "link", "linkat", "unlink", "unlinkat", "mkdir", "mkdirat",
  // Who changes owners and modes, and how (by path or by descriptor).
  "chown", "lchown", "fchown", "fchownat", "chmod", "fchmod", "fchmodat",
];
/** Socket writes, to see when a request leaves (-yy names the TCP peer). */
export const NET_SYSCALLS = ["sendto", "sendmsg"];
export const BOUNDARY_SYSCALLS = ["fsync", "fdatasync", "rename", "renameat", "renameat2", "link", "linkat", "unlink", "unlinkat"];
/** Also where data changes without being durable yet: a power cut can strike between these too. */
export const DATA_SYSCALLS = ["openat", "write", "writev", "pwrite64"];

export interface TraceEvent {
  readonly index: number;
  readonly tid: number;
  readonly syscall: string;
  /** The argument text as strace printed it (paths unescaped only for ASCII). */
  readonly args: string;
  readonly result: string;
  /** Paths mentioned: quoted path arguments and fd paths (`19</dir/file>`). */
  readonly paths: readonly string[];
  /** fd path of the first argument, when it is an fd. */
  readonly fdPath?: string;
}

export interface StracedResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly events: readonly TraceEvent[];
}

export interface StraceOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  /** Called with the process stopped right after each boundary syscall (and the trace so far). */
  readonly onBoundary?: (event: TraceEvent, events: readonly TraceEvent[]) => Promise<void> | void;
  /** The syscalls that stop the process for onBoundary (default BOUNDARY_SYSCALLS). */
  readonly stopOn?: readonly string[];
  readonly timeoutMs?: number;
  /** Runs while the process is up (e.g. drives a daemon, then stops it). */
  readonly during?: () => Promise<void>;
}

const LINE = /^(\d+)\s+(\w+)\((.*)\)\s+=\s+(.*)$/;

function unescape(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ({ n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" } as Record<string, string>)[e] ?? e;
  });
}

function parse(index: number, tid: number, syscall: string, args: string, result: string): TraceEvent {
  const paths: string[] = [];
  for (const m of args.matchAll(/\d+<([^>]*)>/g)) paths.push(m[1]!);
  for (const m of args.matchAll(/"((?:[^"\\]|\\.)*)"/g)) if (m[1]!.startsWith("/")) paths.push(unescape(m[1]!));
  const fd = /^(\d+)<([^>]*)>/.exec(args);
  return { index, tid, syscall, args, result, paths, ...(fd ? { fdPath: fd[2]! } : {}) };
}

export function straceAvailable(): boolean {
  return spawnSync("strace", ["-V"]).status === 0;
}

/** Runs `argv` under strace; resolves when it exits. */
export function straced(argv: readonly string[], opts: StraceOptions = {}): Promise<StracedResult> {
  // Not a skip: a durability test that silently does not run proves nothing.
  if (!straceAvailable()) throw new Error("strace is not installed: apt-get install strace (.ci/run installs it)");
  const traced = [...FILE_SYSCALLS, ...NET_SYSCALLS].join(",");
  // The trace goes through a FIFO: read as it is written, so the process can be paused on events.
  const fifoDir = mkdtempSync(join(tmpdir(), "glase-strace-"));
  const fifo = join(fifoDir, "trace");
  if (spawnSync("mkfifo", ["-m", "0600", fifo]).status !== 0) throw new Error("mkfifo failed");
  const args = ["-f", "-yy", "-qq", "-s", "8192", "-o", fifo, "-e", `trace=${traced}`, "-e", "signal=SIGSTOP"];
  const stopOn = opts.stopOn ?? BOUNDARY_SYSCALLS;
  if (opts.onBoundary) args.push("-e", `inject=${stopOn.join(",")}:signal=SIGSTOP`);
  const child = spawn("strace", [...args, "--", ...argv], {
    cwd: opts.cwd,
    // libuv's io_uring would do the file I/O in the kernel's rings, where strace sees nothing.
    env: { ...process.env, ...opts.env, UV_USE_IO_URING: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const events: TraceEvent[] = [];
  const unfinished = new Map<number, string>();
  /** Threads whose boundary syscall got SIGSTOP injected and that have not stopped yet. */
  const stopping = new Map<number, TraceEvent>();
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;

  const lines = createInterface({ input: createReadStream(fifo) });
  const closed = new Promise<void>((resolve) => lines.once("close", resolve));
  lines.on("line", (raw) => {
    const head = /^(\d+)\s+(.*)$/.exec(raw);
    if (!head) return;
    const tid = Number(head[1]);
    let rest = head[2]!;
    if (rest === "--- stopped by SIGSTOP ---") {
      const at = stopping.get(tid);
      if (!at) return;
      stopping.delete(tid);
      chain = chain
        .then(() => opts.onBoundary?.(at, events.slice()))
        .catch((e: unknown) => void (failure ??= e))
        .finally(() => {
          try {
            process.kill(tid, "SIGCONT");
          } catch {
            // already gone
          }
        });
      return;
    }
    if (rest.startsWith("---") || rest.startsWith("+++")) return;
    if (rest.endsWith("<unfinished ...>")) {
      unfinished.set(tid, rest.slice(0, -"<unfinished ...>".length).trimEnd());
      return;
    }
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      rest = (unfinished.get(tid) ?? `${resumed[1]}(`) + resumed[2]!;
      unfinished.delete(tid);
    }
    const m = LINE.exec(`${tid} ${rest}`);
    if (!m) return;
    const event = parse(events.length, tid, m[2]!, m[3]!, m[4]!);
    events.push(event);
    if (opts.onBoundary && stopOn.includes(event.syscall)) stopping.set(tid, event);
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`strace run timed out:\n${stderr.slice(-2000)}`));
    }, opts.timeoutMs ?? 60_000);
    child.once("error", reject);
    opts.during?.().catch((e: unknown) => {
      failure ??= e;
      child.kill("SIGKILL");
    });
    child.once("exit", (code) => {
      void closed.then(async () => {
        clearTimeout(timer);
        rmSync(fifoDir, { recursive: true, force: true });
        await chain;
        if (failure) reject(failure);
        else resolve({ code, stdout, stderr, events });
      });
    });
  });
}

/** Events touching a path under `dir`. */
export function under(dir: string, e: TraceEvent): boolean {
  return e.paths.some((p) => p === dir || p.startsWith(dir + "/"));
}
