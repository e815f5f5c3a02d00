// Fuzzing the notification endpoint with a seeded PRNG: 2,400 requests with random methods,
// paths, headers, content types, bodies and sizes (plus raw-socket garbage). The endpoint must
// answer every well-formed HTTP request, store exactly the valid notifications and nothing else,
// and release nothing — even though the simulator holds a paid invoice of ANOTHER issuer with
// the very reference this agent issued (a cross-issuer leak would release it).
import net from "node:net";
import { afterEach, expect, it } from "vitest";
import { payloadOf, signInvoiceJwt } from "../../agent/invoice-service/jwt.ts";
import { invoiceQr } from "../../agent/invoice-service/qr.ts";
import { payQr, startPair, type Pair } from "./fixture.ts";
import { freePort, TOKEN } from "./helpers.ts";
import { prng } from "../support/prng.ts";

/** The notification path: the public URL's path and the token. */
const P = `/glase/notify/${TOKEN}`;

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const SEED = 0x6c617365;
const REQUESTS = 2_400;

interface FuzzRequest {
  readonly raw?: Buffer;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

function generator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const ascii = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + int(95))).join("");
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const idValue = (): unknown =>
    pick<() => unknown>([
      () => 1000 + int(20),
      () => int(3) - 1,
      () => Number.MAX_SAFE_INTEGER + int(3),
      () => rand() * 1e6,
      () => String(1000 + int(20)),
      () => null,
      () => true,
      () => [1001],
      () => ({ id: 1001 }),
      () => -int(1e9),
      () => 1e300,
    ])();
  const jsonBody = (): string =>
    pick<() => string>([
      () => JSON.stringify({ invoiceId: idValue() }),
      () => JSON.stringify({ invoiceId: 1000 + int(20), extra: ascii(int(50)) }),
      () => JSON.stringify({ invoiceid: 1001 }),
      () => JSON.stringify([{ invoiceId: 1001 }]),
      () => JSON.stringify(ascii(int(40))),
      () => String(int(1e6)),
      () => `{"invoiceId": ${1000 + int(20)}`,
      () => `{"invoiceId": ${1000 + int(20)}, "pad": "${"x".repeat(3500 + int(1500))}"}`,
      () => " ".repeat(int(5000)) + `{"invoiceId": ${1000 + int(20)}}`,
      () => "",
      () => ascii(int(300)),
    ])();
  const contentTypes = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", "application/x-www-form-urlencoded", "application/jsonp", "multipart/form-data; boundary=x", "", "application/json;;;", ascii(20)];
  return (): FuzzRequest => {
    if (rand() < 0.08) {
      const raw = pick<() => Buffer>([
        () => bytes(int(2000)),
        () => Buffer.from(`POST ${P} HTTP/1.1\r\nHost: x\r\nContent-Length: ${int(100000)}\r\n\r\n${ascii(int(100))}`),
        () => Buffer.from(`${ascii(int(30))} / HTTP/1.1\r\n\r\n`),
        () => Buffer.from(`POST ${P} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n${ascii(10)}\r\n`),
        () => Buffer.from(`POST ${P} HTTP/1.1\r\n${"X-A: b\r\n".repeat(int(3000))}\r\n`),
      ])();
      return { raw, method: "", path: "", headers: {} };
    }
    const method = rand() < 0.85 ? "POST" : pick(["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]);
    const path = rand() < 0.9 ? P : pick(["/", "/glase/notify", `${P}/`, `${P}?x=1`, `/GLASE/notify/${TOKEN}`, `${P}%00`, `/glase/notify/${TOKEN.slice(1)}`, `/${ascii(10).replace(/[^A-Za-z0-9]/g, "")}`]);
    const headers: Record<string, string> = {};
    const type = rand() < 0.7 ? pick(contentTypes.slice(0, 3)) : pick(contentTypes);
    if (type !== "" || rand() < 0.5) headers["content-type"] = type.replace(/[^\x20-\x7e]/g, "");
    for (let i = int(4); i > 0; i--) headers[`x-fuzz-${int(1000)}`] = ascii(int(200)).trim();
    if (method === "GET" || method === "OPTIONS") return { method, path, headers };
    const body = rand() < 0.8 ? Buffer.from(jsonBody()) : bytes(int(rand() < 0.9 ? 512 : 9000));
    return { method, path, headers, body };
  };
}

/** Test oracle for the status of a request that is not a valid notification (§7.1 plus HTTP's codes). */
function refusedStatus(r: FuzzRequest): number {
  if (![P, `${P}?x=1`].includes(r.path)) return 404;
  if (r.method !== "POST") return 405;
  if ((r.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase() !== "application/json") return 415;
  if (r.body && r.body.length > 4096) return 413;
  return 400;
}

/** Test oracle, written independently of the endpoint: is this a notification that must be stored? */
function validId(r: FuzzRequest): number | undefined {
  if (r.raw || r.method !== "POST" || ![P, `${P}?x=1`].includes(r.path)) return undefined;
  if ((r.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase() !== "application/json") return undefined;
  if (!r.body || r.body.length > 4096) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(r.body));
  } catch {
    return undefined;
  }
  const id = (json as { invoiceId?: unknown } | null)?.invoiceId;
  return typeof json === "object" && !Array.isArray(json) && typeof id === "number" && Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

function sendRaw(port: number, data: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (d) => (answer += d.toString("latin1")));
    socket.on("error", () => resolve(answer));
    socket.on("close", () => resolve(answer));
    socket.setTimeout(20_000, () => socket.destroy());
    socket.end(data);
  });
}

it("survives 2,400 random requests, stores only valid notifications and releases nothing", { timeout: 180_000 }, async () => {
  pair = await startPair();
  const issued = await pair.agent.issue({ amountMinor: 5_000, currency: "SEK", description: "Vacuum", reference: "VAC-1" });
  // Another issuer paid an invoice with the same reference and amount: id 1001, not ours.
  pair.service.sim.provisionIssuer({ name: "other", secret: "other-secret", notificationUrl: `http://127.0.0.1:${await freePort()}/n` });
  const foreign = invoiceQr(signInvoiceJwt("other", "other-secret", payloadOf({ description: "Vacuum", amountMinor: 5_000, currency: "SEK", reference: "VAC-1", payOnce: true })));
  expect((await payQr(pair.service, foreign)).json.invoiceId).toBe(1001);

  const port = Number(new URL(pair.agent.endpointUrl).port);
  const next = generator(prng(SEED));
  const expectedIds = new Set<number>();
  const statuses = new Map<number, number>();
  let rawCount = 0;
  for (let batch = 0; batch < REQUESTS / 20; batch++) {
    const requests = Array.from({ length: 20 }, next);
    await Promise.all(
      requests.map(async (r) => {
        if (r.raw) {
          rawCount += 1;
          await sendRaw(port, r.raw);
          return;
        }
        const id = validId(r);
        if (id !== undefined) expectedIds.add(id);
        const res = await fetch(`http://127.0.0.1:${port}${r.path}`, { method: r.method, headers: r.headers, body: r.body });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${r.method} ${r.path} ${JSON.stringify(r.headers["content-type"])} ${r.body?.subarray(0, 60).toString()}`).toBe(id !== undefined ? 200 : refusedStatus(r));
      }),
    );
  }
  await pair.agent.settled();

  // Enough of each kind for the run to mean something.
  expect(rawCount).toBeGreaterThan(100);
  expect((statuses.get(400) ?? 0) + (statuses.get(415) ?? 0) + (statuses.get(413) ?? 0)).toBeGreaterThan(1000);
  expect(expectedIds.size).toBeGreaterThan(5);
  expect(expectedIds.has(1001)).toBe(true);

  // Still serving after the storm.
  const after = await fetch(pair.agent.endpointUrl, { method: "POST", headers: { "content-type": "application/json" }, body: '{"invoiceId": 1001}' });
  expect(after.status).toBe(200);

  const stored = await pair.agent.listNotifications();
  expect(new Set(stored.map((n) => n.invoiceId))).toEqual(expectedIds);
  // Ids the Invoice Service does not know are counted, not alarmed one by one.
  expect(stored.every((n) => n.state === "unknown" && n.alarm === "unknown-invoice")).toBe(true);
  expect(pair.released).toEqual([]);
  expect(await pair.agent.listInvoices()).toEqual([expect.objectContaining({ id: issued.id, state: "issued" })]);
});
