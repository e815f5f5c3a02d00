// The agent's OCPP 1.6J endpoint: an HTTP (or, for security profile 2, HTTPS) server whose
// WebSocket upgrades at <path>/<chargePointId> become ocpp-rpc connections in strict mode (the
// official schemas; transaction messages may carry extra properties, validation.ts). Refusals, in
// order: another path (404), no `ocpp1.6` subprotocol (400), then who it is — an unknown charge
// point id and a missing or wrong Basic-auth password (where the charger's profile asks for one)
// are the same 401, counted per source address (upgrade-throttle.ts: after a few, that source is
// refused, the same 401, for a doubling time; the real chargers still get in), so ids can be
// neither told apart nor guessed quickly (review 12m #2). The flood limit is kept per charger id
// across its connections (flood-bucket.ts): after a flood close that id is refused (429) for a
// while. A charger that connects again (authenticated as its profile asks) replaces its previous
// connection. Frames above maxFrameBytes close the connection (1009, by ws; reported:
// OCPP_FRAME_TOO_LARGE); ten malformed frames in a row close it (1002, by ocpp-rpc).
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { Scheduler } from "../../base/clock.ts";
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import { CLOSE, ChargerLink } from "./charger-link.ts";
import { CallPacer } from "./call-pacer.ts";
import { FloodBucket } from "./flood-bucket.ts";
import type { ChargerConfig, Ocpp16Config } from "./config.ts";
import { OCPP16 } from "./messages.ts";
import { createRpcServer, FRAME_TOO_LARGE, oversizedMessageBytes, type RpcHandshake, type RpcPeer, type RpcServer } from "./rpc.ts";
import { UpgradeThrottle } from "./upgrade-throttle.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";
import { extraProperties, LENIENT_ACTIONS, ocpp16Validator } from "./validation.ts";

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly minVersion: "TLSv1.2" | "TLSv1.3";
}

export interface CentralSystemOptions {
  readonly config: Ocpp16Config;
  /** Basic-auth passwords of the chargers with security profile 1 or 2. */
  readonly passwords: ReadonlyMap<string, Buffer>;
  readonly tls?: TlsMaterial;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** Where the chargers' known source addresses are kept across restarts (upgrade-throttle.ts). */
  readonly store?: DriverStore;
  /** A charger connected (its handlers are registered here, before its first frame is read). */
  onConnect(link: ChargerLink): void;
  /** That connection is gone (not called for a connection a newer one replaced before it opened). */
  onDisconnect(link: ChargerLink, code: number): void;
  /** A charger's connection was closed for flooding (first: the first of a series). */
  onFlood?(chargePointId: string, why: string, first: boolean): void;
  /** A charger's connection was closed (1009) for a message above maxFrameBytes: its size if known; the closes in a row. */
  onFrameTooLarge?(chargePointId: string, bytes: number | undefined, closes: number): void;
}

/** What every refused credential is told (HTTP 401), whatever the reason in the log. */
const UNAUTHORIZED = "wrong or missing Basic auth password";

/** Log the first few problems of a connection, then one in a hundred. */
function shouldLog(count: number): boolean {
  return count <= 5 || count % 100 === 0;
}

export class CentralSystem {
  private readonly rpc: RpcServer;
  private readonly chargers = new Map<string, ChargerConfig>();
  private readonly links = new Map<string, ChargerLink>();
  /** Each configured charger id's flood limit, across its connections. */
  private readonly floodBuckets = new Map<string, FloodBucket>();
  /** Each configured charger id's work limit (call-pacer.ts), across its connections. */
  private readonly pacers = new Map<string, CallPacer>();
  /** Connections closed for a frame above maxFrameBytes in a row, by configured charger id. */
  private readonly tooLargeCloses = new Map<string, number>();
  /** Failed upgrades (unknown ids, wrong passwords) by source address and by charger id + address. */
  private readonly throttle: UpgradeThrottle;
  private http: Server | undefined;
  private closed = false;

  constructor(private readonly options: CentralSystemOptions) {
    const { config } = options;
    for (const c of config.chargers) this.chargers.set(c.id, c);
    this.throttle = new UpgradeThrottle(options.scheduler, options.logger, options.store);
    this.rpc = createRpcServer({
      protocols: [OCPP16],
      strictMode: true,
      strictModeValidators: [ocpp16Validator],
      callTimeoutMs: config.callTimeoutS * 1000,
      pingIntervalMs: 30_000,
      maxBadMessages: 10,
      wssOptions: { maxPayload: config.maxFrameBytes },
    });
    this.rpc.auth((accept, reject, handshake) => {
      const refusal = this.refusal(handshake);
      if (refusal) {
        if (!refusal.quiet) options.logger.warn("charger_refused", { chargePointId: handshake.identity.slice(0, 64), from: handshake.remoteAddress, status: refusal.status, why: refusal.why });
        reject(refusal.status, refusal.answer);
        return;
      }
      accept({}, OCPP16);
    });
    this.rpc.on("client", (peer) => this.adopt(peer));
    this.rpc.on("error", (err) => options.logger.error("ocpp_server_error", { err }));
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    await this.throttle.load();
    const { listen } = this.options.config;
    const tls = this.options.tls;
    const notWebSocket = (_req: IncomingMessage, res: ServerResponse) => {
      res.statusCode = 426;
      res.setHeader("Upgrade", "websocket");
      res.end("OCPP 1.6J central system: connect with a WebSocket (subprotocol ocpp1.6) to " + listen.path + "/<chargePointId>\n");
    };
    const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: tls.minVersion }, notWebSocket) : createHttpServer(notWebSocket);
    // ocpp-rpc's handler is async and decodes the path before its own try: a bad %-escape
    // (/ocpp/%E0) rejected unhandled — one request without credentials stopped the daemon (review
    // 12g #1). Refused here with a 400 first; any other failure of it ends that socket, never us.
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const refuse = (why: string, err?: unknown) => {
        this.options.logger.warn("ocpp_upgrade_refused", { from: req.socket.remoteAddress, why, ...(err !== undefined ? { err } : {}) });
        if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        socket.destroy();
      };
      if (!decodablePath(req.url)) return refuse("request path is not a valid URL path");
      Promise.resolve(this.rpc.handleUpgrade(req, socket, head)).catch((err: unknown) => refuse("upgrade failed", err));
    });
    server.on("clientError", (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) => reject(new AgentError("DEVICE_DISCONNECTED", `OCPP listener ${listen.host}:${listen.port}: ${err.message}`, { host: listen.host, port: listen.port }, { cause: err })));
      server.listen(listen.port, listen.host, () => resolve());
    });
    this.http = server;
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : listen.port;
    this.options.logger.info("ocpp_listening", { url: `${tls ? "wss" : "ws"}://${listen.host}:${port}${listen.path}/<chargePointId>`, chargers: this.chargers.size });
    return port;
  }

  link(chargePointId: string): ChargerLink | undefined {
    const l = this.links.get(chargePointId);
    return l?.open ? l : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map((l) => l.close(CLOSE.shutdown, "central system shutting down")));
    await this.rpc.close({ code: CLOSE.shutdown, force: true }).catch(() => undefined);
    const http = this.http;
    this.http = undefined;
    if (http) {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    }
  }

  /**
   * Why an upgrade is refused (for the log), its HTTP status and what the client is told; quiet:
   * not logged (a locked source's attempts, counted in the throttle's next line instead). Every
   * 401 reads the same: an unknown id, a wrong password and a locked source are not told apart.
   */
  private refusal(h: RpcHandshake): { status: number; why: string; answer: string; quiet?: true } | undefined {
    const plain = (status: number, why: string) => ({ status, why, answer: why });
    const unauthorized = (why: string, quiet?: true) => ({ status: 401, why, answer: UNAUTHORIZED, ...(quiet ? { quiet } : {}) });
    if (this.closed) return plain(503, "shutting down");
    if (h.endpoint !== this.options.config.listen.path) return plain(404, `no OCPP endpoint at ${h.endpoint}`);
    if (!h.protocols.has(OCPP16)) return plain(400, "subprotocol ocpp1.6 required");
    const from = h.remoteAddress ?? "?";
    const charger = this.chargers.get(h.identity);
    const lockedMs = this.throttle.lockedForMs(charger?.id, from);
    if (lockedMs > 0) return unauthorized(`too many unknown ids or wrong passwords from ${from}: refused unchecked for ${Math.ceil(lockedMs / 1000)} s`, true);
    if (!charger) {
      this.throttle.failed(undefined, from);
      return unauthorized("unknown charge point id");
    }
    if (charger.securityProfile >= 1) {
      const expected = this.options.passwords.get(charger.id);
      if (!expected || !h.password || !samePassword(h.password, expected)) {
        this.throttle.failed(charger.id, from);
        return unauthorized("wrong or missing password");
      }
    }
    // After the password: a stranger does not learn that a protected id was closed for flooding.
    const floodMs = this.floodBucket(charger.id).lockedForMs();
    if (floodMs > 0) return plain(429, `closed for flooding: retry in ${Math.ceil(floodMs / 1000)} s`);
    if (charger.securityProfile === 2 && !(h.request.socket as TLSSocket).encrypted) return plain(403, "security profile 2 requires TLS");
    this.throttle.succeeded(charger.id, from);
    return undefined;
  }

  /** Configured ids only (refusal() turns the others away first): bounded by the config. */
  private floodBucket(id: string): FloodBucket {
    let b = this.floodBuckets.get(id);
    if (!b) this.floodBuckets.set(id, (b = new FloodBucket(this.options.config.maxCallsPerSecond, this.options.scheduler)));
    return b;
  }

  private adopt(peer: RpcPeer & { readonly handshake: RpcHandshake }): void {
    const id = peer.identity;
    const { config, scheduler, logger } = this.options;
    const limits = { maxCallsPerSecond: config.maxCallsPerSecond, maxQueuedCalls: config.maxQueuedCalls, callTimeoutMs: config.callTimeoutS * 1000, optionalCallTimeoutMs: config.triggerTimeoutS * 1000 };
    let pacer = this.pacers.get(id);
    if (!pacer) this.pacers.set(id, (pacer = new CallPacer(config.maxCallsPerSecond, scheduler, config.maxBusyS * 1000)));
    const link = new ChargerLink(id, peer, limits, scheduler, logger, this.floodBucket(id), pacer, (why, first) => this.options.onFlood?.(id, why, first));
    const previous = this.links.get(id);
    this.links.set(id, link);
    if (previous) {
      const fromOld = previous.remoteAddress;
      const from = peer.handshake.remoteAddress;
      // Another address taking over a live connection is worth a look (an impostor on a profile-0 LAN).
      const fields = { chargePointId: id, note: "replacing its previous connection", from, previousFrom: fromOld, previousOpen: previous.open };
      if (previous.open && fromOld !== from) logger.warn("charger_reconnected", fields);
      else logger.info("charger_reconnected", fields);
      void previous.close(CLOSE.replaced, "replaced by a new connection");
    }
    let invalid = 0;
    let bad = 0;
    let extra = 0;
    peer.on("call", ((e: { outbound: boolean; payload: unknown[] }) => {
      const action = String(e.payload[2]);
      if (e.outbound || !(LENIENT_ACTIONS as readonly string[]).includes(action)) return;
      const fields = extraProperties(action, e.payload[3]);
      if (fields.length > 0 && shouldLog(++extra)) logger.warn("ocpp_extra_properties", { chargePointId: id, action, fields, note: "accepted: not in the OCPP 1.6 schema, ignored", count: extra });
    }) as never);
    peer.on("strictValidationFailure", ((e: { method: string; outbound: boolean; isCall: boolean; error: Error }) => {
      if (shouldLog(++invalid)) logger.warn("ocpp_schema_violation", { chargePointId: id, action: e.method, ours: e.outbound, call: e.isCall, problem: e.error.message.slice(0, 200), count: invalid });
    }) as never);
    peer.on("badMessage", ((e: { error: Error }) => {
      if (shouldLog(++bad)) logger.warn("ocpp_bad_frame", { chargePointId: id, problem: e.error.message.slice(0, 200), count: bad });
    }) as never);
    // A frame above maxFrameBytes: ws closes the connection (1009) before anything reads it, and
    // the charger sends the same message again at every reconnect (review 12m #1). Told, with the
    // size, so the operator learns which limit to raise.
    let tooLarge: { bytes: number | undefined } | undefined;
    peer.on("socketError", ((err: { code?: unknown }) => {
      if (err.code === FRAME_TOO_LARGE) tooLarge = { bytes: oversizedMessageBytes(peer) };
    }) as never);
    peer.once("close", ((e: { code: number; reason: string }) => {
      if (this.links.get(id) === link) this.links.delete(id);
      logger.info("charger_disconnected", { chargePointId: id, code: e.code, reason: e.reason });
      // A series lasts until a connection of that charger ends for another reason.
      const closes = tooLarge ? (this.tooLargeCloses.get(id) ?? 0) + 1 : 0;
      if (closes > 0) this.tooLargeCloses.set(id, closes);
      else this.tooLargeCloses.delete(id);
      if (tooLarge) this.options.onFrameTooLarge?.(id, tooLarge.bytes, closes);
      this.options.onDisconnect(link, e.code);
    }) as never);
    logger.info("charger_connected", { chargePointId: id, from: peer.handshake.remoteAddress });
    this.options.onConnect(link);
  }
}

/** Constant-time comparison of two secrets of any length. */
function samePassword(given: Buffer, expected: Buffer): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The upgrade's path, decoded as ocpp-rpc will decode it (each segment), without throwing. */
function decodablePath(url: string | undefined): boolean {
  try {
    for (const part of new URL(`http://localhost${url ?? "/"}`).pathname.split("/")) decodeURIComponent(part);
    return true;
  } catch {
    return false;
  }
}
