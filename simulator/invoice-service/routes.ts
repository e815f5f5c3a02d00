// HTTP surface of the simulated Invoice Service, as a route handler that plugs into the Glase
// simulator's server (`addRoute`) or a standalone one:
//   GET  /api/invoice/{id}?issuer=NAME      details (§7.2), X-Auth-Token + Accept: application/json
//   GET  /api/report?startDate&endDate&issuer   CSV report (§7.3)
//   POST /__sim/invoice/pay {"qr", "payer"?}   the customer pays an invoice QR (control surface)
//   GET  /__sim/invoice/state                   attempts and invoices dump (control surface)
import type { IncomingMessage, ServerResponse } from "node:http";
import { renderDetailsJson } from "../../contracts/invoice-service/details.ts";
import { readLimitedBody, sendJson } from "../../base/io/http-body.ts";
import { renderReportCsv } from "./report.ts";
import type { InvoiceServiceSim, PayerInfo } from "./service.ts";
import { parseReportDate } from "./stockholm-time.ts";

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

const CONTROL_BODY_LIMIT = 64 * 1024;

export function invoiceServiceRoutes(sim: InvoiceServiceSim): RouteHandler {
  return (req, res, url) => {
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const invoiceMatch = /^\/api\/invoice\/([^/]+)$/.exec(path);
    if (invoiceMatch) return handle(res, req.method === "GET", () => details(sim, req, res, url, invoiceMatch[1]!));
    if (path === "/api/report") return handle(res, req.method === "GET", () => report(sim, req, res, url));
    if (path === "/__sim/invoice/pay") return handle(res, req.method === "POST", () => pay(sim, req, res));
    if (path === "/__sim/invoice/state") return handle(res, req.method === "GET", () => sendJson(res, 200, sim.state()));
    return false;
  };
}

async function handle(res: ServerResponse, methodOk: boolean, run: () => void | Promise<void>): Promise<boolean> {
  if (!methodOk) {
    sendJson(res, 405, { error: "method not allowed" });
    return true;
  }
  try {
    await run();
  } catch (e) {
    sendJson(res, 500, { error: `internal error: ${(e as Error).message}` });
  }
  return true;
}

function acceptsJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return accept === undefined || /application\/json|application\/\*|\*\/\*/i.test(accept);
}

function tokenOf(req: IncomingMessage): string | undefined {
  const t = req.headers["x-auth-token"];
  return typeof t === "string" ? t : undefined;
}

function details(sim: InvoiceServiceSim, req: IncomingMessage, res: ServerResponse, url: URL, idText: string): void {
  const issuer = url.searchParams.get("issuer");
  if (!sim.authenticate(issuer, tokenOf(req))) {
    sendJson(res, 401, { error: "missing or invalid issuer / X-Auth-Token" });
    return;
  }
  if (!acceptsJson(req)) {
    sendJson(res, 406, { error: "only application/json is served" });
    return;
  }
  // Unknown ids and other issuers' invoices get the same answer: no disclosure (§7.2).
  const invoice = /^\d{1,15}$/.test(idText) ? sim.invoiceOf(issuer!, Number(idText)) : undefined;
  if (!invoice) {
    sendJson(res, 404, { error: "no such invoice" });
    return;
  }
  const text = renderDetailsJson(sim.detailsOf(invoice));
  res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function report(sim: InvoiceServiceSim, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const issuer = url.searchParams.get("issuer");
  if (!sim.authenticate(issuer, tokenOf(req))) {
    sendJson(res, 401, { error: "missing or invalid issuer / X-Auth-Token" });
    return;
  }
  const from = parseReportDate(url.searchParams.get("startDate") ?? "");
  const to = parseReportDate(url.searchParams.get("endDate") ?? "");
  if (from === undefined || to === undefined) {
    sendJson(res, 400, { error: "startDate and endDate are mandatory, format ddMMyyyy", field: from === undefined ? "startDate" : "endDate" });
    return;
  }
  if (from > to) {
    sendJson(res, 400, { error: "startDate is after endDate", field: "startDate" });
    return;
  }
  const text = renderReportCsv(sim.reportOf(issuer!, from, to));
  res.writeHead(200, { "content-type": "text/csv; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function pay(sim: InvoiceServiceSim, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readLimitedBody(req, CONTROL_BODY_LIMIT);
  if (!body.ok) {
    sendJson(res, 400, { error: body.reason }, { connection: "close" });
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.body.toString("utf8"));
  } catch {
    sendJson(res, 400, { error: "body is not JSON" });
    return;
  }
  const input = parsed as { qr?: unknown; payer?: unknown } | null;
  if (input === null || typeof input !== "object" || typeof input.qr !== "string") {
    sendJson(res, 400, { error: 'body must be {"qr": "<invoice QR payload>"}', field: "qr" });
    return;
  }
  const payer = parsePayer(input.payer);
  if (payer === undefined) {
    sendJson(res, 400, { error: "payer must be an object of strings (msisdn, firstName, lastName, street, city, zip, country)", field: "payer" });
    return;
  }
  const result = sim.pay(input.qr, payer);
  if (!result.ok) {
    sendJson(res, 400, { error: result.error, ...(result.field ? { field: result.field } : {}) });
    return;
  }
  const i = result.invoice;
  sendJson(res, 200, { invoiceId: i.id, ersReference: i.ersReference, issuer: i.issuer, reference: i.reference });
}

const PAYER_KEYS = ["msisdn", "firstName", "lastName", "street", "city", "zip", "country"] as const;

function parsePayer(value: unknown): PayerInfo | undefined {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(PAYER_KEYS as readonly string[]).includes(k) || typeof v !== "string") return undefined;
    out[k] = v;
  }
  return out as PayerInfo;
}
