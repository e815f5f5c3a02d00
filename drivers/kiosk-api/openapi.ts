// The OpenAPI 3.1 document of the Kiosk API, built from the route table and the zod schemas the
// server validates with. Served at /v1/openapi.json; docs/kiosk-api.openapi.json is the same
// document written by `npm run docs:kiosk-api` (a test keeps them equal).
import { z } from "zod";
import { ROUTES, type Route } from "./routes.ts";
import { CancelPaymentSchema, CreatePaymentSchema, PaymentSchema, PointsSchema, ProblemSchema, ReleaseSchema } from "./schemas.ts";

export const KIOSK_API_VERSION = "1.0.0";

function schema(s: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ "application/json": { schema: ref(name) } });
const problemBody = { "application/problem+json": { schema: ref("Problem") } };

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  400: "Bad request: `errors` names each bad field",
  401: "No or wrong bearer token",
  404: "No such payment",
  409: "Conflict: see `conflict` (point-busy, not-cancellable, not-releasable, release-already-reported) or a concurrent request with the same Idempotency-Key",
  413: "Body larger than the limit",
  415: "Body is not application/json",
  422: "Idempotency-Key reused with a different body",
  503: "Point not selling now, or too many event streams; see Retry-After",
};

function okResponse(r: Route, status: number): Record<string, unknown> {
  switch (r.operationId) {
    case "getOpenApi":
      return { description: "The OpenAPI document", content: { "application/json": { schema: { type: "object" } } } };
    case "listPoints":
      return { description: STATUS_TEXT[status], content: json("Points") };
    case "streamEvents":
      return { description: "An endless text/event-stream", content: { "text/event-stream": { schema: { type: "string" } } } };
    default:
      return {
        description: status === 201 ? "Created" : r.operationId === "createPayment" ? "Replay of an earlier request with the same Idempotency-Key (header Idempotent-Replayed: true)" : "OK",
        content: json("Payment"),
      };
  }
}

function parameters(r: Route): unknown[] {
  const p: unknown[] = [];
  if (r.path.includes("{id}")) p.push({ name: "id", in: "path", required: true, schema: { type: "string" } });
  if (r.operationId === "createPayment") {
    p.push({ name: "Idempotency-Key", in: "header", required: false, description: "1-255 printable ASCII characters; makes retries safe.", schema: { type: "string", minLength: 1, maxLength: 255 } });
  }
  if (r.operationId === "findPayment") {
    p.push(
      { name: "reference", in: "query", required: false, description: "Your reference (this or idempotencyKey is required).", schema: { type: "string" } },
      { name: "point", in: "query", required: false, schema: { type: "integer" } },
      { name: "idempotencyKey", in: "query", required: false, schema: { type: "string" } },
    );
  }
  if (r.operationId === "streamEvents") {
    p.push(
      { name: "point", in: "query", required: false, description: "Only this point's payments (repeat for several).", schema: { type: "integer" } },
      { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } },
    );
  }
  return p;
}

export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const responses: Record<string, unknown> = {};
    for (const s of r.ok) responses[String(s)] = okResponse(r, s);
    for (const s of [...(r.auth ? [401] : []), ...r.problems]) responses[String(s)] = { description: STATUS_TEXT[s], content: problemBody };
    const op: Record<string, unknown> = { operationId: r.operationId, summary: r.summary, responses };
    const params = parameters(r);
    if (params.length) op.parameters = params;
    if (r.body) op.requestBody = { required: !r.body.optional, content: json(r.body.name) };
    if (!r.auth) op.security = [];
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "glase-agent Kiosk API",
      version: KIOSK_API_VERSION,
      description:
        "For a kiosk's own touchscreen app: start a Glase payment, show what the payment says to display, hand out the product when it is paid, report the result. HTTP + JSON on the agent's Unix socket (optionally loopback TCP). See docs/kiosk-api.md.",
    },
    servers: [{ url: "http://localhost", description: "Unix socket (curl --unix-socket /run/glase-agent/kiosk.sock) or the configured loopback port" }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "The token in the agent's kiosk token file (0600)." } },
      schemas: {
        CreatePayment: schema(CreatePaymentSchema, "input"),
        CancelPayment: schema(CancelPaymentSchema, "input"),
        Release: schema(ReleaseSchema, "input"),
        Payment: schema(PaymentSchema, "output"),
        Points: schema(PointsSchema, "output"),
        Problem: schema(ProblemSchema, "output"),
      },
    },
  };
}
