// The Kiosk API server: HTTP/1.1 + JSON on a Unix socket (and optionally loopback TCP) for a
// kiosk's own touchscreen app, in front of the shell's KioskHost (drivers/kiosk/contract.ts).
// Every route is in routes.ts (and so in the OpenAPI document); every error is an RFC 9457
// problem; the order of checks is route → token → media type → size → JSON → fields → host.
import { createHash } from "node:crypto";
import { chown, readFile, unlink } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { AgentError, isAgentError } from "../../base/errors.ts";
import { listenUnixSocket } from "../../base/io/unix-socket.ts";
import type { Logger } from "../../base/log.ts";
import type { KioskHost, KioskSale } from "../../contracts/kiosk.ts";
import { authorized, loadToken } from "./auth.ts";
import { kioskApiConfigSchema, type KioskApiConfig, type KioskApiSettings } from "./config.ts";
import { EventHub } from "./events.ts";
import { readJson, sendJson } from "./http-io.ts";
import { buildOpenApi } from "./openapi.ts";
import { fromHostError, invalidField, problem, ProblemError, sendProblem } from "./problems.ts";
import { matchRoute, pathId, type Match } from "./routes.ts";
import { CancelPaymentSchema, CreatePaymentSchema, ReleaseSchema, toPayment, toSaleRequest } from "./schemas.ts";

export interface KioskApiDeps {
  readonly host: KioskHost;
  readonly logger: Logger;
  /**
   * Scopes this API's Idempotency-Keys in the station's host (the controller id; default: derived
   * from socketPath), so two kiosk apps on one station never meet each other's keys.
   */
  readonly keyScope?: string;
}

export interface KioskApi {
  readonly socketPath: string;
  /** The bound loopback port when tcp is configured (port 0 picks one). */
  readonly tcpPort?: number;
  stats(): { streams: number; dropped: number; sent: number };
  close(): Promise<void>;
}

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The Kiosk APIs open on each host, by scope, with the points each serves (undefined: all). A
 * reference or payment id is looked up among an API's points only, so two APIs on one host must
 * serve explicit, disjoint points — else kiosk B's app finds (and may release) kiosk A's sale.
 */
const openApis = new WeakMap<object, Map<string, ReadonlySet<number> | undefined>>();

function claimPoints(host: object, scope: string, points: ReadonlySet<number> | undefined): () => void {
  const apis = openApis.get(host) ?? new Map<string, ReadonlySet<number> | undefined>();
  openApis.set(host, apis);
  for (const [other, theirs] of apis) {
    const shared = !points || !theirs ? undefined : [...points].find((p) => theirs.has(p));
    if (!points || !theirs || shared !== undefined) {
      const what = shared !== undefined ? `both serve point ${shared}` : "one of them serves every point (no points list)";
      throw new AgentError("CONFIG_INVALID", `kiosk-api controllers '${other}' and '${scope}': ${what}; give each its own, disjoint points`, { path: "points", controllers: [other, scope] });
    }
  }
  apis.set(scope, points);
  return () => void apis.delete(scope);
}

export async function openKioskApi(config: KioskApiConfig, deps: KioskApiDeps): Promise<KioskApi> {
  const parsed = kioskApiConfigSchema.safeParse(config);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new AgentError("CONFIG_INVALID", `kioskApi.${i.path.join(".")}: ${i.message}`, { path: i.path.join(".") });
  }
  const settings = parsed.data;
  const token = await loadToken(settings.tokenFile);
  const log = deps.logger;
  const host = deps.host;
  const served = settings.points ? new Set(settings.points) : undefined;
  const serves = (point: number) => !served || served.has(point);
  const release = claimPoints(host, deps.keyScope ?? settings.socketPath, served);
  // The host's keys are station-wide: this API's are `kiosk-api:<scope>:<key>`, shown without it.
  const scope = deps.keyScope ?? createHash("sha256").update(settings.socketPath).digest("hex").slice(0, 12);
  const keyPrefix = `kiosk-api:${scope}:`;
  const scoped = (key: string) => keyPrefix + key;
  /**
   * The host key a request's Idempotency-Key names: the scoped one — or, for a sale journaled on
   * this API's points before keys were scoped, the raw key it was stored under (a retry across the
   * upgrade is a replay, not a second charge). Renaming the controller id changes the scope.
   */
  const hostKey = async (key: string): Promise<{ readonly key: string; readonly sale: KioskSale | undefined }> => {
    const sale = await host.findSale({ idempotencyKey: scoped(key) });
    if (sale) return { key: scoped(key), sale };
    const legacy = await host.findSale({ idempotencyKey: key });
    if (legacy && legacy.idempotencyKey === key && serves(legacy.point)) return { key, sale: legacy };
    return { key: scoped(key), sale: undefined };
  };
  const show = (sale: KioskSale) => toPayment(sale, keyPrefix);
  const openapi = JSON.stringify(buildOpenApi());
  const hub = new EventHub({ maxStreams: settings.maxStreams, bufferBytes: settings.streamBufferBytes, heartbeatMs: settings.heartbeatMs, replay: settings.replayEvents, logger: log, keyPrefix });
  const unsubscribe = host.subscribe((e) => hub.publish(e.sale), served ? { points: [...served] } : undefined);
  const inFlight = new Set<string>();

  const visible = (sale: KioskSale | undefined, what: string): KioskSale => {
    if (!sale || !serves(sale.point)) throw problem("not-found", `no payment ${what}`);
    return sale;
  };

  const handlers: Record<Match["route"]["operationId"], (req: IncomingMessage, res: ServerResponse, url: URL, id: string) => Promise<void>> = {
    getOpenApi: async (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(openapi), "cache-control": "no-cache" });
      res.end(openapi);
    },
    listPoints: async (_req, res) => sendJson(res, 200, { points: host.points().filter((p) => serves(p.id)).map((p) => ({ ...p })) }),
    createPayment: async (req, res) => {
      const rawKey = req.headers["idempotency-key"];
      const key = typeof rawKey === "string" ? rawKey : undefined;
      if (key !== undefined && !KEY.test(key)) throw invalidField("header Idempotency-Key", "must be 1 to 255 printable ASCII characters");
      const body = await readJson(req, CreatePaymentSchema, settings.maxBodyBytes);
      if (!serves(body.point)) throw invalidField("point", `point ${body.point} is not sold through this Kiosk API`);
      if (key !== undefined && inFlight.has(key)) throw problem("request-in-progress", `a request with Idempotency-Key ${key} is still being processed; retry`, {}, { "retry-after": "1" });
      if (key !== undefined) inFlight.add(key);
      try {
        const found = key !== undefined ? await hostKey(key) : undefined;
        const before = found?.sale;
        const sale = await host.requestSale(toSaleRequest(body, found?.key)).catch((err: unknown) => {
          if (key !== undefined && isAgentError(err, "CONFLICT") && err.context.conflict === "idempotency-mismatch") {
            throw problem("idempotency-key-reused", `Idempotency-Key ${key} was used for a different payment`, { conflict: "idempotency-mismatch", ...(before && serves(before.point) ? { paymentState: before.state } : {}) });
          }
          throw err;
        });
        const replayed = before !== undefined && before.saleId === sale.saleId;
        sendJson(res, replayed ? 200 : 201, show(sale), replayed ? { "idempotent-replayed": "true" } : { location: `/v1/payments/${encodeURIComponent(sale.saleId)}` });
      } finally {
        if (key !== undefined) inFlight.delete(key);
      }
    },
    findPayment: async (_req, res, url) => {
      const reference = url.searchParams.get("reference");
      const key = url.searchParams.get("idempotencyKey");
      const pointText = url.searchParams.get("point");
      if (pointText !== null && !/^[1-9]\d{0,8}$/.test(pointText)) throw invalidField("query point", "must be a point number");
      let sale: KioskSale | undefined;
      if (key !== null) sale = (await hostKey(key)).sale;
      // The newest with that reference among THIS API's points: another kiosk's order numbers may collide.
      else if (reference !== null) sale = await host.findSale({ reference, ...(pointText !== null ? { point: Number(pointText) } : {}), ...(served ? { points: [...served] } : {}) });
      else throw invalidField("query reference", "give reference (and optionally point) or idempotencyKey");
      sendJson(res, 200, show(visible(sale, `with ${key !== null ? `Idempotency-Key ${key}` : `reference ${reference}`}`)));
    },
    getPayment: async (_req, res, _url, id) => sendJson(res, 200, show(visible(await host.getSale(id), id))),
    cancelPayment: async (req, res, _url, id) => {
      const body = await readJson(req, CancelPaymentSchema, settings.maxBodyBytes, true);
      visible(await host.getSale(id), id);
      sendJson(res, 200, show(await host.cancelSale(id, body.reason ?? "customer")));
    },
    reportRelease: async (req, res, _url, id) => {
      const body = await readJson(req, ReleaseSchema, settings.maxBodyBytes);
      visible(await host.getSale(id), id);
      sendJson(res, 200, show(await host.reportRelease(id, body)));
    },
    streamEvents: async (req, res, url) => {
      const points = url.searchParams.getAll("point");
      if (points.some((p) => !/^[1-9]\d{0,8}$/.test(p))) throw invalidField("query point", "must be a point number");
      if (!hub.hasRoom()) throw problem("unavailable", `at most ${settings.maxStreams} event streams may be open`, {}, { "retry-after": "5" });
      hub.open(req, res, points.length ? new Set(points.map(Number).filter(serves)) : undefined);
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const { match, allowed } = matchRoute(req.method ?? "", url.pathname);
    if (!match) {
      if (allowed.length) throw problem("method-not-allowed", `${req.method} is not allowed on ${url.pathname}`, {}, { allow: allowed.join(", ") });
      throw problem("not-found", `no route ${url.pathname}`);
    }
    if (match.route.auth && !authorized(req.headers.authorization, token)) {
      throw problem("unauthorized", "send Authorization: Bearer <token from the kiosk token file>", {}, { "www-authenticate": 'Bearer realm="glase-kiosk"' });
    }
    // Decoded only after the token check: a stranger's malformed path costs no log line.
    const id = pathId(match);
    if (match.rawId !== undefined && id === undefined) throw invalidField("path", "the payment id has a malformed percent-escape");
    await handlers[match.route.operationId](req, res, url, id ?? "");
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      const p = err instanceof ProblemError ? err : fromHostError(err);
      if (p) return sendProblem(res, p);
      log.error("kiosk_api_failed", { method: req.method, path: req.url?.split("?")[0], err });
      sendProblem(res, problem("internal", "the agent could not handle this request; it is logged"));
    });
  };

  const servers: Server[] = [];
  const make = () => {
    const s = createServer({ requestTimeout: settings.requestTimeoutMs, headersTimeout: Math.min(settings.requestTimeoutMs, 60_000) }, onRequest);
    s.on("clientError", (_err, socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
      else socket.destroy();
    });
    servers.push(s);
    return s;
  };
  let tcpPort: number | undefined;
  try {
    await listenUnix(make(), settings);
    if (settings.tcp) {
      const s = make();
      const tcp = settings.tcp;
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(tcp.port, tcp.host, () => (s.off("error", reject), resolve()));
      });
      tcpPort = (s.address() as { port: number }).port;
    }
  } catch (err) {
    release();
    unsubscribe();
    hub.close();
    for (const s of servers) s.close();
    throw err;
  }
  log.info("kiosk_api_listening", { socket: settings.socketPath, ...(tcpPort !== undefined ? { tcp: `${settings.tcp!.host}:${tcpPort}` } : {}) });

  return {
    socketPath: settings.socketPath,
    ...(tcpPort !== undefined ? { tcpPort } : {}),
    stats: () => hub.stats(),
    async close() {
      release();
      unsubscribe();
      hub.close();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      await unlink(settings.socketPath).catch(() => {});
    },
  };
}

/** Listens on the socket path, born with the configured mode; a stale file is removed, a live one refused. */
async function listenUnix(server: Server, settings: KioskApiSettings): Promise<void> {
  const path = settings.socketPath;
  await listenUnixSocket(server, path, settings.socketMode, `${path} is in use: another agent serves the Kiosk API there`);
  if (settings.socketGroup !== undefined) {
    const group = settings.socketGroup;
    const gid = /^\d+$/.test(group) ? Number(group) : await gidOf(group);
    await chown(path, process.getuid?.() ?? -1, gid).catch(async (e: NodeJS.ErrnoException) => {
      await unlink(path).catch(() => {});
      const hint = e.code === "EPERM" ? ` (the agent's user must be a member of group ${group})` : "";
      throw new AgentError("CONFIG_INVALID", `kioskApi.socketGroup: cannot give ${path} to group ${group}: ${e.code ?? e.message}${hint}`, { path: "socketGroup", group, errno: e.code });
    });
  }
}

async function gidOf(group: string): Promise<number> {
  const entry = (await readFile("/etc/group", "utf8")).split("\n").find((l) => l.split(":")[0] === group);
  if (!entry) throw new AgentError("CONFIG_INVALID", `kioskApi.socketGroup: no group named '${group}'`, { path: "socketGroup", group });
  return Number(entry.split(":")[2]);
}
