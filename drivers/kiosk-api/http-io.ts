// Request bodies read with a hard size cap (base/io/http-body.ts: 413 before buffering more than the limit), the
// content-type rule (415) and JSON parsing (400), plus the JSON reply writer.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { readLimitedBody } from "../../base/io/http-body.ts";
import { invalidField, problem } from "./problems.ts";

/** The body as text; `undefined` for an empty body. Rejects with a ProblemError. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  const body = await readLimitedBody(req, maxBytes);
  if (!body.ok) {
    if (body.tooLarge) {
      req.resume(); // drain what the client already sent, so it reads our answer
      throw problem("payload-too-large", `the body may be at most ${maxBytes} bytes (${body.reason})`);
    }
    throw problem("invalid-request", `the body could not be read: ${body.reason}`);
  }
  return body.body.length === 0 ? undefined : body.body.toString("utf8");
}

/** Parses and validates a JSON body against `schema`; an empty body is `{}` when `optional`. */
export async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S, maxBytes: number, optional = false): Promise<z.infer<S>> {
  const type = req.headers["content-type"];
  const text = await readBodyChecked(req, type, maxBytes, optional);
  let value: unknown = {};
  if (text !== undefined) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw problem("invalid-request", `body: not valid JSON (${(err as Error).message})`, { errors: [{ field: "body", message: "not valid JSON" }] });
    }
  } else if (!optional) {
    throw invalidField("body", "a JSON object is required");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => {
      const path = i.path.map(String).join(".");
      const keys = i.code === "unrecognized_keys" ? (i as { keys?: string[] }).keys : undefined;
      return { field: keys && keys.length ? [path, keys[0]].filter(Boolean).join(".") : path || "body", message: i.message };
    });
    throw problem("invalid-request", errors.map((e) => `${e.field}: ${e.message}`).join("; "), { errors });
  }
  return parsed.data;
}

async function readBodyChecked(req: IncomingMessage, type: string | undefined, maxBytes: number, optional: boolean): Promise<string | undefined> {
  const hasBody = (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0") || req.headers["transfer-encoding"] !== undefined;
  if (hasBody || !optional) {
    const media = (type ?? "").split(";")[0]!.trim().toLowerCase();
    if (media !== "application/json") {
      req.resume();
      throw problem("unsupported-media-type", `Content-Type must be application/json, not ${type === undefined ? "missing" : JSON.stringify(type)}`, {}, { "accept-post": "application/json" });
    }
  }
  return readBody(req, maxBytes);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-store", ...headers });
  res.end(text);
}
