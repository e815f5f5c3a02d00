// The simulator's HTTP server: SOAP on the primary path and the legacy alias (§1.2, §8.4),
// `?wsdl`/`?xsd=1` built from the request's Host header (§1.3), the /__sim/ control surface,
// and an extension point for other simulators sharing the port (Invoice Service).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buildWsdl, schemaText } from "../../contracts/glase/wsdl.ts";
import { readLimitedBody } from "../../base/io/http-body.ts";
import { createLogger } from "../../base/log.ts";
import type { SimClock } from "../clock.ts";
import { controlRoute } from "./control-http.ts";
import type { Provisioning } from "./provisioning.ts";
import { GlaseSimulator } from "./simulator.ts";
import { handleSoap } from "./soap-handler.ts";
import { faultEnvelope } from "./soap-response.ts";
import { apiLevelAtLeast, type SimSettings } from "./state.ts";

const log = createLogger("glase-sim");

export const PRIMARY_PATH = "/soap/merchant/cashregister-2";
/** Legacy paths: REQUIRE_ACKNOWLEDGMENT behaves as OPTIONAL there (§9 A8). */
const LEGACY_PATHS = new Set(["/extclientproxy/service", "/extclientproxy/service/v2"]);

export interface StartSimulatorOptions {
  /** 0 = ephemeral. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  clock?: SimClock;
  provision?: Provisioning;
  settings?: Partial<SimSettings>;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface RunningGlaseSimulator {
  /** "http://127.0.0.1:PORT" */
  readonly url: string;
  /** url + "/soap/merchant/cashregister-2" */
  readonly endpoint: string;
  readonly sim: GlaseSimulator;
  readonly clock: SimClock;
  /** Extension point for other simulators on the same server; a handler returns false if it did not handle the request. */
  addRoute(handler: RouteHandler): void;
  close(): Promise<void>;
}

const XML_TYPE = "text/xml; charset=UTF-8";

function send(res: ServerResponse, status: number, type: string, body: string, close = false): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...(close ? { Connection: "close" } : {}) });
  res.end(body);
}

function schemaFor(settings: SimSettings): string {
  const xsd = schemaText();
  // EXPIRED exists from API 2.10 on (§5.1); a 2.9 client must never see it.
  return apiLevelAtLeast(settings.apiLevel, 2, 10) && !xsd.includes('value="EXPIRED"')
    ? xsd.replace('<xs:enumeration value="RESERVED"/>', '<xs:enumeration value="RESERVED"/>\n      <xs:enumeration value="EXPIRED"/>')
    : xsd;
}

export async function startGlaseSimulator(opts: StartSimulatorOptions = {}): Promise<RunningGlaseSimulator> {
  const sim = new GlaseSimulator({ clock: opts.clock, provision: opts.provision, settings: opts.settings });
  const routes: RouteHandler[] = [];
  const wsdlCache = new Map<string, string>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const method = req.method ?? "GET";
    const soapPath = path === PRIMARY_PATH || LEGACY_PATHS.has(path);

    if (soapPath && method === "POST") {
      const body = await readLimitedBody(req, sim.settings.maxBodyBytes);
      if (!body.ok) {
        if (body.tooLarge) return send(res, 413, XML_TYPE, faultEnvelope("Client", `request body larger than ${sim.settings.maxBodyBytes} bytes`), true);
        req.socket.destroy(); // the client broke off its own request: nobody to answer
        return;
      }
      const outcome = await handleSoap(sim, body.body.toString("utf8"), { legacyPath: path !== PRIMARY_PATH });
      if (outcome.kind === "drop") {
        req.socket.destroy();
        return;
      }
      return send(res, outcome.status, XML_TYPE, outcome.body);
    }
    if (soapPath && method === "GET") {
      if (url.searchParams.get("xsd") === "1") return send(res, 200, XML_TYPE, schemaFor(sim.settings));
      if (url.searchParams.has("wsdl") || url.searchParams.has("WSDL")) {
        const base = `http://${req.headers.host ?? "localhost"}${path}`;
        let wsdl = wsdlCache.get(base);
        if (!wsdl) {
          wsdl = buildWsdl(base, `${base}?xsd=1`);
          wsdlCache.set(base, wsdl);
        }
        return send(res, 200, XML_TYPE, wsdl);
      }
      return send(res, 200, "text/plain; charset=UTF-8", `Glase simulator SOAP endpoint. WSDL: ${path}?wsdl\n`);
    }

    const control = controlRoute(method, path);
    if (control) {
      let raw = "";
      if (method === "POST") {
        const body = await readLimitedBody(req, sim.settings.maxBodyBytes);
        if (!body.ok) {
          if (body.tooLarge) return send(res, 413, "application/json", JSON.stringify({ error: "body too large", code: "INPUT_INVALID" }), true);
          req.socket.destroy();
          return;
        }
        raw = body.body.toString("utf8");
      }
      const answer = control(sim, raw);
      return send(res, answer.status, "application/json", JSON.stringify(answer.json));
    }
    for (const route of routes) {
      if (await route(req, res, url)) return;
    }
    send(res, 404, "application/json", JSON.stringify({ error: `no route for ${method} ${path}`, code: "NOT_FOUND" }));
  }

  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      log.error("request_failed", { url: req.url, error: e });
      if (!res.headersSent) send(res, 500, XML_TYPE, faultEnvelope("Server", "internal error"));
      else res.destroy();
    });
  });
  server.on("clientError", (_e, socket) => socket.destroy());

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;

  return {
    url,
    endpoint: url + PRIMARY_PATH,
    sim,
    clock: sim.clock,
    addRoute: (handler) => void routes.push(handler),
    close: () =>
      new Promise<void>((resolve) => {
        sim.dispose();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
