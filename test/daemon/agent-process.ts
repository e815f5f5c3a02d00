// Runs the real `glase-agent run` as a child process for the daemon's end-to-end tests, with
// its own NOTIFY_SOCKET listener; everything the agent talks to (Glase simulator, virtual
// controller, virtual printer) lives in the test process so it survives SIGKILL of the agent.
import { spawn, type ChildProcess } from "node:child_process";
import { chmod } from "node:fs/promises";
import { dirname } from "node:path";
import { NotifyListener } from "./notify-listener.ts";

export class AgentProcess {
  output = "";
  exitCode: number | null | undefined = undefined;
  exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly notify: NotifyListener,
  ) {
    child.stdout!.on("data", (d) => (this.output += d));
    child.stderr!.on("data", (d) => (this.output += d));
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      }),
    );
  }

  /**
   * `nodeArgs`: node's own flags (e.g. the unit's V8 settings, for memory measurements).
   * `user`: run the agent as that uid/gid (root tests: as the service's user would run it).
   */
  static async start(
    configFile: string,
    env: Record<string, string> = {},
    opts: { readonly nodeArgs?: readonly string[]; readonly user?: { readonly uid: number; readonly gid: number } } = {},
  ): Promise<AgentProcess> {
    const { nodeArgs = [], user } = opts;
    const notify = await NotifyListener.open();
    if (user) {
      // Its NOTIFY_SOCKET must be writable by that user, as systemd's is.
      await chmod(dirname(notify.path), 0o755);
      await chmod(notify.path, 0o777);
    }
    const child = spawn(process.execPath, [...nodeArgs, "bin/glase-agent.js", "run", "--config", configFile], {
      env: { ...process.env, NOTIFY_SOCKET: notify.path, GLASE_AGENT_TEST_HOOKS: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    return new AgentProcess(child, notify);
  }

  async ready(timeoutMs = 90_000): Promise<void> {
    await Promise.race([
      this.notify.waitFor((m) => m.fields.READY === "1", timeoutMs),
      this.exited.then(() => {
        throw new Error(`agent exited (${this.exitCode ?? this.exitSignal}) before READY:\n${this.output.slice(-3000)}`);
      }),
    ]);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async exit(timeoutMs = 120_000): Promise<number | null> {
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`agent did not exit within ${timeoutMs} ms:\n${this.output.slice(-3000)}`)), timeoutMs).unref());
    await Promise.race([this.exited, timer]);
    return this.exitCode ?? null;
  }

  async dispose(): Promise<void> {
    if (this.exitCode === undefined) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
    await this.notify.close();
  }
}

/** Polls a condition (bounded); for state that has no event to wait on. */
export async function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
