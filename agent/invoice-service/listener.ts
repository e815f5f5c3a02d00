// Where the notification endpoint listens, made hard to squat (review 3 #4). nginx forwards every
// notification of Glase — the secret token in its path — to whatever listens there, so a local
// user who binds it first would receive them all.
//   - A Unix socket (`invoiceService.listen: unix:/run/glase-agent/notify.sock`, docs/install.md
//     §8) cannot be squatted: it lives in a directory only the agent's user may write (refused
//     otherwise), and a stale socket file is replaced only when it is ours.
//   - On TCP the port can be taken by anyone first (during a restart). Then the agent does not
//     give up: it raises an alarm naming who holds the port (from /proc/net/tcp) and retries the
//     bind with a backoff (base doubling to a cap, forever: the port comes back as soon as the
//     squatter lets go), and clears nothing silently — onListening says when it has the port.
import { lstat, readFile, unlink, chmod } from "node:fs/promises";
import type { Server } from "node:net";
import { dirname } from "node:path";
import { AgentError } from "../../base/errors.ts";

export type ListenTarget = { readonly host: string; readonly port: number } | { readonly socketPath: string };

export interface ListenRetry {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_LISTEN_RETRY: ListenRetry = { baseMs: 1_000, maxMs: 60_000 };

export interface GuardedListener {
  /** Whether the endpoint holds its address now. */
  listening(): boolean;
  /** Stops retrying. */
  stop(): void;
}

export interface ListenOptions {
  /** Called when the TCP port is held by someone else; without it a taken port is an error. */
  readonly onTaken?: (detail: string) => void;
  /** Called once the port is ours after it had been taken. */
  readonly onListening?: () => void;
  readonly retry?: ListenRetry;
}

function listenOnce(server: Server, target: ListenTarget): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once("error", onError);
    const done = () => {
      server.off("error", onError);
      resolve();
    };
    if ("socketPath" in target) server.listen(target.socketPath, done);
    else server.listen(target.port, target.host, done);
  });
}

/** A stale socket file of ours is replaced; anything else at the path, or a directory others may write, is refused. */
async function prepareSocketPath(path: string): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  const dir = await lstat(dirname(path)).catch(() => undefined);
  if (!dir?.isDirectory()) throw new AgentError("CONFIG_INVALID", `invoiceService.listen: ${dirname(path)} is not a directory (RuntimeDirectory=glase-agent makes /run/glase-agent)`, { path });
  if ((dir.uid !== uid && dir.uid !== 0) || (dir.mode & 0o022) !== 0) {
    throw new AgentError("CONFIG_INVALID", `invoiceService.listen: ${dirname(path)} may be written by others (owner ${dir.uid}, mode ${(dir.mode & 0o777).toString(8)}), who could put their own socket there; use the agent's RuntimeDirectory (/run/glase-agent)`, { path });
  }
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket() || st.uid !== uid) throw new AgentError("CONFLICT", `invoiceService.listen: ${path} exists and is not a socket of this agent's user; remove it`, { path });
  await unlink(path);
}

/** Who listens on a TCP port, from /proc/net/tcp{,6}: "uid 65534 (nobody)", or undefined when /proc does not say. */
export async function portHolder(port: number): Promise<string | undefined> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const uids = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 7 && f[1]!.endsWith(`:${hex}`) && f[3] === "0A") uids.add(Number(f[7]));
    }
  }
  if (uids.size === 0) return undefined;
  const passwd = await readFile("/etc/passwd", "utf8").catch(() => "");
  const name = (uid: number) => passwd.split("\n").find((l) => l.split(":")[2] === String(uid))?.split(":")[0];
  return [...uids].map((u) => `uid ${u}${name(u) ? ` (${name(u)})` : ""}`).join(", ");
}

export async function listenGuarded(server: Server, target: ListenTarget, opts: ListenOptions = {}): Promise<GuardedListener> {
  if ("socketPath" in target) {
    await prepareSocketPath(target.socketPath);
    await listenOnce(server, target);
    // nginx (another user) connects; the directory, not the mode, keeps squatters out.
    await chmod(target.socketPath, 0o666);
    return { listening: () => true, stop: () => undefined };
  }
  let bound = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const retry = opts.retry ?? DEFAULT_LISTEN_RETRY;
  const attempt = async (): Promise<boolean> => {
    try {
      await listenOnce(server, target);
      bound = true;
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || !opts.onTaken) throw e;
      return false;
    }
  };
  if (await attempt()) return { listening: () => bound, stop: () => undefined };
  const holder = await portHolder(target.port);
  opts.onTaken!(
    `${target.host}:${target.port} is held by ${holder ?? "another process"} (ss -ltnp 'sport = :${target.port}'): notifications forwarded there — and their token — reach that process, not the agent. ` +
      `The agent retries the bind (every ${Math.round(retry.maxMs / 1000)} s at most) and takes the port as soon as it is free; stop that process, and prefer a Unix socket (invoiceService.listen: unix:/run/glase-agent/notify.sock, docs/install.md §8), which cannot be squatted`,
  );
  let delay = retry.baseMs;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void attempt().then(
        (ok) => {
          if (ok) opts.onListening?.();
          else {
            delay = Math.min(delay * 2, retry.maxMs);
            schedule();
          }
        },
        () => {
          delay = Math.min(delay * 2, retry.maxMs);
          schedule();
        },
      );
    }, delay);
    timer.unref();
  };
  schedule();
  return {
    listening: () => bound,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
