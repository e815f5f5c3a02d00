// Bad peers on the network. The notification endpoint is public and §7.1 gives notifications no
// authentication: anyone can POST made-up invoice ids, or hold connections half-sent. The URL
// registered at Glase ends in a secret token, so a stranger's POST is answered 404 before anything
// is read or stored; connection slots are shared so that half-sent connections never lock a real
// notification out. Measured at a realistic Invoice Service latency (details after 200 ms): a flood
// must not delay a real payment's release, and leaves no trace in the journal or `ctl invoices`.
// Whoever has the URL (a leak) still meets bounds: 503/429 past them (Glase retries). The details
// request carries the issuer's token: it never follows a redirect and goes over https (plain http
// only to loopback).
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { stat } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { invoiceListing } from "../../agent/invoice-service/listing.ts";
import { UNKNOWN_KEPT } from "../../agent/invoice-service/store.ts";
import { payQr, startPair, type Pair } from "./fixture.ts";
import { startStub, waitFor } from "./helpers.ts";

let pair: Pair | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await pair?.close();
  pair = undefined;
  for (const c of cleanups.splice(0)) await c();
});

const wash = { amountMinor: 12_500, currency: "SEK", description: "Car wash programme 2", reference: "WASH-FLOOD" };
const FAKES = 2_000;
const DETAILS_LATENCY_MS = 10;

async function journalBytes(path: string): Promise<number> {
  let total = 0;
  for (const p of [path, `${path}-wal`]) total += await stat(p).then((s) => s.size, () => 0);
  return total;
}

const notify = (url: string, invoiceId: number) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ invoiceId }) });

/** One notification on a connection of its own (as a client without keep-alive sends it); 0 when the connection was closed unanswered. */
function notifyFresh(url: string, invoiceId: number, localAddress?: string): Promise<number> {
  const body = JSON.stringify({ invoiceId });
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: "POST", agent: false, ...(localAddress ? { localAddress } : {}), headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

/** A connection that sends half a request header and then nothing (a slowloris). */
interface HalfSent {
  readonly socket: Socket;
  closed: boolean;
  answer: string;
}
const held: HalfSent[] = [];
function halfSent(port: number, localAddress = "127.0.0.1"): Promise<HalfSent> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress });
    const h: HalfSent = { socket, closed: false, answer: "" };
    held.push(h);
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (h.answer += d));
    socket.on("error", () => undefined);
    socket.on("close", () => (h.closed = true));
    socket.once("connect", () => {
      socket.write("POST /glase/notify HTTP/1.1\r\nHost: kiosk.example\r\nContent-Type: application/json\r\n");
      resolve(h);
    });
  });
}
/** Completes a half-sent request; resolves with what came back (a live connection gets its 404). */
function finish(h: HalfSent): Promise<string> {
  return new Promise((resolve) => {
    if (h.closed) return resolve(h.answer);
    h.socket.once("close", () => resolve(h.answer));
    h.socket.write("Content-Length: 2\r\nConnection: close\r\n\r\n{}");
  });
}
afterEach(() => {
  for (const h of held.splice(0)) h.socket.destroy();
});

/** A details proxy in front of the simulated Invoice Service that answers after `latencyMs`, as one across a network does. */
async function slowDetails(latencyMs: number, upstream: () => string) {
  const proxy = await startStub((req, res) => {
    setTimeout(() => {
      fetch(`${upstream()}${req.url}`, { headers: { "x-auth-token": String(req.headers["x-auth-token"]), accept: "application/json" } })
        .then(async (r) => res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text()))
        .catch(() => res.writeHead(502).end());
    }, latencyMs);
  });
  cleanups.push(proxy.close);
  return proxy;
}

describe("half-sent connections (slowloris)", () => {
  it("300 from one address: every one of 20 real notifications, each on a new connection, is answered 200", { timeout: 60_000 }, async () => {
    pair = await startPair();
    const url = pair.agent.endpointUrl;
    const port = Number(new URL(url).port);
    const attackers = await Promise.all(Array.from({ length: 300 }, () => halfSent(port)));
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push(await notifyFresh(url, 7_000 + i));
    expect(statuses).toEqual(Array(20).fill(200));
    // The attacker's share is bounded: its stalest connections made the room.
    await waitFor("attackers evicted", () => attackers.filter((a) => a.closed).length >= 300 - 64);
    expect(attackers.filter((a) => !a.closed).length).toBeLessThanOrEqual(64);
  });

  it("a flood from one address takes the slots of no other address; at the total cap the heaviest source pays", { timeout: 60_000 }, async () => {
    pair = await startPair();
    await pair.agent.close();
    await pair.openAgent({ endpointLimits: { maxConnections: 100, maxConnectionsPerSource: 64 } });
    const url = pair.agent.endpointUrl;
    const port = Number(new URL(url).port);
    // A neighbour (another peer on the network) holds five slow connections first.
    const neighbour = await Promise.all(Array.from({ length: 5 }, () => halfSent(port, "127.0.0.50")));
    // Then 300 half-sent connections from ten other addresses, 30 each: past the total cap of 100.
    const flood = await Promise.all(Array.from({ length: 300 }, (_, i) => halfSent(port, `127.0.0.${2 + (i % 10)}`)));
    // The server has seen every connection above once it answers one made after them.
    expect(await notifyFresh(url, 8_001)).toBe(200);
    for (let i = 0; i < 10; i++) expect(await notifyFresh(url, 8_100 + i, "127.0.0.99")).toBe(200);
    // The neighbour's connections were never evicted: each still gets its (404) answer.
    for (const h of neighbour) expect(await finish(h)).toMatch(/^HTTP\/1\.1 404 /);
    expect(flood.filter((a) => a.closed).length).toBeGreaterThanOrEqual(300 - 100);
  });
});

describe("notification flood at a realistic Invoice Service latency", () => {
  const FLOOD = 4_000;
  const LATENCY_MS = 200;
  it(`${FLOOD} made-up notifications without the token during a real payment, details after ${LATENCY_MS} ms: the release within 5 s, nothing stored`, { timeout: 180_000 }, async () => {
    let upstream = "";
    const proxy = await slowDetails(LATENCY_MS, () => upstream);
    pair = await startPair({ detailsBaseUrl: `http://127.0.0.1:${proxy.port}` });
    upstream = pair.service.url;
    let releasedAt = 0;
    await pair.agent.close();
    await pair.openAgent({ release: async () => void (releasedAt = Date.now()) });
    const invoice = await pair.agent.issue({ ...wash, reference: "WASH-REAL" });
    const before = await journalBytes(pair.journalPath);
    // What a stranger can know: the public URL without the token, or with a guessed one.
    const base = pair.agent.endpointUrl.replace(/\/[^/]+$/, "");
    const targets = [base, `${base}/`, `${base}/${"0".repeat(48)}`, `${base}/../notify`, `${pair.agent.endpointUrl.slice(0, -1)}x`];

    const statuses = new Map<number, number>();
    let sent = 0;
    let paidAt = 0;
    let paying: Promise<unknown> | undefined;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (sent < FLOOD) {
          const n = sent++;
          if (n === FLOOD / 4 && !paying) {
            paidAt = Date.now();
            paying = payQr(pair!.service, invoice.qr);
          }
          const res = await notify(targets[n % targets.length]!, 9_000_000 + n);
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    expect((await paying)!).toMatchObject({ status: 200 });
    await waitFor("the real release", () => releasedAt > 0, 30_000);
    await pair.agent.settled();
    const latencyMs = releasedAt - paidAt;
    const growth = (await journalBytes(pair.journalPath)) - before;
    const stored = await pair.agent.listNotifications();
    const attempts = ((await (await fetch(`${pair.service.url}/__sim/invoice/state`)).json()) as { invoices: { notification: { attempts: { status: number | null }[] } }[] }).invoices[0]!.notification.attempts;
    const listing = invoiceListing(await pair.agent.listInvoices({ n: 50 }), await pair.agent.openNotifications(), await pair.agent.notificationCounts());
    console.log(
      `flood at ${LATENCY_MS} ms details: ${FLOOD} made-up POSTs, statuses ${JSON.stringify(Object.fromEntries(statuses))}; release ${latencyMs} ms after payment; ` +
        `Glase's notification attempts ${JSON.stringify(attempts.map((a) => a.status))}; journal +${(growth / 1024).toFixed(0)} KiB; ${stored.length} notification row(s); ctl invoices ${JSON.stringify(listing).length} bytes`,
    );
    expect(statuses.get(404)).toBe(FLOOD);
    expect(latencyMs).toBeLessThan(5_000);
    expect(attempts.map((a) => a.status)).toEqual([200]); // the real one was never refused or queued out
    expect(stored).toEqual([expect.objectContaining({ state: "settled" })]);
    expect(listing.invoices).toEqual([expect.objectContaining({ reference: "WASH-REAL", state: "released" })]);
    expect(listing.counts?.unknown.count ?? 0).toBe(0);
    expect(pair.alarms).toEqual([]);
    expect(growth).toBeLessThan(256 * 1024);
  });
});

describe("notification flood from someone who has the URL (a leaked token)", () => {
  it(`${FAKES} made-up ids during a real payment: the release within 5 s, a bounded journal, a small listing`, { timeout: 120_000 }, async () => {
    // The Invoice Service answers after DETAILS_LATENCY_MS.
    let upstream = "";
    const proxy = await slowDetails(DETAILS_LATENCY_MS, () => upstream);
    pair = await startPair({ detailsBaseUrl: `http://127.0.0.1:${proxy.port}` });
    upstream = pair.service.url;
    let releasedAt = 0;
    await pair.agent.close();
    await pair.openAgent({ release: async () => void (releasedAt = Date.now()) });
    const invoice = await pair.agent.issue(wash);
    const before = await journalBytes(pair.journalPath);
    const url = pair.agent.endpointUrl;

    const statuses = new Map<number, number>();
    let sent = 0;
    let paidAt = 0;
    let paying: Promise<unknown> | undefined;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (sent < FAKES) {
          const id = 9_000_000 + sent++;
          if (sent === FAKES / 4 && !paying) {
            paidAt = Date.now();
            paying = payQr(pair!.service, invoice.qr);
          }
          const res = await notify(url, id);
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    expect((await paying)!).toMatchObject({ status: 200 });
    await waitFor("the real release", () => releasedAt > 0, 30_000);
    await pair.agent.settled();
    const latencyMs = releasedAt - paidAt;
    const growth = (await journalBytes(pair.journalPath)) - before;
    const listing = invoiceListing(await pair.agent.listInvoices({ n: 50 }), await pair.agent.openNotifications(), await pair.agent.notificationCounts());
    const listingBytes = JSON.stringify(listing).length;
    const stored = await pair.agent.listNotifications();
    console.log(`flood: ${FAKES} fake ids, statuses ${JSON.stringify(Object.fromEntries(statuses))}; release ${latencyMs} ms after payment; journal +${(growth / 1024).toFixed(0)} KiB; ${stored.length} notification rows kept; ctl invoices ${listingBytes} bytes`);

    expect(latencyMs).toBeLessThan(5_000);
    expect(statuses.get(200)).toBe(FAKES);
    expect(listing.invoices).toEqual([expect.objectContaining({ reference: "WASH-FLOOD", state: "released" })]);
    expect(listing.counts?.unknown.count).toBe(FAKES);
    expect(listing.openNotifications).toEqual([]);
    expect(listingBytes).toBeLessThan(4_096);
    // The trace: the real notification plus the latest UNKNOWN_KEPT unknown ids, in a file that
    // stays within a megabyte however many ids were sent.
    expect(stored.filter((n) => n.state === "unknown")).toHaveLength(UNKNOWN_KEPT);
    expect(stored.filter((n) => n.state === "settled")).toHaveLength(1);
    expect(growth).toBeLessThan(1024 * 1024);
    // One aggregated alarm, not one per id.
    expect(pair.alarms.filter((a) => a.kind === "unknown-invoice")).toHaveLength(1);
  });

  it("refuses with 503 past the pending bound and 429 past the intake rate, with Retry-After", async () => {
    // An Invoice Service that never answers: every notification stays pending.
    const hang = await startStub(() => undefined);
    cleanups.push(hang.close);
    pair = await startPair({ detailsBaseUrl: `http://127.0.0.1:${hang.port}` });
    await pair.agent.close();
    await pair.openAgent({ endpointLimits: { maxPending: 5 } });
    const codes: number[] = [];
    for (let id = 1; id <= 8; id++) {
      const res = await notify(pair.agent.endpointUrl, id);
      codes.push(res.status);
      if (res.status === 503) expect(res.headers.get("retry-after")).toBe("10");
      await res.arrayBuffer();
    }
    expect(codes).toEqual([200, 200, 200, 200, 200, 503, 503, 503]);

    await pair.agent.close();
    await pair.openAgent({ endpointLimits: { maxPending: 1_000, intakeBurst: 3, intakePerSecond: 0.001 } });
    const limited: number[] = [];
    for (let id = 100; id < 105; id++) {
      const res = await notify(pair.agent.endpointUrl, id);
      limited.push(res.status);
      await res.arrayBuffer();
    }
    expect(limited).toEqual([200, 200, 200, 429, 429]);
  });
});

describe("details request", () => {
  it("never follows a redirect: the X-Auth-Token never reaches another origin", async () => {
    const tokensSeen: string[] = [];
    const elsewhere = await startStub((req, res) => {
      tokensSeen.push(String(req.headers["x-auth-token"] ?? ""));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    cleanups.push(elsewhere.close);
    const redirector = await startStub((req, res) => res.writeHead(302, { location: `http://127.0.0.1:${elsewhere.port}${req.url}` }).end());
    cleanups.push(redirector.close);
    const { createDetailsClient } = await import("../../agent/invoice-service/details-client.ts");
    const fetchDetails = createDetailsClient({ baseUrl: `http://127.0.0.1:${redirector.port}`, issuerName: "kiosk", secret: "s" });
    const outcome = await fetchDetails(42);
    expect(outcome).toMatchObject({ kind: "retry", reason: expect.stringMatching(/HTTP 302 .*redirects are not followed/) });
    expect(tokensSeen).toEqual([]);
  });

  it("requires https except to a loopback address, in the client and in config check", async () => {
    const { createDetailsClient } = await import("../../agent/invoice-service/details-client.ts");
    const { ConfigSchema } = await import("../../agent/config/schema.ts");
    for (const bad of ["http://invoice.glase.example", "http://10.1.2.3:8080", "ftp://x", "https://user:pw@invoice.glase.example"]) {
      expect(() => createDetailsClient({ baseUrl: bad, issuerName: "k", secret: "s" }), bad).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    }
    for (const good of ["https://invoice.glase.example", "http://127.0.0.1:8913", "http://[::1]:8913", "http://localhost:1"]) {
      expect(() => createDetailsClient({ baseUrl: good, issuerName: "k", secret: "s" }), good).not.toThrow();
    }
    const section = ConfigSchema.shape.invoiceService;
    const base = { issuerName: "k", secretFile: "/etc/glase-agent/issuer.secret", notificationTokenFile: "/etc/glase-agent/notification.token", publicUrl: "https://kiosk.example/notify" };
    const refused = section!.safeParse({ ...base, detailsBaseUrl: "http://invoice.glase.example" });
    expect(refused.success).toBe(false);
    expect(refused.error!.issues[0]!.message).toMatch(/must be https/);
    expect(section!.safeParse({ ...base, detailsBaseUrl: "https://invoice.glase.example" }).success).toBe(true);
  });
});
