// Bad peers on the network. The notification endpoint is public and unauthenticated: anyone can
// POST made-up invoice ids. A flood of them must not delay a real payment's release, must leave a
// bounded trace in the journal and in `ctl invoices`, and past its bounds is refused with 503/429
// (Glase retries). The details request carries the issuer's token: it never follows a redirect
// and goes over https (plain http only to loopback).
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

describe("notification flood", () => {
  it(`${FAKES} made-up ids during a real payment: the release within 5 s, a bounded journal, a small listing`, { timeout: 120_000 }, async () => {
    // The Invoice Service answers after DETAILS_LATENCY_MS, as one across a network would.
    let upstream = "";
    const proxy = await startStub((req, res) => {
      setTimeout(() => {
        fetch(`${upstream}${req.url}`, { headers: { "x-auth-token": String(req.headers["x-auth-token"]), accept: "application/json" } })
          .then(async (r) => res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text()))
          .catch(() => res.writeHead(502).end());
      }, DETAILS_LATENCY_MS);
    });
    cleanups.push(proxy.close);
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
    const base = { issuerName: "k", secretFile: "/etc/glase-agent/issuer.secret", publicUrl: "https://kiosk.example/notify" };
    const refused = section!.safeParse({ ...base, detailsBaseUrl: "http://invoice.glase.example" });
    expect(refused.success).toBe(false);
    expect(refused.error!.issues[0]!.message).toMatch(/must be https/);
    expect(section!.safeParse({ ...base, detailsBaseUrl: "https://invoice.glase.example" }).success).toBe(true);
  });
});
