// Review 12 #9 (LOW): security profile 1 takes any non-empty password file — "1234" is fine by
// the config — and a wrong password costs an attacker one HTTP round trip: no delay, no limit per
// source, no alarm (a log line each). The OCPP 1.6 security whitepaper asks for an
// AuthorizationKey of at least 16 characters (Basic-auth password 16–40). Expected: refuse keys
// shorter than 16 bytes in config check; back off (or refuse for a while) a source after a few
// 401s, and raise an alarm once.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import WebSocket from "ws";
import { openRig, testConfig } from "../helpers.ts";

function handshake(url: string, password: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ["ocpp1.6"], { headers: { authorization: `Basic ${Buffer.from(`CP-1:${password}`).toString("base64")}` } });
    ws.on("open", () => (ws.close(), resolve(101)));
    ws.on("unexpected-response", (_q, res) => (res.resume(), resolve(res.statusCode ?? 0)));
    ws.on("error", () => resolve(-1));
  });
}

it("a 4-digit AuthorizationKey is refused, and 1,000 wrong guesses from one source are throttled", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rev12-"));
  const passwordFile = join(dir, "cp1.secret");
  writeFileSync(passwordFile, "7391\n");
  chmodSync(passwordFile, 0o600);
  let opened = true;
  const rig = await openRig(testConfig({ chargers: [{ id: "CP-1", securityProfile: 1, passwordFile, connectors: [{ connectorId: 1, point: 1 }] }] })).catch(() => ((opened = false), undefined));
  expect.soft(opened, "a 4-character key should be refused by config").toBe(false);
  if (!rig) return;
  const url = `${rig.driver.url}/CP-1`;
  const t0 = Date.now();
  let found: string | undefined;
  for (let i = 0; i < 10_000 && !found; i += 50) {
    const batch = Array.from({ length: 50 }, (_, k) => String(i + k).padStart(4, "0"));
    const codes = await Promise.all(batch.map((p) => handshake(url, p)));
    found = batch.find((_, k) => codes[k] === 101);
  }
  // main: the key is found by brute force in a few seconds over loopback
  expect({ found, seconds: Math.round((Date.now() - t0) / 1000) }).toEqual({ found: undefined, seconds: expect.any(Number) });
});
