// RFC 9457 problem details for every error the Kiosk API answers, and the one mapping from the
// host's AgentErrors (by code and context, never by message) to them.
import type { ServerResponse } from "node:http";
import { isAgentError } from "../../base/errors.ts";
import type { KioskConflict, SaleState } from "../../contracts/kiosk.ts";
import { apiField } from "./schemas.ts";

export const PROBLEM_BASE = "urn:glase-agent:kiosk-api:problem:";

export type ProblemKind =
  | "invalid-request" // 400
  | "unauthorized" // 401
  | "not-found" // 404
  | "method-not-allowed" // 405
  | "conflict" // 409 (see `conflict`)
  | "request-in-progress" // 409: the same Idempotency-Key is being processed
  | "payload-too-large" // 413
  | "unsupported-media-type" // 415
  | "idempotency-key-reused" // 422: same key, different body
  | "unavailable" // 503 (point not selling now, too many event streams)
  | "internal"; // 500

const STATUS: Record<ProblemKind, [number, string]> = {
  "invalid-request": [400, "The request is not valid"],
  unauthorized: [401, "A valid bearer token is required"],
  "not-found": [404, "Not found"],
  "method-not-allowed": [405, "Method not allowed"],
  conflict: [409, "The payment is not in a state that allows this"],
  "request-in-progress": [409, "A request with this Idempotency-Key is still being processed"],
  "payload-too-large": [413, "The request body is too large"],
  "unsupported-media-type": [415, "The request body must be application/json"],
  "idempotency-key-reused": [422, "This Idempotency-Key was used for a different request"],
  unavailable: [503, "Not available now"],
  internal: [500, "Internal error"],
};

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: ReadonlyArray<{ readonly field: string; readonly message: string }>;
  readonly conflict?: KioskConflict;
  readonly paymentState?: SaleState;
}

/** Thrown inside handlers; the server answers it as application/problem+json. */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(problem.detail ?? problem.title);
  }
}

export function problem(kind: ProblemKind, detail?: string, extra: Partial<Problem> = {}, headers: Record<string, string> = {}): ProblemError {
  const [status, title] = STATUS[kind];
  return new ProblemError({ type: PROBLEM_BASE + kind, title, status, ...(detail !== undefined ? { detail } : {}), ...extra }, headers);
}

export function invalidField(field: string, message: string): ProblemError {
  return problem("invalid-request", `${field}: ${message}`, { errors: [{ field, message }] });
}

/** The host's refusals as problems; anything else is internal (and logged by the caller). */
export function fromHostError(e: unknown): ProblemError | undefined {
  if (isAgentError(e, "INPUT_INVALID")) {
    const field = typeof e.context.field === "string" ? apiField(e.context.field) : "body";
    return problem("invalid-request", e.message.replace(/^[^:]*: /, `${field}: `), { errors: [{ field, message: e.message.replace(/^[^:]*: /, "") }] });
  }
  if (isAgentError(e, "NOT_FOUND")) return problem("not-found", e.message);
  if (isAgentError(e, "CONFLICT")) {
    const conflict = e.context.conflict as KioskConflict | undefined;
    const state = typeof e.context.state === "string" ? { paymentState: e.context.state as SaleState } : {};
    if (conflict === "idempotency-mismatch") return problem("idempotency-key-reused", e.message, { conflict, ...state });
    if (conflict === "point-unavailable") return problem("unavailable", e.message, { conflict }, { "retry-after": "30" });
    return problem("conflict", e.message, { ...(conflict ? { conflict } : {}), ...state });
  }
  return undefined;
}

export function sendProblem(res: ServerResponse, p: ProblemError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(p.problem);
  res.writeHead(p.problem.status, { "content-type": "application/problem+json", "content-length": Buffer.byteLength(body), "cache-control": "no-store", ...p.headers });
  res.end(body);
}
