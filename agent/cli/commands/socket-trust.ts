// Whether the CLI may talk to a socket it found under ./.glase/run (a local `npm start`). When the
// service is stopped /run/glase-agent does not exist, so root running `glase-agent register` or
// `ctl …` in a directory another user controls would send its request — and trust the answer
// ("registered: true") — to whatever that user serves there (review 2 #6). So before an admin
// command, or any command as root, the socket and its directory must belong to root, the
// invoking user or the agent's service user, and the directory must not be writable by others.
import { lstatSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { AgentError } from "../../errors.ts";
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

/** The check, where it applies: the local ./.glase/run fallback, for admin commands or as root. */
export function checkLocalSocketTrust(socketPath: string, admin: boolean, cwd = process.cwd()): void {
  if (dirname(socketPath) !== resolve(cwd, LOCAL_SOCKET_DIR)) return;
  if (admin || process.getuid?.() === 0) checkSocketTrust(socketPath);
}
