// Review 12 #9 (LOW): security profile 1 took any non-empty password file ("7391" was fine) and a
// wrong password cost an attacker one HTTP round trip: a 4-digit key was brute-forced in 6 s.
// Now: a key shorter than 16 bytes is refused when the driver opens (OCPP 1.6 security
// whitepaper: AuthorizationKey 16-20 bytes), and after 5 wrong passwords in a row a source is
// refused (unchecked) for a doubling time — while the real charger, from its own address,
// still gets in. The refusal is the same 401 as a wrong password (review 12m #2: a 429 after five
// guesses told a stranger the id exists and has a password). (The reviewer's original 10,000-guess loop took ~20 s; this checks the same
// properties in well under a second.)
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import WebSocket from "ws";
import { openRig, testConfig } from "../helpers.ts";

function secretFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "rev12-"));
  const passwordFile = join(dir, "cp1.secret");
  writeFileSync(passwordFile, content);
  chmodSync(passwordFile, 0o600);
  return passwordFile;
}

const profile1 = (passwordFile: string) => testConfig({ chargers: [{ id: "CP-1", securityProfile: 1, passwordFile, connectors: [{ connectorId: 1, point: 1 }] }] });

function handshake(url: string, password: string, localAddress = "127.0.0.1"): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ["ocpp1.6"], { headers: { authorization: `Basic ${Buffer.from(`CP-1:${password}`).toString("base64")}` }, localAddress });
    ws.on("open", () => (ws.close(), resolve(101)));
    ws.on("unexpected-response", (_q, res) => (res.resume(), resolve(res.statusCode ?? 0)));
    ws.on("error", () => resolve(-1));
  });
}

it("a 4-digit AuthorizationKey is refused when the driver opens, naming the fix", async () => {
  await expect(openRig(profile1(secretFile("7391\n")))).rejects.toMatchObject({ code: "CONFIG_INVALID", message: expect.stringContaining("at least 16") });
});

it("wrong guesses from one source are throttled; the real charger from its own address still gets in", async () => {
  const key = "3f9a0c2e7b41d8a65e10";
  const rig = await openRig(profile1(secretFile(`${key}\n`)));
  const url = `${rig.driver.url}/CP-1`;
  const codes: number[] = [];
  for (let i = 0; i < 7; i++) codes.push(await handshake(url, `guess-${i}-0123456789`));
  // main: 401 forever, one round trip per guess
  expect(codes).toEqual([401, 401, 401, 401, 401, 401, 401]);
  expect(await handshake(url, key), "even the right password is not checked while throttled").toBe(401);
  expect(await handshake(url, key, "127.0.0.2"), "another source (the real charger)").toBe(101);
});
