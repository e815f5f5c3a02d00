// Test helpers for the Kiosk API: a real Kiosk API on a real Unix socket in a temp dir, in front
// of the in-memory reference host on a manual clock, and a small HTTP/SSE client for it.
import { request } from "node:http";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import type { KioskPoint } from "../../../drivers/kiosk/contract.ts";
import { InMemoryKioskHost, type InMemoryKioskHostOptions } from "../../../drivers/kiosk/in-memory-host.ts";
import type { KioskApiConfig } from "../../../drivers/kiosk-api/config.ts";
import { openKioskApi, type KioskApi } from "../../../drivers/kiosk-api/server.ts";
import { SimClock } from "../../../simulator/clock.ts";

export const TOKEN = "kiosk-test-token-0123456789abcdef";
export const POINTS: readonly KioskPoint[] = [
  { id: 7, currency: "SEK", glaseId: "GL-7", name: "Car wash 7", maxAmountMinor: 100_000 },
  { id: 8, currency: "SEK", glaseId: "GL-8" },
];

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any; // parsed JSON (or text when not JSON)
}

export function tokenFile(dir: string, token = TOKEN, mode = 0o600): string {
  const path = join(dir, "kiosk.token");
  writeFileSync(path, token + "\n");
  chmodSync(path, mode);
  return path;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

export async function startApi(opts: { host?: Partial<InMemoryKioskHostOptions>; api?: Partial<KioskApiConfig> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "glase-kiosk-"));
  const clock = new SimClock({ manual: true });
  const host = new InMemoryKioskHost({ points: POINTS, scheduler: clock, ...opts.host });
  const api: KioskApi = await openKioskApi({ socketPath: join(dir, "kiosk.sock"), tokenFile: tokenFile(dir), ...opts.api }, { host, logger: createLogger("test.kiosk-api") });
  open.push(() => api.close());
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    http(api.socketPath, method, path, body, { authorization: `Bearer ${TOKEN}`, ...headers });
  return { dir, clock, host, api, call, raw: (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => http(api.socketPath, method, path, body, headers) };
}

export function http(socketPath: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const h: Record<string, string> = { ...headers };
    if (text !== undefined) {
      h["content-length"] = String(Buffer.byteLength(text));
      if (!Object.keys(h).some((k) => k.toLowerCase() === "content-type")) h["content-type"] = "application/json";
    }
    const req = request({ socketPath, method, path, headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown = raw;
        try {
          parsed = raw === "" ? undefined : JSON.parse(raw);
        } catch {
          /* text */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on("error", reject);
    if (text !== undefined) req.write(text);
    req.end();
  });
}

export interface SseEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: any;
}

/** An open event stream; waitFor resolves on the first (seen or future) event that matches. */
export async function openStream(socketPath: string, path = "/v1/events", headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  let waiters: Array<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }> = [];
  const res = await new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
    const req = request({ socketPath, method: "GET", path, headers: { authorization: `Bearer ${TOKEN}`, ...headers } }, resolve);
    req.on("error", reject);
    req.end();
  });
  let buffer = "";
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields: Record<string, string> = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const i = line.indexOf(":");
        if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).trimStart();
      }
      if (fields.event === undefined) continue;
      const e: SseEvent = { ...(fields.id !== undefined ? { id: fields.id } : {}), event: fields.event, data: JSON.parse(fields.data ?? "null") };
      events.push(e);
      waiters = waiters.filter((w) => (w.match(e) ? (w.resolve(e), false) : true));
    }
  });
  open.push(async () => void res.destroy());
  return {
    status: res.statusCode,
    events,
    close: () => res.destroy(),
    waitFor(match: (e: SseEvent) => boolean, what = "event", timeoutMs = 10_000): Promise<SseEvent> {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; saw ${JSON.stringify(events.map((e) => [e.event, e.data?.state]))}`)), timeoutMs);
        waiters.push({ match, resolve: (e) => (clearTimeout(t), resolve(e)) });
      });
    },
  };
}

export const sale = (over: Record<string, unknown> = {}) => ({ point: 7, amountMinor: 4500, currency: "SEK", reference: "wash-001", ...over });
