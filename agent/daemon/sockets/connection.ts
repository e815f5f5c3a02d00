// One client of a technician socket. Requests are answered one at a time, in order; reading
// from the client pauses while requests queue up or while the client has not taken its replies
// (backpressure), so a client that pipelines or stops reading only ever holds one reply and a
// bounded amount of events in the agent's memory. A client past a bound (limits.ts) is dropped
// with a reason, logged at a limited rate.
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import type { Subscription } from "rxjs";
import { isAgentError } from "../../../base/errors.ts";
import type { RateLimitedLogger } from "../../log-rate.ts";
import { redact } from "../../../base/log.ts";
import { allowedOn, COMMANDS, findCommand, type SocketRole } from "./commands.ts";
import type { AdminActor, StationControl } from "./control.ts";
import { LineSplitter } from "./framing.ts";
import type { ConnectionLimits, RequestGate } from "./limits.ts";
import { claimedIdentity, peerCredentials, type PeerCredentials } from "./peer.ts";

type Id = string | number | null;

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
}

export interface ConnectionContext {
  readonly role: SocketRole;
  readonly socketName: string;
  readonly control: StationControl;
  readonly limits: ConnectionLimits;
  readonly log: RateLimitedLogger;
  /** The socket's shared request rate (limits.requestsPerSecond). */
  readonly gate: RequestGate;
  readonly onClose: (c: Connection) => void;
  /** Where the idle timer runs; default real time (unref'd: it never holds the process). */
  readonly timers?: IdleTimers;
}

/** Runs fn after ms; returns a cancel function. */
export interface IdleTimers {
  setTimer(ms: number, fn: () => void): () => void;
}

const realTimers: IdleTimers = {
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

/**
 * Sends a last line and closes so that the client can read it: the write side is ended at once,
 * what the client still sends is read and dropped, and the socket is destroyed when the client
 * closes or after `lingerMs`. Ending and destroying at once (as before) made the client's own
 * request hit a closed socket (EPIPE) before it read the line, so a BUSY was never seen.
 */
export function endWithLine(socket: Socket, line: string, lingerMs = 2_000): void {
  socket.removeAllListeners("data");
  socket.on("error", () => socket.destroy());
  socket.end(line);
  socket.resume();
  const t = setTimeout(() => socket.destroy(), lingerMs);
  t.unref();
  socket.once("close", () => clearTimeout(t));
}

let watchSequence = 0;

export class Connection {
  lastRequestAt = Date.now();
  readonly peer: PeerCredentials | undefined;
  private readonly queue: string[] = [];
  private busy = false;
  private closed = false;
  private watch: { readonly id: Id; readonly sub: Subscription; readonly since: number } | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private cancelIdle: (() => void) | undefined;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.peer = peerCredentials(socket);
    socket.setEncoding("utf8");
    const max = ctx.limits.maxRequestBytes;
    const splitter = new LineSplitter(max, {
      line: (text) => this.enqueue(text),
      tooLong: (bytes) => this.reply(null, { ok: false, error: { code: "LINE_TOO_LONG", message: `request line of ${bytes} bytes exceeds the limit of ${max}` } }),
    });
    socket.on("data", (chunk: string) => splitter.push(chunk));
    socket.on("drain", () => this.onDrain());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.onClosed());
    this.armIdle();
  }

  get watching(): boolean {
    return this.watch !== undefined;
  }

  /** Output the client has not taken yet (bytes queued in the agent). */
  get unreadBytes(): number {
    return this.socket.writableLength;
  }

  /** At the connection cap: a client that is not reading, or has nothing going on, may be evicted. */
  get evictable(): boolean {
    return this.stallTimer !== undefined || (!this.watching && !this.busy && this.queue.length === 0);
  }

  /** Ends the connection with an error line the client can read (if it reads at all). */
  drop(code: string, reason: string): void {
    if (this.closed) return;
    this.ctx.log.log("warn", "socket-client-dropped", { socket: this.ctx.socketName, code, reason, ...this.who() });
    const line = JSON.stringify({ id: null, ok: false, error: { code, message: reason } }) + "\n";
    const reading = this.stallTimer === undefined && this.socket.writableLength < this.ctx.limits.maxUnreadBytes;
    this.onClosed();
    if (reading) endWithLine(this.socket, line);
    else this.socket.destroy();
  }

  /** The client has stopped taking its output (a write is stalled). */
  get stuck(): boolean {
    return this.stallTimer !== undefined;
  }

  /** When this connection started watching (the oldest watch of a peer is evicted first). */
  get watchingSince(): number | undefined {
    return this.watch?.since;
  }

  private who(): Record<string, number> {
    return this.peer ? { peerUid: this.peer.uid, peerPid: this.peer.pid } : {};
  }

  private armIdle(): void {
    this.cancelIdle?.();
    this.cancelIdle = (this.ctx.timers ?? realTimers).setTimer(this.ctx.limits.idleTimeoutMs, () => {
      if (this.closed) return;
      if (this.watching || this.busy || this.queue.length > 0) return this.armIdle();
      this.drop("IDLE_TIMEOUT", `no request for ${this.ctx.limits.idleTimeoutMs} ms`);
    });
  }

  private enqueue(text: string): void {
    if (this.closed) return;
    this.lastRequestAt = Date.now();
    this.armIdle();
    this.queue.push(text);
    if (this.queue.length >= this.ctx.limits.maxQueuedRequests) this.socket.pause();
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        // Take no new request while the client has not read the last reply.
        if (this.stallTimer !== undefined) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
        if (this.closed) return;
        await this.ctx.gate.turn();
        if (this.closed) return;
        const line = this.queue.shift()!;
        if (this.queue.length < this.ctx.limits.maxQueuedRequests && this.stallTimer === undefined) this.socket.resume();
        await this.handle(line);
      }
    } finally {
      this.busy = false;
    }
  }

  private write(line: string): void {
    if (this.closed || this.socket.destroyed || !this.socket.writable) return;
    if (!this.socket.write(line) && this.stallTimer === undefined) {
      this.socket.pause();
      this.stallTimer = setTimeout(() => this.drop("NOT_READING", `output not taken for ${this.ctx.limits.writeStallMs} ms (${this.socket.writableLength} bytes queued)`), this.ctx.limits.writeStallMs);
      this.stallTimer.unref();
    }
  }

  private onDrain(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    if (this.queue.length < this.ctx.limits.maxQueuedRequests) this.socket.resume();
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private reply(id: Id, body: { ok: true; result: unknown } | { ok: false; error: ErrorBody }): void {
    let line = JSON.stringify({ id, ...body }) + "\n";
    const bytes = Buffer.byteLength(line);
    if (bytes > this.ctx.limits.maxReplyBytes) {
      const error: ErrorBody = { code: "REPLY_TOO_LARGE", message: `the reply of ${bytes} bytes exceeds the limit of ${this.ctx.limits.maxReplyBytes}; ask for a smaller page (-n, --since, --cursor)` };
      line = JSON.stringify({ id, ok: false, error }) + "\n";
    }
    this.write(line);
  }

  private event(id: Id, payload: Record<string, unknown>): void {
    if (this.socket.writableLength > this.ctx.limits.maxUnreadBytes) {
      return this.drop("NOT_READING", `${this.socket.writableLength} bytes of events not read (limit ${this.ctx.limits.maxUnreadBytes})`);
    }
    this.write(JSON.stringify({ id, ...payload }) + "\n");
  }

  private fail(id: Id, code: string, message: string): void {
    this.reply(id, { ok: false, error: { code, message } });
  }

  private stopWatch(): void {
    this.watch?.sub.unsubscribe();
    this.watch = undefined;
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.stallTimer);
    this.cancelIdle?.();
    this.stopWatch();
    this.queue.length = 0;
    for (const w of this.drainWaiters.splice(0)) w();
    this.ctx.onClose(this);
  }

  private async handle(line: string): Promise<void> {
    const { control, role } = this.ctx;
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      return this.fail(null, "BAD_JSON", "request is not valid JSON (one JSON object per line)");
    }
    if (typeof req !== "object" || req === null || Array.isArray(req)) return this.fail(null, "BAD_REQUEST", "request must be an object {id, cmd, args}");
    const { id: rawId, cmd, args, from } = req as { id?: unknown; cmd?: unknown; args?: unknown; from?: unknown };
    const id: Id = typeof rawId === "string" || typeof rawId === "number" ? rawId : null;
    if (rawId !== undefined && id === null) return this.fail(null, "BAD_REQUEST", "id must be a string or a number");
    if (typeof id === "string" && id.length > 64) return this.fail(null, "BAD_REQUEST", "id: at most 64 characters");
    if (typeof cmd !== "string") return this.fail(id, "BAD_REQUEST", "cmd: required (a string)");
    const spec = findCommand(cmd);
    if (!spec) return this.fail(id, "UNKNOWN_COMMAND", `unknown command '${cmd.slice(0, 60)}'; 'help' lists the commands`);
    if (!allowedOn(role, spec)) return this.fail(id, "FORBIDDEN", `'${cmd}' is only available on admin.sock`);
    const parsed = spec.args.safeParse(args === undefined || args === null ? {} : args);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "args"}: ${i.message}`);
      return this.fail(id, "BAD_ARGS", issues.join("; "));
    }
    if (cmd === "help") {
      return this.reply(id, { ok: true, result: COMMANDS.filter((c) => !c.hidden && allowedOn(role, c)).map((c) => ({ name: c.name, summary: c.summary })) });
    }
    if (cmd === "watch") return this.startWatch(id);
    if (cmd === "unwatch") {
      this.stopWatch();
      return this.reply(id, { ok: true, result: { watching: false } });
    }
    const actor: AdminActor | undefined =
      spec.role === "admin" ? { socket: this.ctx.socketName, ...(this.peer ? { peer: this.peer } : {}), ...(claimedIdentity(from) ? { claimed: claimedIdentity(from)! } : {}) } : undefined;
    const audit = actor && control.recordAdminAction ? { actionId: randomBytes(6).toString("hex"), cmd, args: redact(parsed.data), actor } : undefined;
    try {
      if (audit) await control.recordAdminAction!({ ...audit, phase: "requested" });
      let result: unknown;
      try {
        result = await spec.run(control, parsed.data, actor ? { actor } : {});
      } catch (e) {
        if (audit) await control.recordAdminAction!({ ...audit, phase: "failed", error: isAgentError(e) ? e.code : "INTERNAL" });
        throw e;
      }
      if (audit) await control.recordAdminAction!({ ...audit, phase: "done" });
      this.reply(id, { ok: true, result: result ?? null });
    } catch (e) {
      if (isAgentError(e)) return this.fail(id, e.code, e.message);
      const code = (e as { code?: unknown })?.code;
      this.ctx.log.log("error", "socket-command-failed", { cmd, err: e });
      this.fail(id, typeof code === "string" ? code : "INTERNAL", (e as Error)?.message ?? String(e));
    }
  }

  private startWatch(id: Id): void {
    if (this.watch) return this.fail(id, "CONFLICT", `this connection already watches (id ${JSON.stringify(this.watch.id)}); one watch per connection, unwatch first`);
    const { control } = this.ctx;
    this.reply(id, { ok: true, result: { watching: true } });
    // A first frame with the current picture, then every change.
    this.event(id, { event: { type: "snapshot", points: control.points(), alarms: control.alarms().slice(-50), status: control.status() } });
    if (this.closed) return;
    this.watch = {
      id,
      sub: control.events$.subscribe({
        next: (event) => this.event(id, { event }),
        complete: () => this.event(id, { end: true }),
      }),
      since: ++watchSequence,
    };
  }
}
