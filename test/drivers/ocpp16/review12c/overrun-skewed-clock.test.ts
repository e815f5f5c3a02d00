// Review 12c #1: the overrun evidence "a sample timestamped after the stop grew the register"
// compares the CHARGER's meter timestamp with the AGENT's clock (stopSentAt). A charger whose
// clock runs 60 s ahead (common; Heartbeat only corrects it coarsely) has every sample taken
// BEFORE the stop "timestamped after" it: a slow StopTransaction (> stopTimeoutS) and no status
// in between ⇒ settled as an OVERRUN (the whole reservation) although meterStop says 600 Wh.
// Fixed: a meter timestamp is corrected by the session's clock offset estimate (least arrival −
// timestamp over its StartTransaction and samples) before it is compared with the agent's stop.
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isEnd, isFault, openRig, synced, testConfig, waitUntil, scriptedTime } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

for (const skewMs of [0, 60_000]) {
  it(`a sample in flight at the RemoteStop from a charger whose clock is ${skewMs / 1000} s ahead is not an overrun`, async () => {
    const rig = await openRig(scriptedTime(testConfig({ stopTimeoutS: 1.5 })));
    const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false }); // TriggerMessage NotImplemented (optional in 1.6)
    const cpNow = () => Date.now() + skewMs; // the charger's own clock
    await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
    await synced(rig);
    cp.status = "Preparing";
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
    await rig.events.waitFor(isCall);
    await rig.driver.authorize(authorizeCmd());
    const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
    const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date(cpNow()).toISOString() })) as { transactionId: number };
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
    const mv = (at: number, wh: number) => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date(at).toISOString(), sampledValue: [{ value: String(wh) }] }] });
    await cp.call("MeterValues", mv(cpNow(), 1500));
    const sampledAt = cpNow();
    void rig.driver.stop(1).catch(() => undefined);
    await cp.waitFor((f) => f[2] === "RemoteStopTransaction");
    const stopAt = Date.now();
    await cp.call("MeterValues", mv(sampledAt, 1600)); // sampled before the stop (charger clock), delivered after it
    await waitUntil(() => Date.now() - stopAt > 2200); // StopTransaction 0.7 s later than stopTimeoutS
    await cp.call("StopTransaction", { transactionId: tx, meterStop: 1600, timestamp: new Date(cpNow()).toISOString(), reason: "Remote" });
    const end = await rig.events.waitFor(isEnd);
    expect({ milli: end.milli, amountMinor: end.amountMinor }).toEqual({ milli: 600, amountMinor: 209 });
    cp.close();
  });
}

// The other way round: a charger whose clock runs 60 s BEHIND and really ignores the stop (it
// keeps metering, no status after the stop) was never an overrun — its samples all looked older
// than the stop, so the agent re-sent the stop forever while the car charged on.
it("a charger whose clock is 60 s behind and keeps charging after the RemoteStop is an overrun", async () => {
  const rig = await openRig(scriptedTime(testConfig({ stopTimeoutS: 1.5 })));
  // The agent asks for the register after the stop (TriggerMessage); the replies are the evidence.
  let wh = 1500;
  let tx = 0;
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { answerRemoteStop: true, meterValues: () => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date(cpNow()).toISOString(), sampledValue: [{ value: String(wh), context: "Trigger" }] }] }) });
  const cpNow = () => Date.now() - 60_000;
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  cp.status = "Preparing";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
  await rig.driver.authorize(authorizeCmd());
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  ({ transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date(cpNow()).toISOString() })) as { transactionId: number });
  cp.status = "Charging"; // what it answers a triggered StatusNotification with
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  const mv = (wh: number) => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date(cpNow()).toISOString(), sampledValue: [{ value: String(wh) }] }] });
  await cp.call("MeterValues", mv(1500));
  void rig.driver.stop(1).catch(() => undefined);
  await cp.waitFor((f) => f[2] === "RemoteStopTransaction");
  const ended = rig.events.waitFor(isEnd, 10_000, "overrun end");
  let done = false;
  void ended.finally(() => (done = true));
  // It answers Accepted and charges on: a live sample every 200 ms (its sampling interval, the
  // device's own pace, not a synchronisation) until the agent gives up on it.
  while (!done) {
    await cp.call("MeterValues", mv((wh += 10))).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
  }
  const end = await ended;
  expect({ amountMinor: end.amountMinor, fault: rig.events.events.find(isFault)?.code }).toEqual({ amountMinor: 30_000, fault: "OCPP_STOP_IGNORED" });
  cp.close();
});
