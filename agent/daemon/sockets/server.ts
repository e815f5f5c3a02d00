// The two technician sockets. status.sock (0660, a technician group) answers the read-only
// commands; admin.sock (0600, the agent's user — root and the service user) answers all of them.
// One JSON request per line → one JSON reply per line, `{id, ok, result}` or
// `{id, ok:false, error:{code, message}}`; `watch` then streams `{id, event}` lines. A malformed
// request gets an error reply and the connection stays open for the next line.
import { chmod, chown, lstat, mkdir, readFile, unlink } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { Subscription } from "rxjs";
import { AgentError, isAgentError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { allowedOn, COMMANDS, findCommand, type SocketRole } from "./commands.ts";
import type { StationControl } from "./control.ts";
import { LineSplitter } from "./framing.ts";

export const STATUS_SOCKET = "status.sock";
export const ADMIN_SOCKET = "admin.sock";
export const MAX_REQUEST_BYTES = 64 * 1024;

export interface SocketServerOptions {
  readonly dir: string;
  readonly control: StationControl;
  readonly logger: Logger;
  /** Group name or numeric gid owning status.sock; default: the process's group. */
  readonly statusGroup?: string;
  readonly maxRequestBytes?: number;
}

export interface SocketServers {
  readonly statusPath: string;
  readonly adminPath: string;
  close(): Promise<void>;
}

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
}

type Id = string | number | null;

async function gidOf(group: string): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group);
  const lines = (await readFile("/etc/group", "utf8")).split("\n");
  const entry = lines.find((l) => l.split(":")[0] === group);
  if (!entry) throw new AgentError("CONFIG_INVALID", `sockets.statusGroup: no group named '${group}'`, { group });
  return Number(entry.split(":")[2]);
}

/** A socket file left by a crashed agent is removed; one that answers means another agent runs. */
async function clearStale(path: string): Promise<void> {
  try {
    await lstat(path);
  } catch {
    return;
  }
  const alive = await new Promise<boolean>((resolve) => {
    const c = createConnection(path);
    c.once("connect", () => (c.destroy(), resolve(true)));
    c.once("error", () => resolve(false));
  });
  if (alive) throw new AgentError("CONFLICT", `${path} is in use: another glase-agent is running with the same socket directory`, { path });
  await unlink(path);
}

async function listen(server: Server, path: string, mode: number): Promise<void> {
  await clearStale(path);
  // The umask makes the socket file born with the right mode: no window in which a wider mode
  // would let someone connect before the chmod.
  const previous = process.umask(0o777 & ~mode);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => (server.off("error", reject), resolve()));
    });
  } finally {
    process.umask(previous);
  }
  await chmod(path, mode);
}

export async function startSocketServers(opts: SocketServerOptions): Promise<SocketServers> {
  const log = opts.logger;
  const maxBytes = opts.maxRequestBytes ?? MAX_REQUEST_BYTES;
  await mkdir(opts.dir, { recursive: true, mode: 0o750 });
  const statusPath = join(opts.dir, STATUS_SOCKET);
  const adminPath = join(opts.dir, ADMIN_SOCKET);
  const connections = new Set<Socket>();

  const serve = (role: SocketRole) =>
    createServer((socket) => {
      connections.add(socket);
      socket.setEncoding("utf8");
      const watches = new Map<Id, Subscription>();
      const write = (obj: unknown) => {
        if (!socket.destroyed && socket.writable) socket.write(JSON.stringify(obj) + "\n");
      };
      const fail = (id: Id, code: string, message: string) => write({ id, ok: false, error: { code, message } satisfies ErrorBody });
      const stopWatches = () => {
        for (const s of watches.values()) s.unsubscribe();
        watches.clear();
      };

      const handle = async (line: string) => {
        let req: unknown;
        try {
          req = JSON.parse(line);
        } catch {
          return fail(null, "BAD_JSON", "request is not valid JSON (one JSON object per line)");
        }
        if (typeof req !== "object" || req === null || Array.isArray(req)) return fail(null, "BAD_REQUEST", "request must be an object {id, cmd, args}");
        const { id: rawId, cmd, args } = req as { id?: unknown; cmd?: unknown; args?: unknown };
        const id: Id = typeof rawId === "string" || typeof rawId === "number" ? rawId : null;
        if (rawId !== undefined && id === null) return fail(null, "BAD_REQUEST", "id must be a string or a number");
        if (typeof cmd !== "string") return fail(id, "BAD_REQUEST", "cmd: required (a string)");
        const spec = findCommand(cmd);
        if (!spec) return fail(id, "UNKNOWN_COMMAND", `unknown command '${cmd.slice(0, 60)}'; 'help' lists the commands`);
        if (!allowedOn(role, spec)) return fail(id, "FORBIDDEN", `'${cmd}' is only available on ${ADMIN_SOCKET}`);
        const parsed = spec.args.safeParse(args === undefined || args === null ? {} : args);
        if (!parsed.success) {
          const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "args"}: ${i.message}`);
          return fail(id, "BAD_ARGS", issues.join("; "));
        }
        try {
          if (cmd === "help") {
            return write({ id, ok: true, result: COMMANDS.filter((c) => !c.hidden && allowedOn(role, c)).map((c) => ({ name: c.name, summary: c.summary })) });
          }
          if (cmd === "watch") {
            watches.get(id)?.unsubscribe();
            write({ id, ok: true, result: { watching: true } });
            // A first frame with the current picture, then every change.
            write({ id, event: { type: "snapshot", points: opts.control.points(), alarms: opts.control.alarms(), status: opts.control.status() } });
            watches.set(
              id,
              opts.control.events$.subscribe({
                next: (event) => write({ id, event }),
                complete: () => write({ id, end: true }),
              }),
            );
            return;
          }
          if (cmd === "unwatch") {
            stopWatches();
            return write({ id, ok: true, result: { watching: false } });
          }
          const result = await spec.run(opts.control, parsed.data);
          write({ id, ok: true, result: result ?? null });
        } catch (e) {
          if (isAgentError(e)) return fail(id, e.code, e.message);
          const code = (e as { code?: unknown })?.code;
          log.error("socket-command-failed", { cmd, error: e });
          fail(id, typeof code === "string" ? code : "INTERNAL", (e as Error)?.message ?? String(e));
        }
      };

      const splitter = new LineSplitter(maxBytes, {
        line: (text) => void handle(text),
        tooLong: (bytes) => fail(null, "LINE_TOO_LONG", `request line of ${bytes} bytes exceeds the limit of ${maxBytes}`),
      });
      socket.on("data", (chunk: string) => splitter.push(chunk));
      socket.on("error", () => socket.destroy());
      socket.on("close", () => {
        stopWatches();
        connections.delete(socket);
      });
    });

  const statusServer = serve("status");
  const adminServer = serve("admin");
  await listen(statusServer, statusPath, 0o660);
  await listen(adminServer, adminPath, 0o600);
  if (opts.statusGroup !== undefined) {
    await chown(statusPath, process.getuid?.() ?? -1, await gidOf(opts.statusGroup));
  }
  log.info("sockets-listening", { status: statusPath, admin: adminPath });

  return {
    statusPath,
    adminPath,
    async close() {
      for (const c of connections) c.destroy();
      await Promise.all([statusServer, adminServer].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      await Promise.all([statusPath, adminPath].map((p) => unlink(p).catch(() => {})));
    },
  };
}
