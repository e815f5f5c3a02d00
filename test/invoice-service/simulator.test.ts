// The simulated Invoice Service: paying QR codes (verification, pay-once), the §7.5 notification
// schedule on a manual SimClock, details (auth, cross-issuer, formats) and the CSV report.
import { afterEach, describe, expect, it } from "vitest";
import { SimClock } from "../../simulator/clock.ts";
import { startInvoiceServiceSimulator, type StandaloneInvoiceService } from "../../simulator/invoice-service/index.ts";
import { payloadOf, signInvoiceJwt, type InvoiceClaims } from "../../agent/invoice-service/jwt.ts";
import { invoiceQr } from "../../agent/invoice-service/qr.ts";
import { issuerToken } from "../../agent/invoice-service/token.ts";
import { freePort, startStub, waitFor } from "./helpers.ts";

// 15.03.2024 14:22:09 Stockholm (CET, +01:00)
const START = Date.UTC(2024, 2, 15, 13, 22, 9);
const claims: InvoiceClaims = { description: "Car wash, program 3", amountMinor: 34900, currency: "SEK", reference: "INV-2024-03-77120", payOnce: true };
const qrOf = (issuer: string, secret: string, c: Partial<InvoiceClaims> = {}) => invoiceQr(signInvoiceJwt(issuer, secret, payloadOf({ ...claims, ...c })));

let running: StandaloneInvoiceService | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await running?.close();
  running = undefined;
  for (const c of cleanups.splice(0)) await c();
});

async function start(notificationUrl: string, clock = new SimClock({ manual: true, start: START })) {
  running = await startInvoiceServiceSimulator({
    clock,
    issuers: [
      { name: "kiosk", secret: "kiosk-secret", notificationUrl },
      { name: "other", secret: "other-secret", notificationUrl },
    ],
  });
  return { sim: running, clock };
}

async function pay(base: string, body: unknown) {
  const res = await fetch(`${base}/__sim/invoice/pay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface AttemptDump {
  n: number;
  at: number;
  status: number | null;
  secondsAfterPayment: number;
}
async function attemptsOf(base: string, id: number): Promise<AttemptDump[]> {
  const state = (await (await fetch(`${base}/__sim/invoice/state`)).json()) as { invoices: { id: number; notification: { attempts: AttemptDump[] } }[] };
  return state.invoices.find((i) => i.id === id)!.notification.attempts;
}

describe("paying an invoice QR", () => {
  it("verifies the JWT and names what is wrong", async () => {
    const { sim } = await start(`http://127.0.0.1:${await freePort()}/n`);
    expect(await pay(sim.url, { qr: qrOf("kiosk", "wrong-secret") })).toMatchObject({ status: 400, json: { field: "signature" } });
    expect(await pay(sim.url, { qr: qrOf("nobody", "x") })).toMatchObject({ status: 400, json: { field: "iss" } });
    expect(await pay(sim.url, { qr: "HTTP://SEQR.SE/R123" })).toMatchObject({ status: 400, json: { field: "qr" } });
    expect(await pay(sim.url, { nope: 1 })).toMatchObject({ status: 400, json: { field: "qr" } });
    const ok = await pay(sim.url, { qr: qrOf("kiosk", "kiosk-secret") });
    expect(ok.status).toBe(200);
    expect(ok.json.invoiceId).toBe(1001);
    expect(ok.json.ersReference).toMatch(/^\d{25}$/);
  });

  it("honours pay-once per issuer and reference, and lets o=false invoices be paid again", async () => {
    const { sim } = await start(`http://127.0.0.1:${await freePort()}/n`);
    expect((await pay(sim.url, { qr: qrOf("kiosk", "kiosk-secret") })).status).toBe(200);
    expect(await pay(sim.url, { qr: qrOf("kiosk", "kiosk-secret") })).toMatchObject({ status: 400, json: { field: "r" } });
    // Same reference at another issuer is another invoice.
    expect((await pay(sim.url, { qr: qrOf("other", "other-secret") })).status).toBe(200);
    const again = qrOf("kiosk", "kiosk-secret", { reference: "DONATION-1", payOnce: false });
    expect((await pay(sim.url, { qr: again })).status).toBe(200);
    expect((await pay(sim.url, { qr: again })).status).toBe(200);
  });
});

describe("notification retry schedule (§7.5)", () => {
  it("makes 13 attempts at the literal schedule offsets when the issuer never answers 200", async () => {
    const seen: number[] = [];
    let clockRef: SimClock | undefined;
    const issuer = await startStub((_req, res) => {
      seen.push(clockRef!.now());
      res.writeHead(503).end();
    });
    cleanups.push(issuer.close);
    const { sim, clock } = await start(issuer.url);
    clockRef = clock;
    const paid = await pay(sim.url, { qr: qrOf("kiosk", "kiosk-secret") });
    const id = paid.json.invoiceId as number;
    // Seconds after payment: 0, 10, 20, then +1 min, +3:45, +7:30, +15, +30 min, +1 h … +16 h.
    const expected = [0, 10, 20, 80, 305, 755, 1655, 3455, 7055, 14255, 28655, 57455, 115055];
    for (let k = 0; k < expected.length; k++) {
      if (k > 0) {
        // One second short of the due time nothing happens; at the due time the attempt is made.
        clock.advance((expected[k]! - expected[k - 1]!) * 1000 - 1000);
        expect((await attemptsOf(sim.url, id)).length).toBe(k);
        clock.advance(1000);
      }
      await waitFor(`attempt ${k + 1}`, async () => (await attemptsOf(sim.url, id)).length === k + 1);
    }
    const attempts = await attemptsOf(sim.url, id);
    expect(attempts.map((a) => a.secondsAfterPayment)).toEqual(expected);
    expect(attempts.map((a) => a.at)).toEqual(expected.map((s) => START + s * 1000));
    expect(attempts.every((a) => a.status === 503)).toBe(true);
    expect(seen).toEqual(expected.map((s) => START + s * 1000));
    expect(expected.at(-1)).toBe(31 * 3600 + 57 * 60 + 35);
    clock.advance(100 * 3600 * 1000);
    const state = (await (await fetch(`${sim.url}/__sim/invoice/state`)).json()) as { invoices: { notification: { state: string; attempts: unknown[] } }[] };
    expect(state.invoices[0]!.notification).toMatchObject({ state: "exhausted" });
    expect(state.invoices[0]!.notification.attempts).toHaveLength(13);
  });

  it("stops at the first HTTP 200, posting {invoiceId} as application/json", async () => {
    const bodies: string[] = [];
    let calls = 0;
    const issuer = await startStub((req, res) => {
      calls += 1;
      bodies.push(String(req.headers["content-type"]));
      res.writeHead(calls < 3 ? 500 : 200).end();
    });
    cleanups.push(issuer.close);
    const { sim, clock } = await start(issuer.url);
    const id = (await pay(sim.url, { qr: qrOf("kiosk", "kiosk-secret") })).json.invoiceId as number;
    await waitFor("attempt 1", async () => (await attemptsOf(sim.url, id)).length === 1);
    clock.advance(10_000);
    await waitFor("attempt 2", async () => (await attemptsOf(sim.url, id)).length === 2);
    clock.advance(10_000);
    await waitFor("attempt 3", async () => (await attemptsOf(sim.url, id)).length === 3);
    clock.advance(48 * 3600 * 1000);
    expect((await attemptsOf(sim.url, id)).map((a) => a.status)).toEqual([500, 500, 200]);
    expect(bodies.every((b) => b === "application/json")).toBe(true);
  });

  it("compresses the schedule with scheduleScale for demos", async () => {
    const issuer = await startStub((_req, res) => res.writeHead(500).end());
    cleanups.push(issuer.close);
    const clock = new SimClock({ manual: true, start: START });
    running = await startInvoiceServiceSimulator({ clock, scheduleScale: 0.001, issuers: [{ name: "kiosk", secret: "kiosk-secret", notificationUrl: issuer.url }] });
    const id = (await pay(running.url, { qr: qrOf("kiosk", "kiosk-secret") })).json.invoiceId as number;
    for (let k = 1; k < 13; k++) {
      await waitFor(`attempt ${k}`, async () => (await attemptsOf(running!.url, id)).length === k);
      clock.advance(60_000); // more than any scaled delay (16 h × 0.001 = 57.6 s)
    }
    await waitFor("attempt 13", async () => (await attemptsOf(running!.url, id)).length === 13);
    const offsets = (await attemptsOf(running.url, id)).map((a) => a.secondsAfterPayment);
    expect(offsets.slice(0, 3)).toEqual([0, 60, 120]); // each step jumped a whole minute
  });
});

describe("invoice details (§7.2) and report (§7.3)", () => {
  async function paidInvoice() {
    const { sim } = await start(`http://127.0.0.1:${await freePort()}/n`);
    const paid = await pay(sim.url, { qr: qrOf("kiosk", "kiosk-secret", { description: 'Wash "gold", 3' }), payer: { msisdn: "46701234567" } });
    return { sim, id: paid.json.invoiceId as number, ers: paid.json.ersReference as string };
  }
  const get = (url: string, headers: Record<string, string>) => fetch(url, { headers });

  it("serves the §7.2 JSON with a 2-decimal amount and a Stockholm purchaseTime", async () => {
    const { sim, id, ers } = await paidInvoice();
    const res = await get(`${sim.url}/api/invoice/${id}?issuer=kiosk`, { "X-Auth-Token": issuerToken("kiosk", "kiosk-secret"), Accept: "application/json" });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"amount":349.00,');
    expect(JSON.parse(text)).toEqual({
      id,
      description: 'Wash "gold", 3',
      amount: 349,
      currency: "SEK",
      status: "PAID",
      reference: "INV-2024-03-77120",
      ersReference: ers,
      purchaseTime: "15.03.2024 14:22:09",
      payerMsisdn: "46701234567",
    });
  });

  it("refuses bad or missing tokens (401) and hides other issuers' and unknown invoices (404)", async () => {
    const { sim, id } = await paidInvoice();
    const kioskToken = issuerToken("kiosk", "kiosk-secret");
    const accept = { Accept: "application/json" };
    expect((await get(`${sim.url}/api/invoice/${id}?issuer=kiosk`, accept)).status).toBe(401);
    expect((await get(`${sim.url}/api/invoice/${id}?issuer=kiosk`, { ...accept, "X-Auth-Token": kioskToken.toUpperCase() })).status).toBe(401);
    expect((await get(`${sim.url}/api/invoice/${id}?issuer=kiosk`, { ...accept, "X-Auth-Token": issuerToken("kiosk", "other-secret") })).status).toBe(401);
    expect((await get(`${sim.url}/api/invoice/${id}`, { ...accept, "X-Auth-Token": kioskToken })).status).toBe(401);
    expect((await get(`${sim.url}/api/invoice/${id}?issuer=other`, { ...accept, "X-Auth-Token": kioskToken })).status).toBe(401);
    // "other" authenticates correctly but the invoice is kiosk's: same answer as an unknown id.
    const otherToken = { ...accept, "X-Auth-Token": issuerToken("other", "other-secret") };
    expect((await get(`${sim.url}/api/invoice/${id}?issuer=other`, otherToken)).status).toBe(404);
    expect((await get(`${sim.url}/api/invoice/99999?issuer=other`, otherToken)).status).toBe(404);
    expect((await get(`${sim.url}/api/invoice/abc?issuer=kiosk`, { ...accept, "X-Auth-Token": kioskToken })).status).toBe(404);
  });

  it("reports paid invoices as CSV in the §7.3 column order with an ISO offset", async () => {
    const { sim, id, ers } = await paidInvoice();
    const token = { "X-Auth-Token": issuerToken("kiosk", "kiosk-secret") };
    const res = await get(`${sim.url}/api/report?startDate=15032024&endDate=15032024&issuer=kiosk`, token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect((await res.text()).split("\r\n")).toEqual([
      "ID,DESCRIPTION,AMOUNT,CURRENCY,STATUS,REFERENCE,ERS_REFERENCE,PURCHASE_TIME,PAYER_MSISDN,PAYER_FIRST_NAME,PAYER_LAST_NAME,PAYER_STREET,PAYER_CITY,PAYER_ZIP,PAYER_COUNTRY",
      `${id},"Wash ""gold"", 3",349.00,SEK,PAID,INV-2024-03-77120,${ers},2024-03-15T14:22:09+01:00,46701234567,,,,,,`,
      "",
    ]);
    const empty = await (await get(`${sim.url}/api/report?startDate=16032024&endDate=31032024&issuer=kiosk`, token)).text();
    expect(empty.split("\r\n")).toHaveLength(2);
    expect((await get(`${sim.url}/api/report?startDate=15032024&endDate=15032024&issuer=other`, { "X-Auth-Token": issuerToken("other", "other-secret") }).then((r) => r.text())).split("\r\n")).toHaveLength(2);
    expect((await get(`${sim.url}/api/report?startDate=32032024&endDate=15032024&issuer=kiosk`, token)).status).toBe(400);
    expect((await get(`${sim.url}/api/report?startDate=15032024&issuer=kiosk`, token)).status).toBe(400);
    expect((await get(`${sim.url}/api/report?startDate=15032024&endDate=15032024&issuer=kiosk`, {})).status).toBe(401);
  });
});
