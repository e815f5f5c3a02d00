// A pair of connected pseudo-terminals made by socat, so a virtual device opens one end and the
// real driver opens the other as the serial line it is — a real tty with termios, not a mock.
// Readiness is read from socat's own log ("starting data transfer loop" comes after both PTYs
// and their links exist), never guessed with a sleep. Closing the pair (SIGTERM) removes the
// links and makes both ends fail like an unplugged USB adapter; a new pair on the same link
// names is the adapter plugged back in.
//
// socat never outlives the process that opened the pair: it runs under `setpriv --pdeathsig
// SIGTERM` (util-linux; the kernel signals it when its parent dies, SIGKILL included — a test
// worker killed by its runner), and every pair still open is killed on process exit (a normal
// exit, process.exit) for systems without setpriv.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentError } from "../../base/errors.ts";

export interface PtyPair {
  /** Link to the first end (give it to the virtual device). */
  readonly a: string;
  /** Link to the second end (give it to the driver). */
  readonly b: string;
  /** The /dev/pts/N devices socat reported. */
  readonly devices: readonly string[];
  /** socat's process id. */
  readonly pid: number | undefined;
  /** Kills socat and waits for it to exit (links are removed). */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  /** Directory for the links (default: a new temp dir); reuse it to "replug" the same names. */
  readonly dir?: string;
  readonly names?: readonly [string, string];
  /**
   * socat in its own process group: a Ctrl-C at the terminal (SIGINT to the foreground group)
   * then reaches only the agent, which closes the pair itself in its ordered shutdown (npm start).
   */
  readonly detached?: boolean;
  /** Give up after this long (ms). Default 10000 (a loaded CI machine can be slow to spawn). */
  readonly timeoutMs?: number;
}

let pdeathsig: boolean | undefined;
/** Whether `setpriv --pdeathsig` is here (asked once). */
function canGuardParentDeath(): boolean {
  if (pdeathsig === undefined) {
    const r = spawnSync("setpriv", ["--help"], { encoding: "utf8" });
    pdeathsig = r.status === 0 && r.stdout.includes("--pdeathsig");
  }
  return pdeathsig;
}

/** Pairs still open: killed when this process exits (the guard for systems without setpriv). */
const open = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  open.add(child);
  child.once("exit", () => open.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once("exit", () => {
    for (const c of open) c.kill("SIGTERM");
  });
}

export function openPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "glase-pty-"));
  const [na, nb] = options.names ?? ["a", "b"];
  const a = join(dir, na);
  const b = join(dir, nb);
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      const socat = ["socat", "-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`];
      const argv = canGuardParentDeath() ? ["setpriv", "--pdeathsig", "SIGTERM", "--", ...socat] : socat;
      child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"], detached: options.detached ?? false });
      track(child);
    } catch (err) {
      reject(new AgentError("DEVICE_DISCONNECTED", "cannot start socat (apt-get install -y socat)", {}, { cause: err }));
      return;
    }
    const devices: string[] = [];
    let stderr = "";
    let settled = false;
    const exited = new Promise<void>((res) => child.once("exit", () => res()));
    const close = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    };
    const timer = setTimeout(() => fail(`socat did not report ready within ${options.timeoutMs ?? 10000} ms`), options.timeoutMs ?? 10000);
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void close();
      reject(new AgentError("DEVICE_DISCONNECTED", `pty pair: ${why}`, { stderr: stderr.slice(-500) }));
    };
    child.once("error", (err) => fail(`socat failed to start: ${err.message}`));
    child.once("exit", (code) => fail(`socat exited early with code ${code}${code === 127 ? " (not installed? apt-get install -y socat)" : ""}`));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      if (settled) return;
      stderr += chunk;
      for (const m of chunk.matchAll(/PTY is (\/dev\/pts\/\d+)/g)) devices.push(m[1]!);
      if (stderr.includes("starting data transfer loop")) {
        if (!existsSync(a) || !existsSync(b)) return fail("socat is ready but the links are missing");
        settled = true;
        clearTimeout(timer);
        child.stderr!.resume(); // keep draining so socat never blocks on a full pipe
        resolve({ a, b, devices, pid: child.pid, close });
      }
    });
  });
}
