// The evidence rule's other side: a charger that answers TriggerMessage NotImplemented (the
// RemoteTrigger profile is optional in 1.6) and keeps charging after accepting the RemoteStop
// gives no register evidence — its own samples, however they grow, may be a queue read before
// the stop. It is settled at the last safe moment for its plausible progress
// (OCPP_STOP_UNCONFIRMED), never the whole reservation.
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isEnd, isFault, openRig, synced, testConfig } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

it("a charger without TriggerMessage that charges on after RemoteStop is settled at the last safe moment, not as an overrun", async () => {
  const rig = await openRig(testConfig({ stopTimeoutS: 1.5, maxSessionS: 3, chargerSecondMs: 1000 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
  await rig.driver.authorize(authorizeCmd());
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date().toISOString() })) as { transactionId: number };
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  let wh = 1000;
  let ended = false;
  const endP = rig.events.waitFor(isEnd, 8_000).then((e) => ((ended = true), e));
  void rig.driver.stop(1).catch(() => undefined);
  await cp.waitFor((f) => f[2] === "RemoteStopTransaction"); // Accepted, and ignored
  while (!ended) {
    wh += 1; // +1 Wh every 200 ms: 18 kW, under AC22's rated power
    await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(wh) }] }] }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
  }
  const end = await endP;
  const fault = rig.events.events.find(isFault);
  expect(fault?.code).toBe("OCPP_STOP_UNCONFIRMED");
  expect(end.amountMinor).toBeLessThan(authorizeCmd().limitMinor);
  cp.close();
}, 10_000);
