// Review 13b #5 (MEDIUM): after an agent restart a misconfigured neighbour (or anyone) behind the
// chargers' shared source address locks every real charger out. upgrade-throttle.ts keeps the
// real chargers in ("a charger id that already connected from that address is not held by its
// address's lock (chargers behind one NAT address with a misconfigured neighbour)") with `known`
// — an in-memory set. A restarted agent has forgotten it: the chargers' reconnects after the
// restart are held by the address's lock like any guess (401, unchecked). Five failures (an old
// charger id still configured in a decommissioned unit, a wrong password after a swap, a
// guesser) lock the address for up to a minute, and ONE failure per lock keeps it locked (each
// failure after a lock doubles it, capped at 60 s), so the real chargers — their StopTransactions
// queued, their sessions settling — stay out. A shared address is common: chargers behind one
// 4G router or VPN concentrator, or a container's published port (the bridge gateway).
// Sequence: CP-1 connects from 127.0.0.1 (known); the agent restarts; five upgrades of an
// unknown id from 127.0.0.1; CP-1 reconnects.
import { expect, it } from "vitest";
import { createRpcClient } from "../../../../drivers/ocpp16/rpc.ts";
import { openRig, testConfig } from "../helpers.ts";

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

it("a charger that connected before from its address still gets in after an agent restart", async () => {
  const rig = await openRig(testConfig());
  expect(await tryConnect(rig.driver.url, "CP-1")).toBe("open"); // CP-1 is known from 127.0.0.1
  // Without a restart the exemption holds (control):
  for (let i = 0; i < 6; i++) await tryConnect(rig.driver.url, "OLD-UNIT-7");
  expect(await tryConnect(rig.driver.url, "CP-1")).toBe("open");
  const again = await rig.restart(); // an update, a crash, a power cut
  for (let i = 0; i < 6; i++) await tryConnect(again.driver.url, "OLD-UNIT-7"); // the neighbour retries
  expect(await tryConnect(again.driver.url, "CP-1")).toBe("open");
}, 30_000);
