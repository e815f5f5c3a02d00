// The Kiosk API's routes, once: the server dispatches on this table and openapi.ts documents
// exactly this table (a test checks both ways), so a route cannot exist undocumented.
import type { z } from "zod";
import { CancelPaymentSchema, CreatePaymentSchema, ReleaseSchema } from "./schemas.ts";

export type OperationId = "getOpenApi" | "listPoints" | "createPayment" | "findPayment" | "getPayment" | "cancelPayment" | "reportRelease" | "streamEvents";

export interface Route {
  readonly method: "GET" | "POST";
  /** OpenAPI path template; `{id}` matches one path segment. */
  readonly path: string;
  readonly operationId: OperationId;
  readonly summary: string;
  readonly auth: boolean;
  readonly body?: { readonly schema: z.ZodType; readonly name: string; readonly optional?: boolean };
  /** Status codes answered besides the problem statuses every authenticated route has. */
  readonly ok: readonly number[];
  readonly problems: readonly number[];
}

export const ROUTES: readonly Route[] = [
  { method: "GET", path: "/v1/openapi.json", operationId: "getOpenApi", summary: "This document.", auth: false, ok: [200], problems: [] },
  { method: "GET", path: "/v1/points", operationId: "listPoints", summary: "The kiosk points this API sells on (currency, Glase ID sticker).", auth: true, ok: [200], problems: [] },
  {
    method: "POST",
    path: "/v1/payments",
    operationId: "createPayment",
    summary: "Start a Glase payment. With Idempotency-Key, a retry returns the same payment (200) instead of a second one (201).",
    auth: true,
    body: { schema: CreatePaymentSchema, name: "CreatePayment" },
    ok: [200, 201],
    problems: [400, 409, 413, 415, 422, 503],
  },
  {
    method: "GET",
    path: "/v1/payments",
    operationId: "findPayment",
    summary: "Find your newest payment by reference (optionally on one point) or by the Idempotency-Key you sent — after your app restarted.",
    auth: true,
    ok: [200],
    problems: [400, 404],
  },
  { method: "GET", path: "/v1/payments/{id}", operationId: "getPayment", summary: "One payment and what to display.", auth: true, ok: [200], problems: [400, 404] },
  {
    method: "POST",
    path: "/v1/payments/{id}/cancel",
    operationId: "cancelPayment",
    summary: "Ask to cancel an unpaid payment. It ends cancelled — or paid, when the customer was faster: then release and report.",
    auth: true,
    body: { schema: CancelPaymentSchema, name: "CancelPayment", optional: true },
    ok: [200],
    problems: [400, 404, 409, 413, 415],
  },
  {
    method: "POST",
    path: "/v1/payments/{id}/release",
    operationId: "reportRelease",
    summary: "Report what happened when you handed out a paid product: delivered (receipt), failed (automatic refund of what was not delivered), unknown (staff decides).",
    auth: true,
    body: { schema: ReleaseSchema, name: "Release" },
    ok: [200],
    problems: [400, 404, 409, 413, 415],
  },
  {
    method: "GET",
    path: "/v1/events",
    operationId: "streamEvents",
    summary: "Server-Sent Events: `event: payment` with the payment after each change; `event: resync` when events were missed (re-read with GET). Reconnect with Last-Event-ID.",
    auth: true,
    ok: [200],
    problems: [400, 503],
  },
];

export interface Match {
  readonly route: Route;
  /** The `{id}` segment as sent (still percent-encoded): decoded after the token check (pathId). */
  readonly rawId?: string;
}

const compiled = ROUTES.map((route) => ({ route, re: new RegExp("^" + route.path.replace("{id}", "([^/]+)") + "$") }));

/** The route for this method and path; `allowed` lists the methods of a path that exists. */
export function matchRoute(method: string, path: string): { match?: Match; allowed: string[] } {
  const allowed: string[] = [];
  for (const { route, re } of compiled) {
    const m = re.exec(path);
    if (!m) continue;
    allowed.push(route.method);
    if (route.method === method) return { match: { route, ...(m[1] !== undefined ? { rawId: m[1] } : {}) }, allowed };
  }
  return { allowed };
}

/** The decoded `{id}` of a matched path; undefined when its percent-escapes are malformed. */
export function pathId(m: Match): string | undefined {
  if (m.rawId === undefined) return undefined;
  try {
    return decodeURIComponent(m.rawId);
  } catch {
    return undefined;
  }
}
