// What one local client may cost the agent. The technician sockets are open to a whole group
// (status.sock) and a client is just a process: it may pipeline thousands of requests, subscribe
// again and again, or stop reading while replies and events pile up. Every one of those is
// bounded here, and a client that passes a bound is dropped with a reason — the agent's memory
// and the other technicians' answers never depend on how a client behaves.

export interface ConnectionLimits {
  /** Open connections per socket; at the cap a misbehaving or idle one is evicted, else the new one is refused. */
  readonly maxConnections: number;
  /**
   * Open connections per peer uid (SO_PEERCRED), below maxConnections: one group member with
   * many `watch`es (which are never idle-evicted) must not hold every slot. At this cap the
   * peer's own idle connection, else its oldest watch, makes room; at maxConnections the oldest
   * watch of the peer holding the most does (admission.ts).
   */
  readonly maxConnectionsPerPeer: number;
  /** A connection with nothing in flight and no watch is closed after this long without a request. */
  readonly idleTimeoutMs: number;
  /** Output queued in the agent for a client that does not read; past it the client is dropped. */
  readonly maxUnreadBytes: number;
  /** A client whose queued output has not drained for this long is dropped (it stopped reading). */
  readonly writeStallMs: number;
  /** Requests read but not yet answered; reading from the client pauses past it (backpressure). */
  readonly maxQueuedRequests: number;
  /** One request line (JSON). */
  readonly maxRequestBytes: number;
  /** One reply line; a longer result is answered REPLY_TOO_LARGE (ask for a smaller page). */
  readonly maxReplyBytes: number;
  /**
   * Requests answered per second on the socket, shared fairly by its clients (each waits its
   * turn in arrival order). Each request is cheap, but a non-reading client's kernel buffer takes
   * hundreds of replies before backpressure shows: unmetered, 50 such clients made the agent
   * build ~10,000 replies in a few seconds and its heap grew by 12-23 MiB of garbage.
   */
  readonly requestsPerSecond: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxConnections: 64,
  maxConnectionsPerPeer: 16,
  idleTimeoutMs: 60_000,
  maxUnreadBytes: 64 * 1024,
  writeStallMs: 15_000,
  maxQueuedRequests: 8,
  maxRequestBytes: 64 * 1024,
  maxReplyBytes: 1024 * 1024,
  requestsPerSecond: 200,
};

/** admin.sock is for the agent's user and root: a handful of connections is plenty. */
export const ADMIN_LIMITS: Partial<ConnectionLimits> = { maxConnections: 16, maxConnectionsPerPeer: 12 };

/** A token bucket whose waiters are served in arrival order: a fair share for every client. */
export class RequestGate {
  private tokens: number;
  private last = Date.now();
  private readonly waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  turn(): Promise<void> {
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.schedule();
    });
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiters.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        this.waiters.shift()!();
      }
      if (this.waiters.length > 0) this.schedule();
    }, Math.max(1, Math.ceil(1000 / this.perSecond)));
    this.timer.unref();
  }
}
