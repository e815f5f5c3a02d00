// The event stream's bounds (replay with Last-Event-ID, resync, stream cap, a client that stops
// reading) and the start-up checks (token file mode, loopback only, a live socket).
import { createServer, request } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import type { KioskSale } from "../../../drivers/kiosk/contract.ts";
import { InMemoryKioskHost } from "../../../drivers/kiosk/in-memory-host.ts";
import { kioskApiConfigSchema } from "../../../drivers/kiosk-api/config.ts";
import { EventHub } from "../../../drivers/kiosk-api/events.ts";
import { openKioskApi } from "../../../drivers/kiosk-api/server.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { POINTS, http, openStream, sale, startApi, tokenFile } from "./helpers.ts";

describe("Kiosk API event stream", () => {
  it("a client reconnecting with Last-Event-ID gets what it missed, only its points; an unknown id gets resync", async () => {
    const { call, host, api } = await startApi();
    const first = await openStream(api.socketPath, "/v1/events?point=7");
    const p = (await call("POST", "/v1/payments", sale())).body;
    await call("POST", "/v1/payments", sale({ point: 8 }));
    const waiting = await first.waitFor((e) => e.data?.state === "waiting", "waiting");
    expect(first.events.every((e) => e.data.point === 7)).toBe(true);
    first.close();
    host.pay(p.id); // missed while disconnected
    const again = await openStream(api.socketPath, "/v1/events?point=7", { "last-event-id": waiting.id! });
    const missed = await again.waitFor((e) => e.data?.state === "paid", "replayed paid");
    expect(missed.data.id).toBe(p.id);
    expect(again.events.map((e) => e.data.state)).toEqual(["paid"]);
    const stranger = await openStream(api.socketPath, "/v1/events", { "last-event-id": "deadbeef-3" });
    expect((await stranger.waitFor((e) => e.event === "resync", "resync")).data).toEqual({});
  });

  it("at most maxStreams streams; the next one is 503 with Retry-After", async () => {
    const { api } = await startApi({ api: { maxStreams: 2 } });
    await openStream(api.socketPath);
    await openStream(api.socketPath);
    const third = await openStream(api.socketPath);
    expect(third.status).toBe(503);
  });

  it("a client that stops reading is dropped once its backlog passes the limit, not buffered without bound", async () => {
    const hub = new EventHub({ maxStreams: 4, bufferBytes: 64 * 1024, heartbeatMs: 60_000, replay: 0, logger: createLogger("test.hub") });
    const server = createServer((req, res) => hub.open(req, res, undefined));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const res = await new Promise<import("node:http").IncomingMessage>((resolve) => request({ port, host: "127.0.0.1", path: "/" }, resolve).end());
    res.pause(); // the app froze
    const host = new InMemoryKioskHost({ points: POINTS, scheduler: new SimClock({ manual: true }) });
    const big = await host.requestSale({ ...sale(), rows: Array.from({ length: 50 }, (_, i) => ({ itemDescription: "x".repeat(90), itemQuantity: "1", itemTotalAmount: { currency: "SEK", minor: i === 0 ? 4500 : 0 } })) });
    let published = 0;
    while (hub.stats().dropped === 0 && published < 20_000) {
      hub.publish({ ...big, version: published } as KioskSale);
      published++;
      if (published % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(hub.stats()).toMatchObject({ dropped: 1, streams: 0 });
    expect(published).toBeLessThan(20_000);
    hub.close();
    res.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe("Kiosk API start-up checks", () => {
  const host = () => new InMemoryKioskHost({ points: POINTS, scheduler: new SimClock({ manual: true }) });
  const logger = createLogger("test.kiosk-api");

  it("refuses a token file readable by others, a missing one and a too short token", async () => {
    const dir = mkdtempSync(join(tmpdir(), "glase-kiosk-"));
    const socketPath = join(dir, "k.sock");
    await expect(openKioskApi({ socketPath, tokenFile: tokenFile(dir, "a-long-enough-token-123", 0o644) }, { host: host(), logger })).rejects.toMatchObject({ code: "CONFIG_INVALID", message: expect.stringContaining("0600") });
    await expect(openKioskApi({ socketPath, tokenFile: join(dir, "none") }, { host: host(), logger })).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    await expect(openKioskApi({ socketPath, tokenFile: tokenFile(dir, "short") }, { host: host(), logger })).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });

  it("takes loopback TCP only, and answers there too", async () => {
    expect(kioskApiConfigSchema.safeParse({ socketPath: "/x", tokenFile: "/t", tcp: { host: "0.0.0.0", port: 1 } }).success).toBe(false);
    expect(kioskApiConfigSchema.safeParse({ socketPath: "/x", tokenFile: "/t", tcp: { host: "192.168.1.5", port: 1 } }).success).toBe(false);
    const { api } = await startApi({ api: { tcp: { host: "127.0.0.1", port: 0 } } });
    const r = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: api.tcpPort, path: "/v1/openapi.json" }, (res) => (res.resume(), resolve(res.statusCode!)));
      req.on("error", reject);
      req.end();
    });
    expect(r).toBe(200);
  });

  it("a socket left by a crashed agent is replaced; one that answers is refused", async () => {
    const { api, dir } = await startApi();
    await expect(openKioskApi({ socketPath: api.socketPath, tokenFile: tokenFile(dir) }, { host: host(), logger })).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await http(api.socketPath, "GET", "/v1/openapi.json")).status).toBe(200);
  });
});
