// The Kiosk API end to end against the ENGINE-backed host: a kiosk app over the real Unix socket,
// the POS flow over real HTTP to the Glase simulator, the real journal. What the in-memory tests
// (test/drivers/kiosk-api/) check of the API's shape, these check of the money: Glase's ledger.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../base/log.ts";
import { PaymentSchema, ProblemSchema } from "../../drivers/kiosk-api/schemas.ts";
import { openKioskApi, type KioskApi } from "../../drivers/kiosk-api/server.ts";
import { VirtualKioskApp } from "../../simulator/devices/virtual-kiosk-app.ts";
import { TOKEN, http, openStream, tokenFile } from "../drivers/kiosk-api/helpers.ts";
import { openKioskRig, type KioskRig } from "./engine-host-rig.ts";

let rig: KioskRig | undefined;
let api: KioskApi | undefined;
afterEach(async () => {
  await api?.close();
  await rig?.close();
  rig = api = undefined;
});

const payment = (body: unknown) => PaymentSchema.parse(body);
const sale = (over: Record<string, unknown> = {}) => ({ point: 9, amountMinor: 4500, currency: "SEK", reference: "wash-001", ...over });

async function start(opts: { autoPayMs?: number } = {}) {
  rig = await openKioskRig(opts);
  const dir = mkdtempSync(join(tmpdir(), "kiosk-e2e-"));
  const socketPath = join(dir, "kiosk.sock");
  const token = tokenFile(dir);
  const open = async () => (api = await openKioskApi({ socketPath, tokenFile: token }, { host: rig!.host, logger: createLogger("test.kiosk-api") }));
  await open();
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => http(socketPath, method, path, body, { authorization: `Bearer ${TOKEN}`, ...headers });
  /** The agent restarts (engine, host and API) on the same journal. */
  const restartAgent = async () => {
    await api!.close();
    await rig!.restart();
    await open();
  };
  return { rig, socketPath, call, restartAgent };
}

describe("Kiosk API over the engine-backed host", () => {
  it("pay → PAID → released → receipt: one PAID invoice at Glase, the receipt with its ersReference, no refund", async () => {
    const { rig, socketPath, call } = await start({ autoPayMs: 100 });
    const stream = await openStream(socketPath);
    const created = await call("POST", "/v1/payments", sale(), { "idempotency-key": "wash:1" });
    expect(created.status).toBe(201);
    const p = payment(created.body);
    const paid = await stream.waitFor((e) => e.data?.id === p.id && e.data?.state === "paid", "paid");
    expect(paid.data.display.code).toBe("release");
    const released = await call("POST", `/v1/payments/${p.id}/release`, { outcome: "delivered" });
    expect(payment(released.body).state).toBe("delivered");
    const inv = rig.sim.sim.dump().invoices.filter((i) => i.invoice.clientInvoiceId === p.id);
    expect(inv.map((i) => i.status)).toEqual(["PAID"]);
    await until(async () => (await rig.station.engine.receipts()).length === 1);
    expect((await rig.station.engine.receipts())[0]!.ersReference).toBe(inv[0]!.ersReference);
    expect(rig.refundsOf(inv[0]!.ersReference!)).toEqual([]);
  });

  it("not delivered → refunded once; partial delivery → partial refund (Glase's ledger)", async () => {
    const { rig, socketPath, call } = await start({ autoPayMs: 100 });
    const stream = await openStream(socketPath);
    const a = payment((await call("POST", "/v1/payments", sale())).body);
    await stream.waitFor((e) => e.data?.id === a.id && e.data?.state === "paid", "paid a");
    await call("POST", `/v1/payments/${a.id}/release`, { outcome: "failed", reason: "wash arm jammed" });
    await call("POST", `/v1/payments/${a.id}/release`, { outcome: "failed", reason: "wash arm jammed" }); // the app's retry
    const ra = await stream.waitFor((e) => e.data?.id === a.id && e.data?.state === "refunded", "refunded a");
    expect(rig.refundsOf(ra.data.ersReference).map((r) => r.amountMinor)).toEqual([4500]);

    const b = payment((await call("POST", "/v1/payments", sale({ reference: "wash-002", amountMinor: 6000 }))).body);
    await stream.waitFor((e) => e.data?.id === b.id && e.data?.state === "paid", "paid b");
    await call("POST", `/v1/payments/${b.id}/release`, { outcome: "failed", reason: "stopped half way", deliveredMinor: 2500 });
    const rb = await stream.waitFor((e) => e.data?.id === b.id && e.data?.state === "refunded", "refunded b");
    expect(rig.refundsOf(rb.data.ersReference).map((r) => r.amountMinor)).toEqual([3500]);
  });

  it("cancel → the invoice is cancelled at Glase, nothing paid", async () => {
    const { rig, socketPath, call } = await start();
    const stream = await openStream(socketPath);
    const p = payment((await call("POST", "/v1/payments", sale())).body);
    await stream.waitFor((e) => e.data?.id === p.id && e.data?.state === "waiting", "waiting");
    expect((await call("POST", `/v1/payments/${p.id}/cancel`, {})).status).toBe(200);
    const c = await stream.waitFor((e) => e.data?.id === p.id && e.data?.state === "cancelled", "cancelled");
    expect(c.data).toMatchObject({ cancelReason: "customer", display: { code: "cancelled" } });
    expect(rig.sim.sim.dump().invoices.find((i) => i.invoice.clientInvoiceId === p.id)!.status).toBe("CANCELED");
  });

  it("idempotent replay and an app restart find the same payment, also across an agent restart; one invoice only", async () => {
    const { rig, call, restartAgent } = await start();
    const first = await call("POST", "/v1/payments", sale(), { "idempotency-key": "app-wash-001" });
    const replay = await call("POST", "/v1/payments", sale(), { "idempotency-key": "app-wash-001" });
    expect(payment(replay.body).id).toBe(payment(first.body).id);
    await restartAgent();
    const after = await call("POST", "/v1/payments", sale(), { "idempotency-key": "app-wash-001" });
    expect(payment(after.body).id).toBe(payment(first.body).id);
    const found = await call("GET", "/v1/payments?reference=wash-001&point=9");
    expect(payment(found.body).id).toBe(payment(first.body).id);
    expect(payment((await call("GET", "/v1/payments?idempotencyKey=app-wash-001")).body).id).toBe(payment(first.body).id);
    const mismatch = await call("POST", "/v1/payments", sale({ amountMinor: 4600 }), { "idempotency-key": "app-wash-001" });
    expect(mismatch.status).toBe(422);
    expect(ProblemSchema.parse(mismatch.body)).toMatchObject({ conflict: "idempotency-mismatch" });
    expect(rig.sim.sim.dump().invoices.filter((i) => i.invoice.clientInvoiceId === payment(first.body).id)).toHaveLength(1);
  });

  it("bad and unauthenticated requests → RFC 9457 problems naming the field; nothing reaches Glase", async () => {
    const { rig, socketPath, call } = await start();
    const noToken = await http(socketPath, "POST", "/v1/payments", sale());
    expect(noToken.status).toBe(401);
    expect(noToken.headers["content-type"]).toBe("application/problem+json");
    for (const [body, field] of [
      [sale({ currency: "EUR" }), "currency"],
      [sale({ amountMinor: 0 }), "amountMinor"],
      [sale({ point: 1 }), "point"],
    ] as const) {
      const r = await call("POST", "/v1/payments", body);
      expect(r.status, field).toBe(400);
      expect(ProblemSchema.parse(r.body).errors?.map((e) => e.field)).toContain(field);
    }
    expect(rig.sim.sim.dump().invoices).toEqual([]);
  });

  it("the simulated car-wash app buys through the socket: delivered, or failed and refunded — never both", async () => {
    const { rig, socketPath } = await start({ autoPayMs: 50 });
    let n = 0;
    const app = new VirtualKioskApp({ socketPath, token: TOKEN, point: 9, currency: "SEK", products: [{ description: "Wash", amountMinor: 9900 }], failShare: 0.5, random: () => [0.9, 0.1, 0.1, 0.9][n++ % 4]!, pollMs: 50 });
    // random: pick, then the wash result (0.1 < failShare: failed, and 0.1 < 0.5: nothing delivered).
    const failed = await app.buy();
    const delivered = await app.buy();
    expect([failed.state, delivered.state]).toEqual(["refunded", "delivered"]);
    expect(rig.refundsOf(failed.ersReference as string).map((r) => r.amountMinor)).toEqual([9900]);
    expect(rig.refundsOf(delivered.ersReference as string)).toEqual([]);
  });
});

async function until(probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await probe()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error("condition never held");
}
