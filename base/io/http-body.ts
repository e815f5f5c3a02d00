// Reads a request body with a hard size cap: the one bounded reader of the program — the agent's
// notification endpoint, the kiosk API (drivers/kiosk-api/http-io.ts), the PTS-2 upload receiver and the
// simulators' HTTP servers (SOAP, control surface, Invoice Service). An oversized body is refused before or while it arrives, without
// buffering more than the cap.
import type { IncomingMessage, ServerResponse } from "node:http";

export type BodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly reason: string; /** over the cap (HTTP 413), not a broken request */ readonly tooLarge: boolean };

export function readLimitedBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.resolve({ ok: false, tooLarge: true, reason: `body of ${declared} bytes exceeds the ${limit}-byte limit` });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        finish({ ok: false, tooLarge: true, reason: `body exceeds the ${limit}-byte limit` });
        req.resume(); // discard the rest so the response can still be written
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => finish({ ok: true, body: Buffer.concat(chunks) }));
    req.on("error", (e) => finish({ ok: false, tooLarge: false, reason: `request failed: ${e.message}` }));
    req.on("close", () => finish({ ok: false, tooLarge: false, reason: "request closed before its body was complete" }));
  });
}

/** Writes a JSON answer; a client that went away is not an error worth more than a no-op. */
export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}

/** True when the media type of a Content-Type header is application/json (parameters allowed). */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(";")[0]!.trim().toLowerCase() === "application/json";
}

/**
 * The path of a request's target, or undefined when it cannot be parsed (`new URL` throws on
 * targets such as `http://[/`): a handler that calls this answers 400 instead of throwing — in a
 * synchronous request handler a throw is an uncaught exception that ends the process.
 */
export function requestPathname(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? "/", "http://x").pathname;
  } catch {
    return undefined;
  }
}
