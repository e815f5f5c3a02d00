// The issuer's notification endpoint (contract §7.1): Glase POSTs `{"invoiceId": N}` and counts
// only HTTP 200 as delivered. 200 is answered only once the notification is durably in the
// journal, so a crash before that makes Glase retry, and a crash after it loses nothing. A
// repeated notification is answered 200 again and processed once. Anything malformed is answered
// 400 (413 too large, 415 not JSON) with the reason and leaves no trace in the journal.
//
// The endpoint is public, and §7.1 gives notifications no authentication, so:
//   - its path ends in a secret token (the issuer registers `publicUrl/TOKEN` at Glase): any other
//     path is answered 404 from the request line alone — compared in constant time, never echoed,
//     nothing read, stored or fetched — so a flood from anyone who does not know the URL costs a
//     connection and a 404, and never delays a real notification;
//   - connection slots are shared fairly (connection-guard.ts): a source is held to its share, and
//     at a cap the stalest half-sent connection is evicted rather than the new one refused;
//     headers must arrive within HEADERS_TIMEOUT_MS;
//   - for whoever has the URL (Glase; a leak), the work is bounded too: notifications arriving
//     together are journaled in one transaction (one fsync per burst, not per id); past
//     MAX_PENDING journaled-but-unfetched ids new ones are answered 503 and past the intake rate
//     429 (Glase retries both on its schedule); bodies are capped;
//   - and fairly per source: one source address (the peer; behind a reverse proxy configured as
//     invoiceService.trustedProxy, the X-Forwarded-For it sets) has at most MAX_PENDING_PER_SOURCE ids waiting for their details,
//     and the details lookups take the sources in turn (settlement.ts) — a leaked token's flood
//     neither delays Glase's real notification nor fills the pending bound against it.
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import { rateLimitedLogger } from "../log-rate.ts";
import { guardConnections } from "./connection-guard.ts";
import { listenGuarded, type ListenRetry } from "./listener.ts";
import { isJsonContentType, readLimitedBody, sendJson } from "../../base/io/http-body.ts";
import type { InvoiceStore } from "./store.ts";

export const NOTIFICATION_BODY_LIMIT = 4096;
/** Journaled notifications not yet fetched; past this, new ones are refused with 503. */
export const MAX_PENDING = 1_000;
/** Ids of one source waiting for their details; past this, that source's new ones get 503. */
export const MAX_PENDING_PER_SOURCE = 250;
/** Intake: a bucket of INTAKE_BURST new notifications refilled at INTAKE_PER_SECOND. */
export const INTAKE_PER_SECOND = 500;
export const INTAKE_BURST = 2_000;
/** Open connections to the endpoint, and per source address (connection-guard.ts). */
export const MAX_CONNECTIONS = 512;
export const MAX_CONNECTIONS_PER_SOURCE = 64;
/** Glase sends its request whole, server to server: a client still sending headers after this is closed. */
export const HEADERS_TIMEOUT_MS = 3_000;

export interface NotificationEndpointOptions {
  readonly host: string;
  readonly port: number;
  /** A Unix socket instead of host:port (listener.ts: cannot be squatted). */
  readonly socketPath?: string;
  /** A TCP port held by someone else: alarm and retry instead of failing (listener.ts). */
  readonly onPortTaken?: (detail: string) => void;
  readonly onListening?: () => void;
  readonly listenRetry?: ListenRetry;
  /** Path notifications arrive on, token included (the path of the public URL + `/TOKEN`). */
  readonly path: string;
  readonly store: InvoiceStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** Bounds (tests shrink them); defaults MAX_PENDING, INTAKE_PER_SECOND, INTAKE_BURST. */
  readonly limits?: {
    readonly maxPending?: number;
    readonly maxPendingPerSource?: number;
    readonly intakePerSecond?: number;
    readonly intakeBurst?: number;
    readonly maxConnections?: number;
    readonly maxConnectionsPerSource?: number;
  };
  /** Whose X-Forwarded-For names the source (invoiceService.trustedProxy); default nobody's. */
  readonly trustedProxy?: TrustedProxy;
  /** Called after new notifications are journaled (starts the settlement), per source. */
  readonly onRecorded: (invoiceIds: readonly number[], source: string) => void;
  /** Ids of a source waiting for their details (settlement.ts pendingFrom); default none counted. */
  readonly pendingFrom?: (source: string) => number;
}

export interface NotificationEndpoint {
  readonly port: number;
  /** False while the TCP port is held by someone else (the bind is being retried). */
  listening(): boolean;
  /** Local URL of the endpoint (what a local simulator can be provisioned with). */
  readonly url: string;
  close(): Promise<void>;
}

type Parsed = { ok: true; invoiceId: number } | { ok: false; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Validates a notification body: a JSON object whose `invoiceId` is a positive integer. */
export function parseNotification(body: Buffer): Parsed {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, reason: "body is not valid UTF-8" };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: "body is not JSON" };
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) return { ok: false, reason: 'body must be a JSON object {"invoiceId": N}' };
  const id = (json as { invoiceId?: unknown }).invoiceId;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) {
    return { ok: false, reason: "invoiceId must be a positive integer" };
  }
  return { ok: true, invoiceId: id };
}

/**
 * Group commit: ids arriving while a journal write runs are written together by the next one, so
 * a burst of N notifications costs a few fsyncs instead of N.
 */
class NotificationBatcher {
  private waiting: Array<{ id: number; source: string; resolve: (v: "new" | "duplicate") => void; reject: (e: unknown) => void }> = [];
  private writing = false;

  constructor(
    private readonly o: NotificationEndpointOptions,
  ) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Ids of `source` waiting to be journaled. */
  queuedFrom(source: string): number {
    return this.waiting.reduce((n, w) => n + (w.source === source ? 1 : 0), 0);
  }

  record(id: number, source: string): Promise<"new" | "duplicate"> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, source, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, 500);
      try {
        const outcomes = await this.o.store.recordNotifications(batch.map((b) => b.id), this.o.clock.now());
        for (const b of batch) b.resolve(outcomes.get(b.id)!);
        const fresh = new Map<string, number[]>();
        for (const b of batch) {
          if (outcomes.get(b.id) !== "new" || fresh.get(b.source)?.includes(b.id)) continue;
          fresh.set(b.source, [...(fresh.get(b.source) ?? []), b.id]);
        }
        for (const [source, ids] of fresh) this.o.onRecorded(ids, source);
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    this.writing = false;
  }
}

/** A token bucket: `take()` is false once the burst is spent faster than the refill. */
function tokenBucket(perSecond: number, burst: number, now: () => number): { take(): boolean } {
  let tokens = burst;
  let at = now();
  return {
    take() {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - at) / 1000) * perSecond);
      at = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** `invoiceService.trustedProxy`: whose X-Forwarded-For is believed (default: nobody's). */
export type TrustedProxy = boolean | readonly string[] | undefined;

function isTrustedProxy(peer: string, trusted: TrustedProxy): boolean {
  if (trusted === true) return LOOPBACK.test(peer);
  if (!Array.isArray(trusted)) return false;
  const bare = peer.replace(/^::ffff:/, "");
  return trusted.some((t) => t === peer || t === bare);
}

/**
 * Who sent a notification: the real peer address. Only when the peer is a configured trusted
 * proxy (`invoiceService.trustedProxy`; docs/install.md §8 sets `X-Forwarded-For $remote_addr`)
 * is the last address it forwarded believed instead — otherwise any local user could claim a
 * fresh source per request and defeat the per-source bound (review 3 #1).
 */
export function sourceOf(req: IncomingMessage, trusted?: TrustedProxy): string {
  const peer = req.socket.remoteAddress ?? "unknown";
  const xff = req.headers["x-forwarded-for"];
  if (xff === undefined || !isTrustedProxy(peer, trusted)) return peer;
  const last = (Array.isArray(xff) ? xff.join(",") : xff).split(",").at(-1)!.trim();
  return /^[0-9A-Fa-f:.]{2,45}$/.test(last) ? last : peer;
}

export async function startNotificationEndpoint(o: NotificationEndpointOptions): Promise<NotificationEndpoint> {
  const batcher = new NotificationBatcher(o);
  const maxPending = o.limits?.maxPending ?? MAX_PENDING;
  const maxPendingPerSource = o.limits?.maxPendingPerSource ?? MAX_PENDING_PER_SOURCE;
  const intake = tokenBucket(o.limits?.intakePerSecond ?? INTAKE_PER_SECOND, o.limits?.intakeBurst ?? INTAKE_BURST, () => Date.now());
  const quiet = rateLimitedLogger(o.log);
  const expected = Buffer.from(o.path);
  const isOurPath = (url: string | undefined): boolean => {
    let path: Buffer;
    try {
      path = Buffer.from(new URL(url ?? "/", "http://endpoint").pathname);
    } catch {
      return false;
    }
    return path.length === expected.length && timingSafeEqual(path, expected);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Before anything else: a stranger learns nothing (not even the base path) and costs nothing.
    if (!isOurPath(req.url)) {
      quiet.log("warn", "notification_refused", { reason: "not the notification URL (no or wrong token)", from: req.socket.remoteAddress });
      return sendJson(res, 404, { error: "not found" }, { connection: "close" });
    }
    if (req.method !== "POST") return sendJson(res, 405, { error: "notifications must be POSTed" }, { allow: "POST", connection: "close" });
    if (!isJsonContentType(req.headers["content-type"])) {
      return sendJson(res, 415, { error: "Content-Type must be application/json" }, { connection: "close" });
    }
    const body = await readLimitedBody(req, NOTIFICATION_BODY_LIMIT);
    if (!body.ok) return sendJson(res, body.tooLarge ? 413 : 400, { error: body.reason }, { connection: "close" });
    guard.working(req.socket); // read whole: not evicted while it is journaled
    const parsed = parseNotification(body.body);
    if (!parsed.ok) return sendJson(res, 400, { error: parsed.reason });
    if (o.store.pendingCount + batcher.queued >= maxPending) {
      quiet.log("warn", "notification_refused", { reason: `${maxPending} notifications pending`, invoiceId: parsed.invoiceId });
      return sendJson(res, 503, { error: "too many notifications pending; retry later" }, { "retry-after": "10" });
    }
    const source = sourceOf(req, o.trustedProxy);
    if ((o.pendingFrom?.(source) ?? 0) + batcher.queuedFrom(source) >= maxPendingPerSource) {
      quiet.log("warn", "notification_refused", { reason: `${maxPendingPerSource} notifications of this source pending`, from: source, invoiceId: parsed.invoiceId });
      return sendJson(res, 503, { error: "too many notifications pending; retry later" }, { "retry-after": "10" });
    }
    if (!intake.take()) {
      quiet.log("warn", "notification_refused", { reason: "intake rate exceeded", invoiceId: parsed.invoiceId });
      return sendJson(res, 429, { error: "too many notifications; retry later" }, { "retry-after": "10" });
    }
    let outcome: "new" | "duplicate";
    try {
      outcome = await batcher.record(parsed.invoiceId, source);
    } catch (e) {
      // Not journaled ⇒ not acknowledged: Glase retries on its schedule.
      quiet.log("error", "notification_journal_failed", { invoiceId: parsed.invoiceId, error: e });
      return sendJson(res, 503, { error: "could not record the notification; retry later" });
    }
    quiet.log("info", "notification_received", { invoiceId: parsed.invoiceId, outcome });
    sendJson(res, 200, { invoiceId: parsed.invoiceId, status: outcome === "new" ? "accepted" : "already-received" });
  };

  // Node enforces headersTimeout/requestTimeout only every connectionsCheckingInterval (30 s by default).
  const server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    res.once("finish", () => guard.waiting(req.socket));
    handle(req, res).catch((e: unknown) => {
      o.log.error("notification_handler_failed", { error: e });
      sendJson(res, 500, { error: "internal error" });
    });
  });
  // Slow or stuck clients must not pin sockets: the body is at most 4 KiB.
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = 2 * HEADERS_TIMEOUT_MS;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 50;
  // No server.maxConnections: it refuses the newest connection, which is how a slowloris wins.
  const guard = guardConnections(
    server,
    { maxConnections: o.limits?.maxConnections ?? MAX_CONNECTIONS, maxPerSource: o.limits?.maxConnectionsPerSource ?? MAX_CONNECTIONS_PER_SOURCE },
    (why, source) => quiet.log("warn", "notification_connection_evicted", { reason: why, from: source }),
  );
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  const listener = await listenGuarded(server, o.socketPath !== undefined ? { socketPath: o.socketPath } : { host: o.host, port: o.port }, {
    ...(o.onPortTaken ? { onTaken: o.onPortTaken } : {}),
    ...(o.onListening ? { onListening: o.onListening } : {}),
    ...(o.listenRetry ? { retry: o.listenRetry } : {}),
  });
  const port = o.socketPath !== undefined ? 0 : listener.listening() ? (server.address() as AddressInfo).port : o.port;
  const hostInUrl = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    port,
    listening: () => listener.listening(),
    url: o.socketPath !== undefined ? `http://unix:${o.socketPath}:${o.path}` : `http://${hostInUrl}:${port}${o.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        listener.stop();
        if (!listener.listening()) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
