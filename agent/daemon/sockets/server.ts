// The two technician sockets. status.sock (0660, a technician group) answers the read-only
// commands; admin.sock (0600, the agent's user — root and the service user) answers all of them.
// One JSON request per line → one JSON reply per line, `{id, ok, result}` or
// `{id, ok:false, error:{code, message}}`; `watch` then streams `{id, event}` lines. A malformed
// request gets an error reply and the connection stays open for the next line. What one client
// may cost is bounded (limits.ts, connection.ts).
import { chown, mkdir, readFile, stat, unlink } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { AgentError } from "../../../base/errors.ts";
import { listenUnixSocket } from "../../../base/io/unix-socket.ts";
import type { Logger } from "../../../base/log.ts";
import { rateLimitedLogger } from "../../log-rate.ts";
import type { SocketRole } from "./commands.ts";
import { admit } from "./admission.ts";
import { Connection, endWithLine, type IdleTimers } from "./connection.ts";
import type { StationControl } from "./control.ts";
import { ADMIN_LIMITS, DEFAULT_LIMITS, RequestGate, type ConnectionLimits } from "./limits.ts";
import { peerCredentials, peerCredentialsAvailable } from "./peer.ts";

export const STATUS_SOCKET = "status.sock";
export const ADMIN_SOCKET = "admin.sock";
export const MAX_REQUEST_BYTES = DEFAULT_LIMITS.maxRequestBytes;

export interface SocketServerOptions {
  readonly dir: string;
  readonly control: StationControl;
  readonly logger: Logger;
  /** Group name or numeric gid owning status.sock; default: the process's group. */
  readonly statusGroup?: string;
  readonly maxRequestBytes?: number;
  /** Per-socket limits (tests shrink them); defaults in limits.ts. */
  readonly limits?: Partial<ConnectionLimits>;
  /** Idle timers (tests fire them by hand); default real time. */
  readonly timers?: IdleTimers;
}

export interface SocketServers {
  readonly statusPath: string;
  readonly adminPath: string;
  close(): Promise<void>;
}

export type { ErrorBody } from "./connection.ts";

async function gidOf(group: string): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group);
  const lines = (await readFile("/etc/group", "utf8")).split("\n");
  const entry = lines.find((l) => l.split(":")[0] === group);
  if (!entry) throw new AgentError("CONFIG_INVALID", `sockets.statusGroup: no group named '${group}'`, { group });
  return Number(entry.split(":")[2]);
}

/** A socket file left by a crashed agent is removed; one that answers means another agent runs (base/io/unix-socket.ts). */
async function listen(server: Server, path: string, mode: number): Promise<void> {
  await listenUnixSocket(server, path, mode, `${path} is in use: another glase-agent is running with the same socket directory`);
}

/**
 * Members of the status group must be able to reach status.sock: the directory has to let them
 * through (x for others, or for its group when that is the status group). systemd creates
 * RuntimeDirectory= owned by the service's user and group with RuntimeDirectoryMode=, so a 0750
 * there locks the technicians out although the socket itself is theirs.
 */
async function checkReachable(dir: string, gid: number): Promise<void> {
  const st = await stat(dir);
  const others = (st.mode & 0o001) !== 0;
  const group = (st.mode & 0o010) !== 0 && st.gid === gid;
  if (!others && !group) {
    throw new AgentError(
      "CONFIG_INVALID",
      `sockets.statusGroup: ${dir} is mode ${(st.mode & 0o777).toString(8).padStart(4, "0")} (group ${st.gid}), so members of group ${gid} cannot reach status.sock; make it 0755 (RuntimeDirectoryMode=0755)`,
      { dir, gid },
    );
  }
}

export async function startSocketServers(opts: SocketServerOptions): Promise<SocketServers> {
  const log = opts.logger;
  const quiet = rateLimitedLogger(log);
  const statusGid = opts.statusGroup !== undefined ? await gidOf(opts.statusGroup) : undefined;
  await mkdir(opts.dir, { recursive: true, mode: statusGid !== undefined ? 0o755 : 0o750 });
  if (statusGid !== undefined) await checkReachable(opts.dir, statusGid);
  const statusPath = join(opts.dir, STATUS_SOCKET);
  const adminPath = join(opts.dir, ADMIN_SOCKET);
  const connections = new Map<SocketRole, Set<Connection>>([
    ["status", new Set()],
    ["admin", new Set()],
  ]);
  const sockets = new Set<Socket>();

  const limitsOf = (role: SocketRole): ConnectionLimits => ({
    ...DEFAULT_LIMITS,
    ...(role === "admin" ? ADMIN_LIMITS : {}),
    ...(opts.maxRequestBytes !== undefined ? { maxRequestBytes: opts.maxRequestBytes } : {}),
    ...opts.limits,
  });

  const serve = (role: SocketRole) => {
    const limits = limitsOf(role);
    const name = role === "status" ? STATUS_SOCKET : ADMIN_SOCKET;
    const open = connections.get(role)!;
    const gate = new RequestGate(limits.requestsPerSecond);
    return createServer((socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      const decision = admit([...open], peerCredentials(socket)?.uid, limits);
      if (decision.kind === "refuse") {
        quiet.log("warn", "socket-connection-refused", { socket: name, reason: decision.reason });
        endWithLine(socket, JSON.stringify({ id: null, ok: false, error: { code: "BUSY", message: `${name}: ${decision.reason}; try again later` } }) + "\n");
        return;
      }
      if (decision.victim) {
        decision.victim.drop("EVICTED", `${name}: ${decision.reason}`);
        open.delete(decision.victim);
      }
      const c = new Connection(socket, { role, socketName: name, control: opts.control, limits, log: quiet, gate, onClose: (x) => open.delete(x), ...(opts.timers ? { timers: opts.timers } : {}) });
      open.add(c);
    });
  };

  const statusServer = serve("status");
  const adminServer = serve("admin");
  const bound: string[] = [];
  const closeAll = async () => {
    for (const s of sockets) s.destroy();
    await Promise.all([statusServer, adminServer].map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
    // Only the files this agent bound: a live agent's sockets (CONFLICT) are not ours to remove.
    await Promise.all(bound.splice(0).map((p) => unlink(p).catch(() => {})));
  };
  try {
    await listen(statusServer, statusPath, 0o660);
    bound.push(statusPath);
    await listen(adminServer, adminPath, 0o600);
    bound.push(adminPath);
    if (statusGid !== undefined) {
      await chown(statusPath, process.getuid?.() ?? -1, statusGid).catch((e: NodeJS.ErrnoException) => {
        const hint = e.code === "EPERM" ? ` (the agent's user must be a member of group ${opts.statusGroup}, and the unit's SystemCallFilter must allow @chown)` : "";
        throw new AgentError("CONFIG_INVALID", `sockets.statusGroup: cannot give ${statusPath} to group ${opts.statusGroup}: ${e.code ?? e.message}${hint}`, { group: opts.statusGroup, errno: e.code });
      });
    }
  } catch (e) {
    // Nothing stays listening after a failed start: the daemon exits instead of hanging.
    await closeAll();
    throw e;
  }
  if (!peerCredentialsAvailable()) {
    // Loud, once: without the addon the audit trail cannot say who really asked.
    log.warn("peer-credentials-unavailable", {
      impact: "admin.sock actions are journaled with the identity the client claims, marked 'claimed (unverified)'; permissions are unaffected (socket file modes)",
      fix: "install build-essential and python3, then npm rebuild glase-peer-credentials (docs/install.md §1)",
    });
  }
  log.info("sockets-listening", { status: statusPath, admin: adminPath, ...(statusGid !== undefined ? { statusGroup: opts.statusGroup } : {}) });

  return { statusPath, adminPath, close: closeAll };
}
