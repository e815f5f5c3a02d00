// The issuer's notification endpoint (contract §7.1): Glase POSTs `{"invoiceId": N}` and counts
// only HTTP 200 as delivered. 200 is answered only once the notification is durably in the
// journal, so a crash before that makes Glase retry, and a crash after it loses nothing. A
// repeated notification is answered 200 again and processed once. Anything malformed is answered
// 400 with the reason and leaves no trace in the journal.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../log.ts";
import { isJsonContentType, readLimitedBody, sendJson } from "./http-body.ts";
import type { InvoiceStore } from "./store.ts";

export const NOTIFICATION_BODY_LIMIT = 4096;

export interface NotificationEndpointOptions {
  readonly host: string;
  readonly port: number;
  /** Path notifications arrive on (the path of the public URL, unless a proxy rewrites it). */
  readonly path: string;
  readonly store: InvoiceStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** Called after a new notification is journaled (starts the settlement). */
  readonly onRecorded: (invoiceId: number) => void;
}

export interface NotificationEndpoint {
  readonly port: number;
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

export async function startNotificationEndpoint(o: NotificationEndpointOptions): Promise<NotificationEndpoint> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://endpoint").pathname;
    if (path !== o.path) return sendJson(res, 404, { error: `notifications are accepted on ${o.path} only` });
    if (req.method !== "POST") return sendJson(res, 405, { error: "notifications must be POSTed" }, { allow: "POST" });
    if (!isJsonContentType(req.headers["content-type"])) {
      return sendJson(res, 400, { error: "Content-Type must be application/json" }, { connection: "close" });
    }
    const body = await readLimitedBody(req, NOTIFICATION_BODY_LIMIT);
    if (!body.ok) return sendJson(res, 400, { error: body.reason }, { connection: "close" });
    const parsed = parseNotification(body.body);
    if (!parsed.ok) return sendJson(res, 400, { error: parsed.reason });
    let outcome: "new" | "duplicate";
    try {
      outcome = await o.store.recordNotification(parsed.invoiceId, o.clock.now());
    } catch (e) {
      // Not journaled ⇒ not acknowledged: Glase retries on its schedule.
      o.log.error("notification_journal_failed", { invoiceId: parsed.invoiceId, error: e });
      return sendJson(res, 503, { error: "could not record the notification; retry later" });
    }
    o.log.info("notification_received", { invoiceId: parsed.invoiceId, outcome });
    sendJson(res, 200, { invoiceId: parsed.invoiceId, status: outcome === "new" ? "accepted" : "already-received" });
    o.onRecorded(parsed.invoiceId);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      o.log.error("notification_handler_failed", { error: e });
      sendJson(res, 500, { error: "internal error" });
    });
  });
  // Slow or stuck clients must not pin sockets: the body is at most 4 KiB.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    port,
    url: `http://${hostInUrl}:${port}${o.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
