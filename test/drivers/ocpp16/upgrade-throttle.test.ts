// Who may try to connect, and how often (review 12m #2): an unknown charge point id is refused
// exactly like a protected id without its password (401, the same body), failed upgrades count
// per source address, and a source past a few is refused — the same 401, whatever id it tries,
// profile-0 ids included — for a doubling time, logged with its address. The real chargers are
// not held: from another address, nor an id that already connected from the locked one.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import WebSocket from "ws";
import { configureLogging } from "../../../base/log.ts";
import { openRig, testConfig } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "ocpp-throttle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines: string[] = [];
configureLogging({ sink: { write: (l) => void lines.push(l) } });
afterEach(() => void (lines.length = 0));
afterAll(() => configureLogging({ sink: { write: (l) => process.stdout.write(l) } }));

/** One upgrade: 101 (open, closed again at once) or the refusal's status and body. */
function upgrade(url: string, identity: string, opts: { password?: string; from?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const headers = opts.password !== undefined ? { authorization: `Basic ${Buffer.from(`${identity}:${opts.password}`).toString("base64")}` } : undefined;
    const ws = new WebSocket(`${url}/${identity}`, ["ocpp1.6"], { ...(headers ? { headers } : {}), localAddress: opts.from ?? "127.0.0.1" });
    ws.on("open", () => (ws.close(), resolve({ status: 101, body: "" })));
    ws.on("unexpected-response", (_q, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += String(d)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("error", () => resolve({ status: -1, body: "" }));
  });
}

function station() {
  const passwordFile = join(dir, "cp2.secret");
  writeFileSync(passwordFile, "s3cret-key-0123456789");
  chmodSync(passwordFile, 0o600);
  return testConfig({
    chargers: [
      { id: "CP-1", connectors: [{ connectorId: 1, point: 1 }] },
      { id: "CP-2", securityProfile: 1, passwordFile, connectors: [{ connectorId: 1, point: 2 }] },
      { id: "CP-3", connectors: [{ connectorId: 1, point: 3 }] },
    ],
  });
}

it("an unknown id reads exactly like a protected id without its password, or with a wrong one", async () => {
  const rig = await openRig(station());
  const url = rig.driver.url;
  const unknown = await upgrade(url, "CP-9");
  expect(unknown.status).toBe(401);
  expect(await upgrade(url, "CP-2")).toEqual(unknown);
  expect(await upgrade(url, "CP-2", { password: "wrong-0123456789" })).toEqual(unknown);
  expect(await upgrade(url, "CP-9", { password: "wrong-0123456789" })).toEqual(unknown);
  expect((await upgrade(url, "CP-2", { password: "s3cret-key-0123456789" })).status).toBe(101);
  expect(lines.filter((l) => l.includes("charger_refused")).map((l) => /why=("[^"]*"|\S+)/.exec(l)?.[1])).toEqual(['"unknown charge point id"', '"wrong or missing password"', '"wrong or missing password"', '"unknown charge point id"']);
});

it("a source guessing ids is locked out after five, for every id it tries, logged with its address; the real chargers still get in", async () => {
  const rig = await openRig(station());
  const url = rig.driver.url;
  expect((await upgrade(url, "CP-1", { from: "127.0.0.2" })).status, "CP-1 connects from its address first").toBe(101);
  const guesses: number[] = [];
  for (let i = 10; i < 17; i++) guesses.push((await upgrade(url, `CP-${i}`, { from: "127.0.0.2" })).status);
  expect(guesses).toEqual([401, 401, 401, 401, 401, 401, 401]);
  expect((await upgrade(url, "CP-3", { from: "127.0.0.2" })).status, "a profile-0 id is not told apart while locked").toBe(401);
  expect((await upgrade(url, "CP-2", { from: "127.0.0.2", password: "s3cret-key-0123456789" })).status, "nor a right password checked").toBe(401);
  expect((await upgrade(url, "CP-1", { from: "127.0.0.2" })).status, "an id that connected from there before").toBe(101);
  expect((await upgrade(url, "CP-3", { from: "127.0.0.3" })).status, "another address").toBe(101);
  const throttled = lines.filter((l) => l.includes("ocpp_source_throttled"));
  expect(throttled.length).toBe(1); // the lock's first line; refusals while locked are counted, not logged
  expect(throttled[0]).toMatch(/ERROR .*ocpp_source_throttled from=127\.0\.0\.2 failures=5/);
  expect(lines.filter((l) => l.includes("charger_refused")).length, "five refusals logged, the locked ones not").toBe(5);
});
