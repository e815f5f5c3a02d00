// Review issue 13 — two Kiosk API controllers (two kiosk apps, each with its own points and token)
// on one station share one KioskHost. Reference lookup and Idempotency-Key are station-wide, so
// one kiosk's traffic breaks the other's crash recovery and sales, and leaks its sale's state.
// (From the issue-13 review's repro tests, findings 4 and 5; both failed before the fix.)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import { InMemoryKioskHost } from "../../../drivers/kiosk/in-memory-host.ts";
import { openKioskApi, type KioskApi } from "../../../drivers/kiosk-api/server.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { POINTS, TOKEN, http, tokenFile } from "./helpers.ts";

const apis: KioskApi[] = [];
afterEach(async () => {
  while (apis.length) await apis.pop()!.close();
});

async function twoApis() {
  const dir = mkdtempSync(join(tmpdir(), "rev13-kiosk-"));
  const host = new InMemoryKioskHost({ points: POINTS, scheduler: new SimClock({ manual: true }) });
  const token = tokenFile(dir);
  const a = await openKioskApi({ socketPath: join(dir, "a.sock"), tokenFile: token, points: [7] }, { host, logger: createLogger("test.a") });
  const b = await openKioskApi({ socketPath: join(dir, "b.sock"), tokenFile: token, points: [8] }, { host, logger: createLogger("test.b") });
  apis.push(a, b);
  const auth = { authorization: `Bearer ${TOKEN}` };
  return {
    host,
    a: (m: string, p: string, body?: unknown, h: Record<string, string> = {}) => http(a.socketPath, m, p, body, { ...auth, ...h }),
    b: (m: string, p: string, body?: unknown, h: Record<string, string> = {}) => http(b.socketPath, m, p, body, { ...auth, ...h }),
  };
}

const sale = (point: number, reference: string) => ({ point, amountMinor: 1000, currency: "SEK", reference });

describe("issue 13 review: kiosks sharing the station's host", () => {
  it("an app that restarted finds ITS payment by reference even when another kiosk used the same reference later", async () => {
    const { a, b, host } = await twoApis();
    const mine = await b("POST", "/v1/payments", sale(8, "order-1"));
    expect(mine.status).toBe(201);
    host.openInvoice(mine.body.id);
    host.pay(mine.body.id); // paid: kiosk B must release — then its app crashes
    const other = await a("POST", "/v1/payments", sale(7, "order-1")); // kiosk A's own order numbering
    expect(other.status).toBe(201);
    // B's app comes back and looks its payment up, as docs/kiosk-api.md "After your app restarts" says.
    const found = await b("GET", "/v1/payments?reference=order-1");
    expect(found.status).toBe(200); // FAILS on main: 404 — the newest sale with that reference is A's, then hidden
    expect(found.body.id).toBe(mine.body.id);
  });

  it("one kiosk's Idempotency-Key does not block the other kiosk's sale nor tell it the other's payment state", async () => {
    const { a, b } = await twoApis();
    const first = await a("POST", "/v1/payments", sale(7, "a-1"), { "idempotency-key": "order-0001" });
    expect(first.status).toBe(201);
    const second = await b("POST", "/v1/payments", sale(8, "b-1"), { "idempotency-key": "order-0001" });
    // FAILS on main: 422 idempotency-key-reused with paymentState of kiosk A's sale
    expect(second.body.paymentState).toBeUndefined();
    expect(second.status).toBe(201);
    // Each app sees the key it sent (the API's scope is not shown), and replays its own.
    expect(first.body.idempotencyKey).toBe("order-0001");
    expect(second.body.idempotencyKey).toBe("order-0001");
    const again = await b("POST", "/v1/payments", sale(8, "b-1"), { "idempotency-key": "order-0001" });
    expect([again.status, again.body.id]).toEqual([200, second.body.id]);
    expect((await a("GET", "/v1/payments?idempotencyKey=order-0001")).body.id).toBe(first.body.id);
    const reused = await b("POST", "/v1/payments", sale(8, "b-2"), { "idempotency-key": "order-0001" });
    expect(reused.status).toBe(422);
    expect(reused.body.detail).toBe("Idempotency-Key order-0001 was used for a different payment");
  });
});
