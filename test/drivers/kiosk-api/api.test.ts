// The Kiosk API end to end over a real Unix socket, against the in-memory reference host: what a
// kiosk app does (pay, release, cancel, retry, restart) and what a hostile or buggy client sends.
import { describe, expect, it } from "vitest";
import { PaymentSchema, ProblemSchema } from "../../../drivers/kiosk-api/schemas.ts";
import { openStream, sale, startApi } from "./helpers.ts";

const payment = (body: unknown) => PaymentSchema.parse(body);
const problemOf = (body: unknown) => ProblemSchema.parse(body);

describe("Kiosk API: the payment life", () => {
  it("pay → paid → release delivered: the app is told what to show at each step, one receipt, no refund", async () => {
    const { call, host, api } = await startApi();
    const stream = await openStream(api.socketPath);
    expect(stream.status).toBe(200);
    const created = await call("POST", "/v1/payments", sale(), { "idempotency-key": "k-1" });
    expect(created.status).toBe(201);
    const p = payment(created.body);
    expect(created.headers.location).toBe(`/v1/payments/${p.id}`);
    expect(p).toMatchObject({ state: "waiting", amountMinor: 4500, display: { code: "pay", glaseId: "GL-7" } });
    expect(p.rows).toEqual([{ description: "Car wash 7", quantity: "1", totalMinor: 4500 }]);

    host.pay(p.id);
    const paidEvent = await stream.waitFor((e) => e.data?.state === "paid", "paid event");
    expect(paidEvent.data).toMatchObject({ id: p.id, display: { code: "release" }, ersReference: `ers-${p.id}` });
    expect(payment((await call("GET", `/v1/payments/${p.id}`)).body).releaseDeadline).toBeDefined();

    const released = await call("POST", `/v1/payments/${p.id}/release`, { outcome: "delivered" });
    expect(released.status).toBe(200);
    expect(payment(released.body)).toMatchObject({ state: "delivered", display: { code: "thanks" }, release: { result: { outcome: "delivered" }, late: false } });
    await stream.waitFor((e) => e.data?.state === "delivered", "delivered event");
    expect(host.receipts).toEqual([p.id]);
    expect(host.refunds).toEqual([]);
  });

  it("release failed → the host refunds the whole amount exactly once; a replay is a no-op, another result is refused", async () => {
    const { call, host, api } = await startApi();
    const stream = await openStream(api.socketPath);
    const p = payment((await call("POST", "/v1/payments", sale())).body);
    host.pay(p.id);
    const failed = await call("POST", `/v1/payments/${p.id}/release`, { outcome: "failed", reason: "wash arm stuck" });
    expect(failed.status).toBe(200);
    expect(payment(failed.body).state).toBe("refunding");
    const refunded = await stream.waitFor((e) => e.data?.state === "refunded", "refunded");
    expect(refunded.data).toMatchObject({ display: { code: "refunded" }, refund: { amountMinor: 4500, state: "done" } });
    const again = await call("POST", `/v1/payments/${p.id}/release`, { outcome: "failed", reason: "wash arm stuck" });
    expect(again.status).toBe(200);
    const other = await call("POST", `/v1/payments/${p.id}/release`, { outcome: "delivered" });
    expect(other.status).toBe(409);
    expect(problemOf(other.body)).toMatchObject({ conflict: "release-already-reported", paymentState: "refunded" });
    expect(host.refunds).toEqual([{ saleId: p.id, amountMinor: 4500 }]);
  });

  it("a partial delivery refunds what was not delivered; deliveredMinor out of range is a 400 naming it", async () => {
    const { call, host } = await startApi();
    const p = payment((await call("POST", "/v1/payments", sale({ amountMinor: 6000 }))).body);
    host.pay(p.id);
    const bad = await call("POST", `/v1/payments/${p.id}/release`, { outcome: "failed", reason: "half", deliveredMinor: 6000 });
    expect(bad.status).toBe(400);
    expect(problemOf(bad.body).errors).toEqual([expect.objectContaining({ field: "deliveredMinor" })]);
    const ok = await call("POST", `/v1/payments/${p.id}/release`, { outcome: "failed", reason: "program stopped", deliveredMinor: 2500 });
    expect(ok.status).toBe(200);
    await Promise.resolve();
    expect(host.refunds).toEqual([{ saleId: p.id, amountMinor: 3500 }]);
  });

  it("no release result within the deadline: attention with an alarm, never a refund; a late result is still taken", async () => {
    const { call, host, clock } = await startApi({ host: { releaseTimeoutMs: 60_000 } });
    const p = payment((await call("POST", "/v1/payments", sale())).body);
    host.pay(p.id);
    clock.advance(60_000);
    const late = payment((await call("GET", `/v1/payments/${p.id}`)).body);
    expect(late).toMatchObject({ state: "attention", attention: "release-result-missing", display: { code: "attention" } });
    expect(host.alarms).toEqual([{ saleId: p.id, code: "release-result-missing" }]);
    expect(host.refunds).toEqual([]);
    const reported = await call("POST", `/v1/payments/${p.id}/release`, { outcome: "delivered" });
    expect(payment(reported.body)).toMatchObject({ state: "delivered", release: { late: true } });
  });

  it("cancel: an unpaid payment ends cancelled; after PAID a cancel is refused; a payment that beat the cancel ends paid", async () => {
    const { call, host, api } = await startApi({ host: { onCancel: (s) => (s.reference === "race" ? "paid" : "cancelled") } });
    const stream = await openStream(api.socketPath);
    const p = payment((await call("POST", "/v1/payments", sale())).body);
    const asked = await call("POST", `/v1/payments/${p.id}/cancel`); // no body at all: allowed
    expect(asked.status).toBe(200);
    expect(payment(asked.body).cancelRequested).toBe("customer");
    const ended = await stream.waitFor((e) => e.data?.id === p.id && e.data?.state === "cancelled", "cancelled");
    expect(ended.data).toMatchObject({ cancelReason: "customer", display: { code: "cancelled" } });
    expect((await call("POST", `/v1/payments/${p.id}/cancel`, { reason: "controller" })).status).toBe(200); // idempotent

    const q = payment((await call("POST", "/v1/payments", sale({ reference: "race" }))).body);
    await call("POST", `/v1/payments/${q.id}/cancel`, { reason: "customer" });
    await stream.waitFor((e) => e.data?.id === q.id && e.data?.state === "paid", "paid despite cancel");
    const tooLate = await call("POST", `/v1/payments/${q.id}/cancel`, {});
    expect(tooLate.status).toBe(409);
    expect(problemOf(tooLate.body)).toMatchObject({ conflict: "not-cancellable", paymentState: "paid" });
    expect(host.sales().map((s) => s.state)).toEqual(["cancelled", "paid"]);
  });
});

describe("Kiosk API: retries and restarts", () => {
  it("Idempotency-Key: a replay returns the same payment (200, Idempotent-Replayed); the same key with another body is 422", async () => {
    const { call, host } = await startApi();
    const first = await call("POST", "/v1/payments", sale(), { "idempotency-key": "order-17" });
    const replay = await call("POST", "/v1/payments", sale(), { "idempotency-key": "order-17" });
    expect(replay.status).toBe(200);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(replay.body.id).toBe(first.body.id);
    const reused = await call("POST", "/v1/payments", sale({ amountMinor: 9900 }), { "idempotency-key": "order-17" });
    expect(reused.status).toBe(422);
    expect(problemOf(reused.body)).toMatchObject({ type: "urn:glase-agent:kiosk-api:problem:idempotency-key-reused", conflict: "idempotency-mismatch" });
    expect(host.sales()).toHaveLength(1);
    const bad = await call("POST", "/v1/payments", sale({ point: 8 }), { "idempotency-key": "bad key" });
    expect(problemOf(bad.body).errors).toEqual([expect.objectContaining({ field: "header Idempotency-Key" })]);
  });

  it("one open payment per point: a second one while the first is unreleased is 409 point-busy; another point is free", async () => {
    const { call } = await startApi();
    await call("POST", "/v1/payments", sale());
    const busy = await call("POST", "/v1/payments", sale({ reference: "wash-002" }));
    expect(busy.status).toBe(409);
    expect(problemOf(busy.body).conflict).toBe("point-busy");
    expect((await call("POST", "/v1/payments", sale({ point: 8 }))).status).toBe(201);
  });

  it("a point that takes no sale now answers 503 with Retry-After", async () => {
    const { call, host } = await startApi();
    host.setAvailable(7, false);
    const r = await call("POST", "/v1/payments", sale());
    expect(r.status).toBe(503);
    expect(r.headers["retry-after"]).toBe("30");
  });

  it("an app that restarted finds its payment by reference (newest, optionally per point) or by its Idempotency-Key", async () => {
    const { call, host } = await startApi();
    const p = payment((await call("POST", "/v1/payments", sale({ reference: "ord-9" }), { "idempotency-key": "app-9" })).body);
    host.pay(p.id);
    const byRef = await call("GET", "/v1/payments?reference=ord-9&point=7");
    expect(byRef.status).toBe(200);
    expect(payment(byRef.body)).toMatchObject({ id: p.id, state: "paid" });
    expect(payment((await call("GET", "/v1/payments?idempotencyKey=app-9")).body).id).toBe(p.id);
    expect((await call("GET", "/v1/payments?reference=ord-9&point=8")).status).toBe(404);
    expect((await call("GET", "/v1/payments?reference=nope")).status).toBe(404);
    const none = await call("GET", "/v1/payments");
    expect(none.status).toBe(400);
    expect(problemOf(none.body).errors?.[0]?.field).toBe("query reference");
  });
});

describe("Kiosk API: bad and unauthenticated requests", () => {
  it("401 without or with a wrong token (and a Bearer challenge); the OpenAPI document is public", async () => {
    const { raw } = await startApi();
    for (const auth of [undefined, "Bearer wrong-token-wrong-token", "Basic a2lvc2s6eA==", "Bearer"]) {
      const r = await raw("GET", "/v1/payments/x", undefined, auth ? { authorization: auth } : {});
      expect(r.status).toBe(401);
      expect(r.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(r.headers["content-type"]).toBe("application/problem+json");
    }
    expect((await raw("POST", "/v1/payments", sale())).status).toBe(401); // before reading the body
    expect((await raw("GET", "/v1/openapi.json")).status).toBe(200);
  });

  it("400 naming each bad field; 415 for another media type; 413 past the size limit; 404/405 for routes", async () => {
    const { call } = await startApi({ api: { maxBodyBytes: 2048 } });
    const cases: Array<[unknown, string]> = [
      [sale({ amountMinor: -5 }), "amountMinor"],
      [sale({ amountMinor: 12.5 }), "amountMinor"],
      [sale({ currency: "sek" }), "currency"],
      [{ ...sale(), colour: "red" }, "colour"],
      [sale({ rows: [{ description: "Wash", totalMinor: 4000 }] }), "rows"], // adds up to 4000, not 4500 (host rule)
      [sale({ rows: [{ description: "Wash" }] }), "rows.0.totalMinor"],
      [sale({ point: 99 }), "point"],
      [{ point: 7, amountMinor: 100, currency: "SEK" }, "reference"],
      [[1, 2], "body"],
    ];
    for (const [body, field] of cases) {
      const r = await call("POST", "/v1/payments", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(problemOf(r.body).errors?.map((e) => e.field), JSON.stringify(body)).toContain(field);
    }
    const notJson = await call("POST", "/v1/payments", "{not json");
    expect(notJson.status).toBe(400);
    expect(problemOf(notJson.body).errors?.[0]?.field).toBe("body");
    expect((await call("POST", "/v1/payments", JSON.stringify(sale()), { "content-type": "text/plain" })).status).toBe(415);
    expect((await call("POST", "/v1/payments", JSON.stringify(sale()), { "content-type": "application/json; charset=utf-8" })).status).toBe(201);
    const big = await call("POST", "/v1/payments", sale({ reference: "x", pad: "y".repeat(5000) }));
    expect(big.status).toBe(413);
    expect((await call("GET", "/v1/nothing")).status).toBe(404);
    const wrongMethod = await call("DELETE", "/v1/payments");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe("POST, GET");
    expect((await call("GET", "/v1/payments/sale-404")).status).toBe(404);
    expect((await call("POST", "/v1/payments/sale-404/release", { outcome: "delivered" })).status).toBe(404);
    const badRelease = await call("POST", "/v1/payments/sale-1/release", { outcome: "lost" });
    expect(badRelease.status).toBe(400);
    expect(problemOf(badRelease.body).errors?.[0]?.field).toBe("outcome");
  });

  it("a release before PAID is 409 not-releasable", async () => {
    const { call } = await startApi();
    const p = payment((await call("POST", "/v1/payments", sale())).body);
    const r = await call("POST", `/v1/payments/${p.id}/release`, { outcome: "delivered" });
    expect(r.status).toBe(409);
    expect(problemOf(r.body)).toMatchObject({ conflict: "not-releasable", paymentState: "waiting" });
  });

  it("an API limited to some points neither sells on nor shows the others", async () => {
    const { call, host } = await startApi({ api: { points: [8] } });
    expect((await call("POST", "/v1/payments", sale())).status).toBe(400);
    const other = await host.requestSale({ point: 7, amountMinor: 100, currency: "SEK", reference: "hidden" });
    expect((await call("GET", `/v1/payments/${other.saleId}`)).status).toBe(404);
    expect((await call("GET", "/v1/points")).body).toEqual({ points: [{ id: 8, currency: "SEK", glaseId: "GL-8" }] });
  });
});
