// Who may connect: configured charge point ids only, at the configured path, with the ocpp1.6
// subprotocol; HTTP Basic auth per charger (security profile 1) and over TLS (profile 2); the
// password and key files must be 0600. A refused charger changes nothing for the others.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import { systemScheduler } from "../../../drivers/dispenser/line-driver.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { openOcpp16Controller } from "../../../drivers/ocpp16/index.ts";
import { createRpcClient } from "../../../drivers/ocpp16/rpc.ts";
import { isCall, openRig, synced, testConfig } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "ocpp-sec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretFile(name: string, content: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

/** Tries a WebSocket upgrade; resolves with the HTTP status of a refusal, or "open". */
async function tryConnect(url: string, identity: string, opts: { password?: string; protocols?: string[]; wsOpts?: Record<string, unknown> } = {}): Promise<number | "open"> {
  const client = createRpcClient({ endpoint: url, identity, protocols: opts.protocols ?? ["ocpp1.6"], strictMode: false, reconnect: false, callTimeoutMs: 2000, ...(opts.password ? { password: opts.password } : {}), ...(opts.wsOpts ? { wsOpts: opts.wsOpts } : {}) });
  try {
    await client.connect();
    await client.close({ force: true });
    return "open";
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

it("refuses unknown charge point ids, other paths and clients without ocpp1.6; the known charger carries on", async () => {
  const rig = await openRig();
  const cp = await rig.chargePoint();
  await synced(rig);
  expect(await tryConnect(rig.driver.url, "CP-9"), "an unknown id reads like a wrong password (review 12m #2)").toBe(401);
  expect(await tryConnect(rig.driver.url.replace("/ocpp", "/other"), "CP-1")).toBe(404);
  expect(await tryConnect(rig.driver.url, "CP-1", { protocols: ["ocpp2.0.1"] })).toBe(400);
  expect(cp.connected).toBe(true);
  cp.plug(1);
  await rig.events.waitFor(isCall);
});

it("security profile 1: Basic auth with the charger's password from a 0600 file", async () => {
  const passwordFile = secretFile("cp1.secret", "s3cret-key-0123456789\n");
  const rig = await openRig(testConfig({ chargers: [{ id: "CP-1", securityProfile: 1, passwordFile, connectors: [{ connectorId: 1, point: 1 }] }] }));
  expect(await tryConnect(rig.driver.url, "CP-1")).toBe(401);
  expect(await tryConnect(rig.driver.url, "CP-1", { password: "wrong" })).toBe(401);
  const cp = await rig.chargePoint({ password: "s3cret-key-0123456789" });
  await synced(rig);
  expect(cp.connected).toBe(true);
});

it("refuses to start with a password file others can read, naming the fix", async () => {
  const passwordFile = secretFile("open.secret", "pw", 0o644);
  const config = testConfig({ chargers: [{ id: "CP-1", securityProfile: 1, passwordFile, connectors: [{ connectorId: 1, point: 1 }] }] });
  await expect(openOcpp16Controller(config, { logger: createLogger("test"), scheduler: systemScheduler, store: new MemoryDriverStore() })).rejects.toMatchObject({
    code: "CONFIG_INVALID",
    message: expect.stringContaining(`chmod 600 ${passwordFile}`),
  });
});

it("rejects a config with unknown keys, a profile without password, or a point mapped twice", async () => {
  const deps = { logger: createLogger("test"), scheduler: systemScheduler, store: new MemoryDriverStore() };
  const problemsOf = async (config: unknown) => {
    const err = await openOcpp16Controller(config as never, deps).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "CONFIG_INVALID" });
    return (err as { context: { problems: string[] } }).context.problems.join("\n");
  };
  const shape = await problemsOf({ ...testConfig({ chargers: [{ id: "CP-1", securityProfile: 1, connectors: [{ connectorId: 1, point: 1 }] }] }), colour: "blue" });
  expect(shape).toContain("colour");
  expect(shape).toContain("chargers.0.passwordFile: required for security profile 1");
  const mapping = await problemsOf(
    testConfig({
      chargers: [
        { id: "CP-1", connectors: [{ connectorId: 1, point: 1 }] },
        { id: "CP-2", connectors: [{ connectorId: 1, point: 1, gradeId: "DC50" }] },
      ],
    }),
  );
  expect(mapping).toContain("chargers.1.connectors.0.point: point 1 is already CP-1 connector 1");
  expect(mapping).toContain("unknown grade 'DC50'");
});

it("security profile 2: Basic auth over TLS (wss)", async () => {
  const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
  const keyFile = join(dir, "key.pem");
  copyFileSync(join(fixtures, "test-key.pem"), keyFile);
  chmodSync(keyFile, 0o600);
  const certFile = join(fixtures, "test-cert.pem");
  const passwordFile = secretFile("cp2.secret", "tls-password-0123456789");
  const rig = await openRig(
    testConfig({
      listen: { host: "127.0.0.1", port: 0, path: "/ocpp", tls: { certFile, keyFile } },
      chargers: [{ id: "CP-1", securityProfile: 2, passwordFile, connectors: [{ connectorId: 1, point: 1 }] }],
    }),
  );
  expect(rig.driver.url).toMatch(/^wss:\/\//);
  const ca = readFileSync(certFile, "utf8");
  expect(await tryConnect(rig.driver.url, "CP-1", { wsOpts: { ca } })).toBe(401);
  const cp = await rig.chargePoint({ password: "tls-password-0123456789", wsOpts: { ca, minVersion: "TLSv1.2" } });
  await synced(rig);
  cp.plug(1);
  await rig.events.waitFor(isCall);
});
