// The agent as an issuer: secret file rules, issuing QR codes, the notification endpoint's
// refusals, settlement checks (mismatch, unknown ids), details retries and crash recovery.
import { execFile } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { openInvoiceIssuer } from "../../agent/invoice-service/issuer.ts";
import { invoiceListing, renderInvoiceListing } from "../../agent/invoice-service/listing.ts";
import { payloadOf, signInvoiceJwt, verifyInvoiceJwt } from "../../agent/invoice-service/jwt.ts";
import { invoiceQr, jwtOfQr } from "../../agent/invoice-service/qr.ts";
import { issuerSettingsFromConfig, resolveListen } from "../../agent/invoice-service/settings.ts";
import { InvoiceStore } from "../../agent/invoice-service/store.ts";
import { SimClock } from "../../simulator/clock.ts";
import { ISSUER, SECRET, payQr, startPair, type Pair } from "./fixture.ts";
import { RecordingPrinter, startStub, tempDir, TOKEN, waitFor, writeSecret, writeToken } from "./helpers.ts";

let pair: Pair | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await pair?.close();
  pair = undefined;
  for (const c of cleanups.splice(0)) await c();
});

const wash = { amountMinor: 12_500, currency: "SEK", description: "Car wash, program 3", reference: "WASH-0001" };
const post = (url: string, body: string | Buffer, contentType = "application/json") =>
  fetch(url, { method: "POST", headers: { "content-type": contentType }, body });

describe("issuer settings", () => {
  it("refuses a secret file group or others can read, naming the fix", async () => {
    pair = await startPair();
    await chmod(pair.settings.secretFile, 0o640);
    await expect(openInvoiceIssuer(pair.settings, { journalPath: pair.journalPath, release: async () => {} })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining("chmod 600"),
    });
  });

  it("refuses a listen address that is not host:port", async () => {
    pair = await startPair();
    await expect(openInvoiceIssuer({ ...pair.settings, listen: "nowhere" }, { journalPath: pair.journalPath, release: async () => {} })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
  });
});

describe("issuing invoice QR codes", () => {
  it("signs, journals and prints the QR; the Invoice Service accepts it", async () => {
    const printer = new RecordingPrinter();
    pair = await startPair({ printer });
    const invoice = await pair.agent.issue(wash);
    expect(invoice).toMatchObject({ ...wash, payOnce: true, state: "issued", qrPrint: "printed" });
    const verdict = verifyInvoiceJwt(jwtOfQr(invoice.qr)!, (n) => (n === ISSUER ? SECRET : undefined));
    expect(verdict).toMatchObject({ ok: true, claims: { ...wash, payOnce: true } });
    expect(printer.printed).toHaveLength(1);
    expect(printer.printed[0]).toMatchObject({ qr: invoice.qr, amountMinor: 12_500, ersReference: "WASH-0001" });
    expect(await pair.agent.listInvoices()).toEqual([expect.objectContaining({ reference: "WASH-0001", qrPrint: "printed" })]);
  });

  it("refuses invalid or duplicate invoices without storing them", async () => {
    pair = await startPair();
    await expect(pair.agent.issue({ ...wash, description: "x".repeat(51) })).rejects.toMatchObject({ code: "INPUT_INVALID", context: { field: "d" } });
    await expect(pair.agent.issue({ ...wash, amountMinor: 0 })).rejects.toMatchObject({ code: "INPUT_INVALID", context: { field: "a" } });
    await pair.agent.issue(wash);
    await expect(pair.agent.issue({ ...wash, amountMinor: 100 })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await pair.agent.listInvoices()).toHaveLength(1);
    expect((await pair.agent.listInvoices())[0]!.qrPrint).toBe("no-printer");
  });
});

describe("notification endpoint", () => {
  it("answers 400 (413, 415) with a reason to malformed notifications and stores nothing", async () => {
    pair = await startPair();
    const url = pair.agent.endpointUrl;
    for (const type of ["text/plain", "application/jsonx"]) {
      const res = await post(url, '{"invoiceId": 5}', type);
      expect(res.status, type).toBe(415);
      expect(((await res.json()) as { error: string }).error).toMatch(/Content-Type/);
    }
    const big = await post(url, `{"invoiceId": 5, "pad": "${"x".repeat(5000)}"}`, "application/json");
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/limit/);
    const cases: [string | Buffer, string, RegExp][] = [
      ["not json", "application/json", /not JSON/],
      ['{"invoiceId": "5"}', "application/json", /positive integer/],
      ['{"invoiceId": 0}', "application/json", /positive integer/],
      ['{"invoiceId": -3}', "application/json", /positive integer/],
      ['{"invoiceId": 1.5}', "application/json", /positive integer/],
      ['{"invoiceId": 1e300}', "application/json", /positive integer/],
      ["[5]", "application/json", /JSON object/],
      ["null", "application/json", /JSON object/],
      [Buffer.from([0x7b, 0xff, 0x7d]), "application/json", /UTF-8/],
    ];
    for (const [body, type, reason] of cases) {
      const res = await post(url, body, type);
      expect(res.status, `${type} ${String(body).slice(0, 30)}`).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(reason);
    }
    expect((await fetch(url)).status).toBe(405);
    // Any path but the one with the token: 404 before the body is read, and the path is not told.
    for (const other of [url.replace("/glase/notify", "/other"), url.replace(/\/[^/]+$/, ""), url.replace(/.$/, "0"), `${url}/x`]) {
      const res = await post(other, '{"invoiceId": 5}');
      expect(res.status, other).toBe(404);
      expect(await res.text()).not.toContain("glase/notify");
    }
    expect(await pair.agent.listNotifications()).toEqual([]);
  });

  it("journals before answering 200, and a repeated notification is processed once", async () => {
    const printer = new RecordingPrinter();
    pair = await startPair({ printer });
    const invoice = await pair.agent.issue(wash);
    const paid = await payQr(pair.service, invoice.qr);
    const id = paid.json.invoiceId as number;
    await waitFor("release", () => pair!.released.length === 1);
    for (let i = 0; i < 3; i++) {
      const res = await post(pair.agent.endpointUrl, JSON.stringify({ invoiceId: id }), "application/json; charset=utf-8");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ invoiceId: id, status: "already-received" });
    }
    await pair.agent.settled();
    expect(pair.released).toHaveLength(1);
    expect(pair.alarms).toEqual([]);
    const [record] = await pair.agent.listInvoices();
    expect(record).toMatchObject({ state: "released", glaseInvoiceId: id, ersReference: paid.json.ersReference, purchaseTime: "15.03.2024 14:22:09", receiptPrint: "printed" });
    expect(printer.printed.at(-1)).toMatchObject({ ersReference: paid.json.ersReference, amountMinor: 12_500 });
    expect(await pair.agent.listNotifications()).toEqual([expect.objectContaining({ invoiceId: id, state: "settled", fetchAttempts: 1 })]);
  });
});

describe("settlement checks", () => {
  it("raises a mismatch alarm instead of releasing when the paid amount differs", async () => {
    pair = await startPair();
    await pair.agent.issue({ ...wash, amountMinor: 20_000 });
    // A QR for the same reference at another amount, signed with the issuer's secret.
    const forged = invoiceQr(signInvoiceJwt(ISSUER, SECRET, payloadOf({ ...wash, amountMinor: 1_000, payOnce: true })));
    expect((await payQr(pair.service, forged)).status).toBe(200);
    await waitFor("alarm", () => pair!.alarms.length === 1);
    expect(pair.alarms[0]).toMatchObject({ kind: "mismatch", reference: "WASH-0001" });
    expect(pair.released).toEqual([]);
    expect((await pair.agent.listInvoices())[0]!.state).toBe("issued");
    expect((await pair.agent.listNotifications())[0]).toMatchObject({ state: "alarm", alarm: expect.stringMatching(/^mismatch/) });
  });

  it("raises alarms for a currency mismatch, an unknown reference and an id the service does not know", async () => {
    pair = await startPair();
    await pair.agent.issue(wash);
    await payQr(pair.service, invoiceQr(signInvoiceJwt(ISSUER, SECRET, payloadOf({ ...wash, currency: "EUR", payOnce: true }))));
    await payQr(pair.service, invoiceQr(signInvoiceJwt(ISSUER, SECRET, payloadOf({ ...wash, reference: "NEVER-ISSUED", payOnce: true }))));
    expect((await post(pair.agent.endpointUrl, '{"invoiceId": 424242}')).status).toBe(200);
    await waitFor("three alarms", () => pair!.alarms.length === 3);
    expect(pair.alarms.map((a) => a.kind).sort()).toEqual(["mismatch", "unknown-invoice", "unknown-reference"]);
    expect(pair.released).toEqual([]);
  });

  it("retries a failing details fetch with backoff and releases once it succeeds", async () => {
    let failures = 3;
    const agentClock = new SimClock({ manual: true });
    const proxy = await startStub((req, res) => {
      if (failures > 0) {
        failures -= 1;
        res.writeHead(503).end();
        return;
      }
      fetch(`${pair!.service.url}${req.url}`, { headers: { "x-auth-token": String(req.headers["x-auth-token"]), accept: "application/json" } })
        .then(async (r) => res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text()))
        .catch(() => res.writeHead(502).end());
    });
    cleanups.push(proxy.close);
    pair = await startPair({ agentClock, detailsBaseUrl: `http://127.0.0.1:${proxy.port}` });
    const invoice = await pair.agent.issue(wash);
    await payQr(pair.service, invoice.qr);
    for (const [attempt, delay] of [[1, 1_000], [2, 2_000], [3, 4_000]] as const) {
      await waitFor(`fetch failure ${attempt}`, async () => (await pair!.agent.listNotifications())[0]?.fetchAttempts === attempt);
      await pair.agent.settled();
      agentClock.advance(delay - 1);
      await pair.agent.settled();
      expect(pair.released).toEqual([]);
      agentClock.advance(1);
    }
    await waitFor("release", () => pair!.released.length === 1);
    expect((await pair.agent.listNotifications())[0]).toMatchObject({ state: "settled", fetchAttempts: 4 });
  });

  it("does not repeat a release interrupted by a crash: it marks it and raises an alarm", async () => {
    pair = await startPair();
    await pair.agent.issue(wash);
    await pair.agent.close();
    const store = await InvoiceStore.open(pair.journalPath);
    const invoice = (await store.invoiceByReference("WASH-0001"))!;
    await store.recordNotification(1001, 0);
    expect(await store.beginRelease(invoice.id, { glaseInvoiceId: 1001, ersReference: "1".repeat(25), purchaseTime: "15.03.2024 14:22:09" })).toBe(true);
    await store.close();
    await pair.openAgent();
    await pair.agent.settled();
    expect(pair.alarms).toEqual([expect.objectContaining({ kind: "release-interrupted", reference: "WASH-0001", glaseInvoiceId: 1001 })]);
    expect((await pair.agent.listInvoices())[0]!.state).toBe("release-interrupted");
    expect(pair.released).toEqual([]);
  });

  it("records a release that throws as release-failed, once", async () => {
    pair = await startPair();
    await pair.agent.close();
    let calls = 0;
    await pair.openAgent({
      release: async () => {
        calls += 1;
        throw new Error("kiosk did not answer");
      },
    });
    const invoice = await pair.agent.issue(wash);
    const id = (await payQr(pair.service, invoice.qr)).json.invoiceId as number;
    await waitFor("alarm", () => pair!.alarms.length === 1);
    expect(pair.alarms[0]).toMatchObject({ kind: "release-failed", detail: "kiosk did not answer" });
    expect((await post(pair.agent.endpointUrl, JSON.stringify({ invoiceId: id }))).status).toBe(200);
    await pair.agent.settled();
    expect(calls).toBe(1);
    expect((await pair.agent.listInvoices())[0]!.state).toBe("release-failed");
  });
});

describe("listing for ctl invoices", () => {
  it("shows issued, released and alarmed invoices", async () => {
    pair = await startPair();
    const paidOne = await pair.agent.issue(wash);
    await pair.agent.issue({ ...wash, reference: "WASH-0002", amountMinor: 5 });
    await payQr(pair.service, paidOne.qr);
    await waitFor("release", () => pair!.released.length === 1);
    expect((await post(pair.agent.endpointUrl, '{"invoiceId": 777}')).status).toBe(200);
    await waitFor("alarm", () => pair!.alarms.length === 1);
    const listing = invoiceListing(await pair.agent.listInvoices(), await pair.agent.openNotifications(), await pair.agent.notificationCounts());
    expect(listing.invoices.map((i) => [i.reference, i.amount, i.state])).toEqual([
      ["WASH-0001", "125.00", "released"],
      ["WASH-0002", "0.05", "issued"],
    ]);
    const text = renderInvoiceListing(listing);
    expect(text).toMatch(/WASH-0001 +125\.00 SEK released +1001 \d{25}/);
    expect(text).toMatch(/ALARM 1 notification\(s\) for ids the Invoice Service does not know \(latest 777 at /);
    expect(JSON.parse(JSON.stringify(listing))).toEqual(listing);
  });
});

describe("settings from the daemon config", () => {
  it("defaults the details host to the Glase endpoint's origin and resolves the listen path", async () => {
    const section = { issuerName: "k", secretFile: "/x", notificationTokenFile: "/t", listen: "[::1]:8731", publicUrl: "https://kiosk.example/glase/notify" };
    const s = issuerSettingsFromConfig(section, "http://127.0.0.1:8913/soap/merchant/cashregister-2");
    expect(s.detailsBaseUrl).toBe("http://127.0.0.1:8913");
    expect(issuerSettingsFromConfig({ ...section, detailsBaseUrl: "https://invoice.glase.example" }, "x").detailsBaseUrl).toBe("https://invoice.glase.example");
    expect(() => issuerSettingsFromConfig(section, "embedded-simulator")).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    expect(resolveListen(s)).toEqual({ host: "::1", port: 8731, path: "/glase/notify" });
    expect(resolveListen({ ...s, listen: undefined })).toEqual({ host: "127.0.0.1", port: 8731, path: "/glase/notify" });
    expect(() => resolveListen({ ...s, listen: "127.0.0.1:70000" })).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
  });

  it("`glase-agent config notification-url` prints the URL to register at Glase: publicUrl with the token", async () => {
    const dir = await tempDir();
    try {
      const doc = parse(await readFile("config/simulated-station.yaml", "utf8"));
      doc.invoiceService = { issuerName: "k", secretFile: await writeSecret(dir.path, "s3cret-k"), notificationTokenFile: await writeToken(dir.path), publicUrl: "https://kiosk.example/glase/notify/" };
      const file = join(dir.path, "c.yaml");
      await writeFile(file, stringify(doc));
      const { stdout } = await promisify(execFile)(process.execPath, ["bin/glase-agent.js", "config", "notification-url", file]);
      expect(stdout).toBe(`https://kiosk.example/glase/notify/${TOKEN}\n`);
    } finally {
      await dir.remove();
    }
  }, 30_000);
});
