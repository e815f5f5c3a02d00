// Review 12 (11th) — LOW: a stranger on the chargers' network learns which charge point ids the
// station has and which of them need no password, without any credentials and without being
// throttled: central-system.ts:157 answers an unknown id 404 before any password check (and 404s
// are never counted: the throttle at :161-173 is only for configured ids), :167-173 answers a
// configured profile-1/2 id 401, and a profile-0 id simply opens (then the stranger can pose as that
// charger and replace its connection — the profile-0 takeover is known, knowing WHICH ids to take
// over is what this leaks). 200 guesses here took 1.6 s and none was refused 429.
// Expected: an unknown id is refused the same way as a wrong password (401) and counts toward the
// per-source throttle, so ids cannot be told apart or enumerated.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createRpcClient } from "../../../../drivers/ocpp16/rpc.ts";
import { openRig, testConfig } from "../helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "review12m-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tryConnect(url: string, identity: string): Promise<number | "open"> {
  const client = createRpcClient({ endpoint: url, identity, protocols: ["ocpp1.6"], strictMode: false, reconnect: false, callTimeoutMs: 2000 });
  try {
    await client.connect();
    await client.close({ force: true });
    return "open";
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

it("unknown charge point ids cannot be told from configured ones, nor guessed without limit", async () => {
  const passwordFile = join(dir, "cp2.secret");
  writeFileSync(passwordFile, "s3cret-key-0123456789");
  chmodSync(passwordFile, 0o600);
  const rig = await openRig(testConfig({ chargers: [{ id: "CP-1", connectors: [{ connectorId: 1, point: 1 }] }, { id: "CP-2", securityProfile: 1, passwordFile, connectors: [{ connectorId: 1, point: 2 }] }] }));
  const seen: Record<string, string> = {};
  const started = Date.now();
  for (let i = 1; i <= 200; i++) {
    const id = `CP-${i}`;
    const r = await tryConnect(rig.driver.url, id);
    if (r !== 404) seen[id] = String(r);
  }
  const ms = Date.now() - started;
  const unknown = await tryConnect(rig.driver.url, "CP-999");
  console.log(`review12m id-enumeration: 200 guesses in ${ms} ms; answers other than 404: ${JSON.stringify(seen)}; an unknown id: ${unknown}`);
  expect({ cp2: seen["CP-2"], unknown }).toEqual({ cp2: "401", unknown: 401 });
}, 30_000);
