// Reaching the controller as it is deployed: Digest or Basic authentication with the controller's
// users (a user without pump-control permission is refused per packet, typed), HTTPS with a
// trusted CA file or a pinned self-signed certificate — and refusals that name the problem.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemScheduler } from "../../../drivers/dispenser/line-driver.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { openPts2Controller, parsePts2Config } from "../../../drivers/pts2/index.ts";
import { createLogger } from "../../../agent/log.ts";
import { GRADES, closeAfterEach, openDriver, startTwin } from "./helpers.ts";

const cleanup = closeAfterEach();

describe("authentication", () => {
  it.each(["digest", "basic"] as const)("%s: polls with the controller user's credentials", async (scheme) => {
    const twin = await startTwin({ auth: { scheme, user: "agent", password: "pw" } });
    const { driver, events } = await openDriver(twin, { auth: { scheme, user: "agent", password: "pw" } });
    cleanup(() => driver.close(), () => twin.close());
    twin.liftNozzle(1, 1);
    await events.waitFor((e) => e.type === "call");
    // Digest answers one challenge, then reuses the nonce with a growing count.
    expect(twin.counters.unauthorized).toBe(scheme === "digest" ? 1 : 0);
  });

  it("wrong password: never up, and the reason is an authentication refusal (nothing ran)", async () => {
    const twin = await startTwin({ auth: { scheme: "digest", user: "agent", password: "pw" } });
    const { driver } = await openDriver(twin, { auth: { scheme: "digest", user: "agent", password: "nope" }, openTimeoutMs: 200 });
    cleanup(() => driver.close(), () => twin.close());
    await expect(driver.hello()).rejects.toMatchObject({ name: "PtsTransportError", kind: "auth", indefinite: false, code: "DEVICE_DISCONNECTED" });
    expect(driver.stats().linkUp).toBe(false);
  });

  it("a user without pump-control permission can poll but PumpAuthorize is refused, typed (code 6)", async () => {
    const twin = await startTwin({ auth: { scheme: "basic", user: "viewer", password: "pw", control: false } });
    const { driver, store } = await openDriver(twin, { auth: { scheme: "basic", user: "viewer", password: "pw" } });
    cleanup(() => driver.close(), () => twin.close());
    await expect(driver.authorize({ point: 1, limitMinor: 1000, currency: "SEK", transactionId: "P1-noperm", gradeId: "95" })).rejects.toMatchObject({ ptsCode: 6 });
    expect(await store.get("tx/P1-noperm")).toMatchObject({ phase: "refused" });
    expect(await driver.saleRecord("P1-noperm")).toBeUndefined();
  });

  it("config: a password file without the shell's secret reader, and a bad config, are CONFIG_INVALID naming the path", async () => {
    expect(() => parsePts2Config({ url: "ftp://x", auth: { scheme: "basic", user: "u" }, currency: "sek", points: [], grades: GRADES })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", context: { problems: expect.arrayContaining([expect.stringMatching(/^url:/), expect.stringMatching(/^currency:/), expect.stringMatching(/^points:/), expect.stringMatching(/^auth:/)]) } }),
    );
    await expect(
      openPts2Controller({ url: "http://127.0.0.1:1/", auth: { scheme: "digest", user: "u", passwordFile: "/etc/x" }, currency: "SEK", points: [{ point: 1, pump: 1 }], grades: GRADES }, { logger: createLogger("t"), scheduler: systemScheduler, store: new MemoryDriverStore() }),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });
});

describe("TLS", () => {
  let dir: string;
  let key: string;
  let cert: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pts2-tls-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    key = readFileSync(join(dir, "key.pem"), "utf8");
    cert = readFileSync(join(dir, "cert.pem"), "utf8");
    writeFileSync(join(dir, "other.pem"), "");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("trusts the controller through a CA file", async () => {
    const twin = await startTwin({ tls: { key, cert } });
    const { driver } = await openDriver(twin, { tls: { caFile: join(dir, "cert.pem") } });
    cleanup(() => driver.close(), () => twin.close());
    expect((await driver.hello()).protocolVersion).toBe("jsonPTS");
  });

  it("trusts a self-signed controller through its pinned SHA-256 fingerprint, and refuses another certificate", async () => {
    const twin = await startTwin({ tls: { key, cert } });
    const pin = new X509Certificate(cert).fingerprint256;
    const good = await openDriver(twin, { tls: { pinSha256: pin } });
    cleanup(() => good.driver.close(), () => twin.close());
    expect((await good.driver.hello()).protocolVersion).toBe("jsonPTS");
    const bad = await openDriver(twin, { tls: { pinSha256: "00".repeat(32) }, openTimeoutMs: 200 });
    cleanup(() => bad.driver.close());
    await expect(bad.driver.hello()).rejects.toMatchObject({ kind: "refused", indefinite: false });
  });

  it("refuses an untrusted certificate by default (no request leaves)", async () => {
    const twin = await startTwin({ tls: { key, cert } });
    const { driver } = await openDriver(twin, { tls: {}, openTimeoutMs: 200 });
    cleanup(() => driver.close(), () => twin.close());
    await expect(driver.hello()).rejects.toMatchObject({ kind: "refused", indefinite: false });
    expect(twin.counters.requests).toBe(0);
  });
});
