// The OpenAPI document: served = kept in docs/ (byte for byte), every route documented and
// every documented operation routed, every $ref resolvable, and the problem statuses the
// server answers are the ones documented.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildOpenApi } from "../../../drivers/kiosk-api/openapi.ts";
import { ROUTES } from "../../../drivers/kiosk-api/routes.ts";
import { sale, startApi } from "./helpers.ts";

const docsFile = new URL("../../../docs/kiosk-api.openapi.json", import.meta.url);

describe("Kiosk API OpenAPI document", () => {
  it("what the server serves is docs/kiosk-api.openapi.json (run `npm run docs:kiosk-api` when this fails)", async () => {
    const { raw } = await startApi();
    const served = await raw("GET", "/v1/openapi.json");
    expect(served.status).toBe(200);
    expect(served.body).toEqual(JSON.parse(readFileSync(docsFile, "utf8")));
    expect(readFileSync(docsFile, "utf8")).toBe(JSON.stringify(buildOpenApi(), null, 2) + "\n");
  });

  it("documents every route and routes every documented operation", () => {
    const doc = buildOpenApi() as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.openapi).toMatch(/^3\.1\./);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => `${m.toUpperCase()} ${path} ${op.operationId}`));
    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path} ${r.operationId}`).sort());
    expect(new Set(ROUTES.map((r) => r.operationId)).size).toBe(ROUTES.length);
  });

  it("every $ref points at a component that exists", () => {
    const doc = buildOpenApi() as { components: { schemas: Record<string, unknown> } };
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(5);
    for (const r of refs) expect(doc.components.schemas[r], r).toBeDefined();
  });

  it("the statuses the server answers on each operation are documented there", async () => {
    const { call, host } = await startApi({ api: { maxBodyBytes: 1024 } });
    const doc = buildOpenApi() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const seen: Array<[string, string, number]> = [];
    const hit = async (method: string, template: string, path: string, body?: unknown, headers?: Record<string, string>) => {
      const r = await call(method, path, body, headers);
      seen.push([method.toLowerCase(), template, r.status]);
      return r;
    };
    const p = (await hit("POST", "/v1/payments", "/v1/payments", sale(), { "idempotency-key": "d-1" })).body;
    await hit("POST", "/v1/payments", "/v1/payments", sale(), { "idempotency-key": "d-1" });
    await hit("POST", "/v1/payments", "/v1/payments", sale({ amountMinor: 1 }), { "idempotency-key": "d-1" });
    await hit("POST", "/v1/payments", "/v1/payments", sale({ reference: "other" }));
    await hit("POST", "/v1/payments", "/v1/payments", { x: "y".repeat(2000) });
    await hit("POST", "/v1/payments", "/v1/payments", "x", { "content-type": "text/plain" });
    await hit("POST", "/v1/payments", "/v1/payments", {});
    await hit("GET", "/v1/payments", "/v1/payments?reference=wash-001");
    await hit("GET", "/v1/payments", "/v1/payments?reference=none");
    await hit("GET", "/v1/payments/{id}", `/v1/payments/${p.id}`);
    await hit("GET", "/v1/payments/{id}", "/v1/payments/none");
    await hit("POST", "/v1/payments/{id}/release", `/v1/payments/${p.id}/release`, { outcome: "delivered" });
    host.pay(p.id);
    await hit("POST", "/v1/payments/{id}/cancel", `/v1/payments/${p.id}/cancel`);
    await hit("POST", "/v1/payments/{id}/release", `/v1/payments/${p.id}/release`, { outcome: "delivered" });
    await hit("GET", "/v1/points", "/v1/points");
    for (const [method, path, status] of seen) expect(doc.paths[path]![method]!.responses[String(status)], `${method} ${path} ${status}`).toBeDefined();
    expect(new Set(seen.map((s) => s[2]))).toEqual(new Set([200, 201, 400, 404, 409, 413, 415, 422]));
  });
});
