// Review 2 of issue 13 — Kiosk API keys and references after the per-kiosk scoping fix.
// (review 2 of issue 13, findings 2 and 3)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../base/log.ts";
import { InMemoryKioskHost } from "../../../drivers/kiosk/in-memory-host.ts";
import { openKioskApi, type KioskApi } from "../../../drivers/kiosk-api/server.ts";
import { isAgentError } from "../../../base/errors.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { POINTS, TOKEN, http, tokenFile } from "./helpers.ts";

const apis: KioskApi[] = [];
afterEach(async () => {
  while (apis.length) await apis.pop()!.close();
});
const auth = { authorization: `Bearer ${TOKEN}` };
const body = (point: number, reference: string) => ({ point, amountMinor: 1000, currency: "SEK", reference });

describe("review 2: Idempotency-Keys across the upgrade that scoped them", () => {
  it("a sale journaled by the previous version under the raw key is replayed, not charged a second time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rv13b-keys-"));
    const host = new InMemoryKioskHost({ points: POINTS, scheduler: new SimClock({ manual: true }) });
    // What the journal holds from before the upgrade: the API passed the app's key through unscoped.
    const old = await host.requestSale({ ...body(7, "order-1"), idempotencyKey: "order-1" });
    host.pay(old.saleId);
    await host.reportRelease(old.saleId, { outcome: "delivered" });
    // The agent is upgraded (restart); the kiosk app, whose POST got no answer, retries it as documented.
    const api = await openKioskApi({ socketPath: join(dir, "k.sock"), tokenFile: tokenFile(dir) }, { host, logger: createLogger("test.rv13b.keys"), keyScope: "kiosk-api" });
    apis.push(api);
    const found = await http(api.socketPath, "GET", "/v1/payments?idempotencyKey=order-1", undefined, auth);
    const retry = await http(api.socketPath, "POST", "/v1/payments", body(7, "order-1"), { ...auth, "idempotency-key": "order-1" });
    // FAILS: 404 and then 201 — a new sale (a second charge for the same order).
    expect([found.status, retry.status, retry.body.id]).toEqual([200, 200, old.saleId]);
  });

  it("two Kiosk APIs on one host with no `points` list (every point): refused naming both; disjoint points: B does not find A's sale by reference", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rv13b-keys-"));
    const host = new InMemoryKioskHost({ points: POINTS, scheduler: new SimClock({ manual: true }) });
    const token = tokenFile(dir);
    const a = await openKioskApi({ socketPath: join(dir, "a.sock"), tokenFile: token }, { host, logger: createLogger("test.a"), keyScope: "a" });
    apis.push(a);
    // Before: B opened too, and its app restarting looked up ITS order-1 and got A's paid sale (could release it).
    await expect(openKioskApi({ socketPath: join(dir, "b.sock"), tokenFile: token }, { host, logger: createLogger("test.b"), keyScope: "b" })).rejects.toSatisfy(
      (e) => isAgentError(e, "CONFIG_INVALID") && String((e as Error).message).includes("'a' and 'b'"),
    );
    await apis.pop()!.close();
    const a2 = await openKioskApi({ socketPath: join(dir, "a.sock"), tokenFile: token, points: [POINTS[0]!.id] }, { host, logger: createLogger("test.a"), keyScope: "a" });
    apis.push(a2);
    await expect(openKioskApi({ socketPath: join(dir, "c.sock"), tokenFile: token, points: [POINTS[0]!.id] }, { host, logger: createLogger("test.c"), keyScope: "c" })).rejects.toSatisfy((e) => isAgentError(e, "CONFIG_INVALID"));
    const b = await openKioskApi({ socketPath: join(dir, "b.sock"), tokenFile: token, points: [POINTS[1]!.id] }, { host, logger: createLogger("test.b"), keyScope: "b" });
    apis.push(b);
    const mine = await http(a2.socketPath, "POST", "/v1/payments", body(POINTS[0]!.id, "order-1"), auth);
    host.pay(mine.body.id);
    const found = await http(b.socketPath, "GET", "/v1/payments?reference=order-1", undefined, auth);
    expect(found.status).toBe(404);
  });
});
