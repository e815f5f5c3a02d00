// Review 12f #4 (last part): the stop check's two TriggerMessage(MeterValues) follow only an
// ACCEPTED RemoteStop. After a Rejected one they would only stand in front of the stop sent again
// (ocpp-rpc sends one call at a time), and a refused stop is no stop the charger had.
// Seen as: between the first (Rejected) RemoteStop and the one re-sent at stopTimeoutS, no trigger.
import { expect, it } from "vitest";
import { authorizeCmd, isCall, openRig, synced, testConfig, waitUntil } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

it("a Rejected RemoteStop is followed by no stop-check TriggerMessage before the stop is sent again", async () => {
  const rig = await openRig(testConfig({ stopTimeoutS: 2, chargerSecondMs: 1000 }));
  let tx = 0;
  const cp = await handCharger(`${rig.driver.url}/CP-1`, {
    answerRemoteStop: false,
    meterValues: () => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: "1010", context: "Trigger" }] }] }),
  });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  cp.status = "Preparing";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
  await rig.driver.authorize(authorizeCmd());
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  ({ transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date().toISOString() })) as { transactionId: number });
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  void rig.driver.stop(1).catch(() => undefined);
  const stops = () => cp.received.filter((f) => f[2] === "RemoteStopTransaction").length;
  await waitUntil(() => stops() >= 2, 5_000, "the RemoteStop sent again");
  const meterTriggers = cp.received.filter((f) => f[2] === "TriggerMessage" && (f[3] as { requestedMessage?: string }).requestedMessage === "MeterValues");
  expect(meterTriggers).toEqual([]);
  cp.close();
}, 10_000);
