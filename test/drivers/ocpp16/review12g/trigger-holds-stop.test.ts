// Review 12f #4: ocpp-rpc sends the agent's calls to one charger one at a time (callConcurrency 1,
// as OCPP-J asks), and the driver puts a TriggerMessage(MeterValues) for every open session in
// front of the RemoteStop when a charger reconnects (sessions.ts:319-324; also the stop check's
// two triggers, session-ending.ts:224-236, before every re-sent stop). A charger that never
// answers TriggerMessage(MeterValues) — optional in 1.6; firmware without RemoteTrigger that drops
// it instead of NotImplemented — holds every later call for callTimeoutS (30 s by default; 3 s
// here): the limit stop reached right after the reconnect goes out callTimeoutS late, and the car
// charges on past the reservation's margin meanwhile (30 s at 150 kW DC is 1.25 kWh, unpaid).
// Expected: the RemoteStop is not queued behind a non-essential call (under a second here).
import { expect, it } from "vitest";
import { authorizeCmd, isCall, openRig, synced, testConfig, waitUntil } from "../helpers.ts";
import { handCharger } from "../review12f/hand-silent.ts";

it("a reconnected charger that never answers TriggerMessage(MeterValues) gets the limit stop at once", async () => {
  const rig = await openRig(testConfig({ callTimeoutS: 3, chargerSecondMs: 1000 }));
  const url = `${rig.driver.url}/CP-1`;
  const cp = await handCharger(url, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
  await rig.driver.authorize(authorizeCmd({ limitMinor: 100 })); // 1.00 SEK at 3.49/kWh: 286 Wh
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date().toISOString() })) as { transactionId: number };
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  const mv = (wh: number) => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(wh) }] }] });
  await cp.call("MeterValues", mv(1100));
  cp.close();
  await cp.closed;
  // Back: answers everything but TriggerMessage(MeterValues).
  const back = await handCharger(url, { silent: (a, p) => a === "TriggerMessage" && p.requestedMessage === "MeterValues" });
  back.status = "Charging";
  await back.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await back.waitFor((f) => f[2] === "TriggerMessage" && (f[3] as { requestedMessage?: string }).requestedMessage === "MeterValues");
  // Its queued samples: the limit's margin is reached.
  await back.call("MeterValues", mv(1200));
  await back.call("MeterValues", mv(1280));
  const limitAt = Date.now();
  await waitUntil(() => back.received.some((f) => f[2] === "RemoteStopTransaction"), 6_000, "RemoteStop");
  const lateMs = Date.now() - limitAt;
  console.log(`review12f: RemoteStop ${lateMs} ms after the limit was reached`);
  expect(lateMs).toBeLessThan(1_000);
  back.close();
}, 15_000);
