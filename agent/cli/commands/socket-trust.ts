// Whether the CLI may talk to a socket it found under ./.glase/run (a local `npm start`). When the
// service is stopped /run/glase-agent does not exist, so root running `glase-agent register` or
// `ctl …` in a directory another user controls would send its request — and trust the answer
// ("registered: true") — to whatever that user serves there (review 2 #6). So before an admin
// command, or any command as root, the socket and its directory must belong to root, the
// invoking user or the agent's service user, and the directory must not be writable by others.
import { lstatSync, readFileSync, realpathSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { ControlClient } from "../../daemon/sockets/client.ts";
import { AgentError } from "../../../base/errors.ts";
import { LOCAL_SOCKET_DIR } from "./socket-dir.ts";

/** The unit's User= (systemd/glase-agent.service). */
export const SERVICE_USER = "glase-agent";

function uidOf(user: string): number | undefined {
  try {
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.split(":")[0] === user);
    const uid = line ? Number(line.split(":")[2]) : NaN;
    return Number.isSafeInteger(uid) ? uid : undefined;
  } catch {
    return undefined;
  }
}

/** Trusted owners: root, this user, the service user. */
export function trustedOwners(uid = process.getuid?.() ?? 0, serviceUser = SERVICE_USER): Set<number> {
  const owners = new Set([0, uid]);
  const service = uidOf(serviceUser);
  if (service !== undefined) owners.add(service);
  return owners;
}

/**
 * Throws PERMISSION_DENIED (exit 4) naming what is wrong when `socketPath` or its directory is
 * owned by someone else, or the directory may be changed by others. A missing socket is not this
 * check's business (the connect reports it).
 */
export function checkSocketTrust(socketPath: string, owners: ReadonlySet<number> = trustedOwners()): void {
  const dir = dirname(socketPath);
  for (const [what, path] of [
    ["directory", dir],
    ["socket", socketPath],
  ] as const) {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    const problem = !owners.has(st.uid)
      ? `is owned by uid ${st.uid}, not by root, you or the ${SERVICE_USER} user`
      : what === "directory" && (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0
        ? `is writable by others (mode ${(st.mode & 0o7777).toString(8).padStart(4, "0")})`
        : what === "socket" && !st.isSocket()
          ? "is not a socket"
          : undefined;
    if (problem) {
      throw new AgentError(
        "PERMISSION_DENIED",
        `refusing ${path}: the ${what} ${problem}, so the agent behind it cannot be trusted with this command; run it from another directory, or name the agent's directory with --socket-dir`,
        { path, uid: st.uid },
      );
    }
  }
}

function modeOf(st: { mode: number }): string {
  return (st.mode & 0o7777).toString(8).padStart(4, "0");
}

/** Every directory from / down to `dir`, in order. */
function chain(dir: string): string[] {
  const parts = resolve(dir).split(sep).filter(Boolean);
  return ["/", ...parts.map((_, i) => "/" + parts.slice(0, i + 1).join("/"))];
}

/**
 * Throws PERMISSION_DENIED unless `dir` and every one of its ancestors — as written and as the
 * symlinks resolve — is owned by a trusted user and not writable by others (a sticky directory
 * such as /tmp is fine: others cannot rename what is in it). Checking only the last directory
 * could be raced by flipping a symlink higher up (review 3 #2). A missing component is fine once
 * its parent passed: nobody else can create it.
 */
export function checkDirectoryChain(dir: string, owners: ReadonlySet<number> = trustedOwners()): void {
  const walk = (path: string): void => {
    for (const p of chain(path)) {
      let st;
      try {
        st = lstatSync(p);
      } catch {
        return;
      }
      const problem = !owners.has(st.uid)
        ? `is owned by uid ${st.uid}, not by root, you or the ${SERVICE_USER} user`
        : !st.isSymbolicLink() && (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0
          ? `is writable by others (mode ${modeOf(st)})`
          : undefined;
      if (problem) {
        throw new AgentError(
          "PERMISSION_DENIED",
          `refusing ${dir}: ${p} ${problem}, so whoever controls it could answer this command in the agent's place; run it from another directory, or name the agent's directory with --socket-dir`,
          { path: p, uid: st.uid },
        );
      }
    }
  };
  walk(dir);
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return; // it does not exist (yet): the connect reports it
  }
  if (real !== resolve(dir)) walk(real);
}

/** The check, where it applies: the local ./.glase/run fallback, for admin commands or as root. */
export function checkLocalSocketTrust(socketPath: string, admin: boolean, cwd = process.cwd()): void {
  if (dirname(socketPath) !== resolve(cwd, LOCAL_SOCKET_DIR)) return;
  if (admin || process.getuid?.() === 0) {
    checkDirectoryChain(dirname(socketPath));
    checkSocketTrust(socketPath);
  }
}

/**
 * After the connect, for admin commands or as root: the process that listens on the socket must
 * run as root, this user or the service user (SO_PEERCRED, where the addon is built). Whatever
 * the path checks saw, this is what answers. Closes the client and throws PERMISSION_DENIED.
 */
export function checkServerPeer(client: ControlClient, socketPath: string, admin: boolean, owners: ReadonlySet<number> = trustedOwners()): void {
  if (!admin && process.getuid?.() !== 0) return;
  const peer = client.peer();
  if (!peer || owners.has(peer.uid)) return;
  client.close();
  throw new AgentError(
    "PERMISSION_DENIED",
    `refusing ${socketPath}: the process listening on it (pid ${peer.pid}) runs as uid ${peer.uid}, not as root, you or the ${SERVICE_USER} user, so it is not the agent; name the agent's directory with --socket-dir`,
    { path: socketPath, uid: peer.uid, pid: peer.pid },
  );
}

/**
 * Connects to an agent socket the way every command must (review 3 #5: doctor and restore did
 * not): the local-fallback path checks before, the listener's SO_PEERCRED after.
 */
export async function connectTrusted(socketPath: string, admin: boolean, timeoutMs?: number): Promise<ControlClient> {
  checkLocalSocketTrust(socketPath, admin);
  const client = await ControlClient.connect(socketPath, timeoutMs);
  checkServerPeer(client, socketPath, admin);
  return client;
}
