// What one local client may cost the agent. The technician sockets are open to a whole group
// (status.sock) and a client is just a process: it may pipeline thousands of requests, subscribe
// again and again, or stop reading while replies and events pile up. Every one of those is
// bounded here, and a client that passes a bound is dropped with a reason — the agent's memory
// and the other technicians' answers never depend on how a client behaves.

export interface ConnectionLimits {
  /** Open connections per socket; at the cap a misbehaving or idle one is evicted, else the new one is refused. */
  readonly maxConnections: number;
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
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxConnections: 64,
  idleTimeoutMs: 60_000,
  maxUnreadBytes: 128 * 1024,
  writeStallMs: 15_000,
  maxQueuedRequests: 8,
  maxRequestBytes: 64 * 1024,
  maxReplyBytes: 1024 * 1024,
};

/** admin.sock is for the agent's user and root: a handful of connections is plenty. */
export const ADMIN_LIMITS: Partial<ConnectionLimits> = { maxConnections: 16 };
