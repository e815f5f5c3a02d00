// Client side of the technician sockets, used by `glase-agent ctl` and by tests. Requests are
// matched to replies by id; `watch` delivers its event frames to a callback. Every request has a
// timeout (a wedged agent is reported, not waited for forever), and a reply line longer than the
// client takes fails its request with REPLY_TOO_LONG instead of vanishing.
import { createConnection, type Socket } from "node:net";
import { AgentError, type ErrorCode } from "../../../base/errors.ts";
import { LineSplitter } from "./framing.ts";
import { ownIdentity, peerCredentials, type PeerCredentials } from "./peer.ts";

/** Default request timeout; commands that legitimately take longer have their own below. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** The longest reply line the client reads (the agent's own limit is 1 MiB). */
export const MAX_REPLY_BYTES = 4 * 1024 * 1024;

/** close-period waits for the report (retries of REPORT_NOT_READY), backup for the copy of a large journal, refund for Glase's answer. */
function timeoutFor(cmd: string, args: Record<string, unknown>): number {
  switch (cmd) {
    case "close-period":
    case "backup":
      return 15 * 60_000;
    case "refund":
    case "register":
    case "unregister":
    case "assign-id":
      return 5 * 60_000;
    case "next-scan":
      return (typeof args.timeoutMs === "number" ? args.timeoutMs : 60_000) + 10_000;
    default:
      return REQUEST_TIMEOUT_MS;
  }
}

interface Reply {
  id?: string | number | null;
  ok?: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  event?: unknown;
  end?: boolean;
}

/** A failed request: `code` is the server's error code (BAD_ARGS, NOT_FOUND, FORBIDDEN, …). */
export class ControlRequestError extends AgentError {
  constructor(
    readonly remoteCode: string,
    message: string,
  ) {
    super("SOCKET_REQUEST_INVALID" satisfies ErrorCode, message, { remoteCode });
  }
}

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<string | number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private readonly from = ownIdentity();
  private readonly watchers = new Map<string | number, (event: unknown) => void>();
  private closed = false;
  /** A line the agent sent before any request (BUSY, EVICTED): it answers every request. */
  private refusal: Reply | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    const splitter = new LineSplitter(MAX_REPLY_BYTES, {
      line: (l) => this.onLine(l),
      tooLong: (bytes) => {
        // The reply was dropped by the splitter: fail the oldest request, which it answered.
        const first = this.pending.keys().next();
        if (!first.done) this.settle(first.value, { ok: false, error: { code: "REPLY_TOO_LONG", message: `the agent's reply of ${bytes} bytes exceeds the client's limit of ${MAX_REPLY_BYTES}; ask for a smaller page (-n)` } });
      },
    });
    socket.on("data", (d: string) => splitter.push(d));
    socket.on("close", () => this.fail(this.refusalError() ?? new AgentError("AGENT_UNREACHABLE", "connection to the agent closed")));
    // EPIPE/ECONNRESET: the agent closed on us (full, evicted, stopping). A code, never a stack.
    socket.on("error", (e: NodeJS.ErrnoException) =>
      this.fail(this.refusalError() ?? new AgentError("AGENT_UNREACHABLE", `connection to the agent dropped before its answer (${e.code ?? e.message}); try again`, { errno: e.code })),
    );
  }

  /** The server's kernel-recorded credentials (SO_PEERCRED), where the addon can read them. */
  peer(): PeerCredentials | undefined {
    return peerCredentials(this.socket);
  }

  static connect(path: string, timeoutMs = 5_000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      const timer = setTimeout(() => (socket.destroy(), reject(new AgentError("AGENT_UNREACHABLE", `no answer from ${path} within ${timeoutMs} ms`, { path }))), timeoutMs);
      socket.once("connect", () => (clearTimeout(timer), resolve(new ControlClient(socket))));
      socket.once("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // Codes, not messages: the CLI's exit status (3 unreachable, 4 permission) follows them.
        if (e.code === "EACCES" || e.code === "EPERM") {
          return reject(new AgentError("PERMISSION_DENIED", `cannot connect to ${path}: permission denied (status.sock needs the technician group, admin.sock the agent's user or root)`, { path, errno: e.code }));
        }
        const hint = e.code === "ENOENT" || e.code === "ECONNREFUSED" || e.code === "ENOTDIR" ? "is the agent running? (npm start, or systemctl status glase-agent; --socket-dir DIR)" : e.message;
        reject(new AgentError("AGENT_UNREACHABLE", `cannot connect to ${path}: ${hint}`, { path, errno: e.code }));
      });
    });
  }

  private onLine(line: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      return;
    }
    const id = reply.id ?? null;
    if (reply.event !== undefined && id !== null) {
      this.watchers.get(id)?.(reply.event);
      return;
    }
    if (id === null) {
      // A reply without id answers a request the server could not read at all; fail the oldest.
      const first = this.pending.keys().next();
      if (first.done) {
        if (reply.ok === false) this.refusal = reply;
        return;
      }
      return this.settle(first.value, reply);
    }
    this.settle(id, reply);
  }

  private settle(id: string | number, reply: Reply): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new ControlRequestError(reply.error?.code ?? "INTERNAL", reply.error?.message ?? "request failed"));
  }

  private refusalError(): ControlRequestError | undefined {
    const r = this.refusal;
    return r ? new ControlRequestError(r.error?.code ?? "INTERNAL", r.error?.message ?? "refused by the agent") : undefined;
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }

  /** Sends a raw line (tests of malformed input). */
  sendRaw(text: string): void {
    this.socket.write(text);
  }

  request<T = unknown>(cmd: string, args: Record<string, unknown> = {}, opts: { readonly timeoutMs?: number } = {}): Promise<T> {
    if (this.refusal) return Promise.reject(this.refusalError()!);
    if (this.closed) return Promise.reject(new AgentError("AGENT_UNREACHABLE", "connection to the agent closed"));
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? timeoutFor(cmd, args);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ControlRequestError("TIMEOUT", `no answer to '${cmd}' within ${timeoutMs} ms (is the agent wedged? systemctl status glase-agent)`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(JSON.stringify({ id, cmd, args, from: this.from }) + "\n");
    });
  }

  /** Starts the event stream; `onEvent` gets the snapshot frame first, then every event. */
  async watch(onEvent: (event: unknown) => void): Promise<void> {
    const id = this.nextId; // request() takes this id
    this.watchers.set(id, onEvent);
    await this.request("watch");
  }

  /** Resolves when the connection closes (the agent stopped). */
  closedPromise(): Promise<void> {
    return new Promise((resolve) => (this.socket.destroyed ? resolve() : this.socket.once("close", () => resolve())));
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
