// Review 12 (9th) #4 (LOW): the keys that turn the charger's own authorization off
// (AuthorizationCacheEnabled, LocalAuthorizeOffline, AllowOfflineTxForUnknownId = false;
// charger-setup.ts:54-62) are optional calls (charger-link.ts:141-143, 171): any RemoteStop queued or
// in flight makes them throw "not sent (a stop goes first)", and nothing sends them again on that
// connection. A charger that reconnects while one of its sessions is stopping — the persisted stop
// is re-sent at sync (sessions.ts:336), right when the setup reaches those keys — keeps whatever
// its firmware has (factory defaults often enable LocalAuthorizeOffline/AllowOfflineTxForUnknownId)
// until its next connection or boot. Expected: each key is sent once the stop is out of the way.
import { expect, it } from "vitest";
import { authorizeCmd, openRig, testConfig, waitUntil } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

const KEYS = ["AuthorizationCacheEnabled", "LocalAuthorizeOffline", "AllowOfflineTxForUnknownId"];

it("a stop re-sent at reconnect does not cancel the charger's offline-authorization keys for the whole connection", async () => {
  const rig = await openRig(testConfig({ stopTimeoutS: 20, chargerSecondMs: 1000 }));
  const url = `${rig.driver.url}/CP-1`;
  const cp = await handCharger(url);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1010));
  cp.close();
  await cp.closed;
  await rig.driver.stop(1).catch(() => undefined); // persisted: goes out when the charger is back
  const cp2 = await handCharger(url);
  cp2.status = "Charging";
  await cp2.waitFor((f) => f[0] === 2 && f[2] === "RemoteStopTransaction", 10_000);
  // The stop is answered at once; give the setup ample time to finish afterwards.
  const sentKeys = () => cp2.received.filter((f) => f[0] === 2 && f[2] === "ChangeConfiguration").map((f) => (f[3] as { key: string }).key);
  await waitUntil(() => KEYS.every((k) => sentKeys().includes(k)), 3_000, "all three offline-auth keys sent").catch(() => undefined);
  console.log(`review12k offline-auth: ChangeConfiguration keys on the reconnect: ${sentKeys().join(", ")}`);
  expect(KEYS.filter((k) => !sentKeys().includes(k))).toEqual([]);
  cp2.close();
}, 20_000);
