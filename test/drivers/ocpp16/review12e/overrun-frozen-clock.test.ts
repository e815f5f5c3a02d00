// Review 12e #2: the only register evidence of an ignored RemoteStop is growth between two samples
// whose TIMESTAMPS increase (session-evidence.ts:95 `at <= firstAfterConfAt` and :108 `b.at > a.at`).
// A charger whose clock does not advance (no RTC/NTP: every MeterValues stamped with its boot time,
// 1970 or a constant, as many cheap wallboxes do) answers RemoteStop Accepted and charges on,
// sampling every 200 ms — the register grows in plain sight, yet it is never an overrun. At the
// last safe moment it is settled as "stop unconfirmed" for the progress seen, and charges on unpaid.
// Control: the same charger with a running clock is an overrun (OCPP_STOP_IGNORED).
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isEnd, isFault, openRig, synced, testConfig } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

for (const frozen of [false, true]) {
  it(`a charger ${frozen ? "with a frozen clock " : ""}that ignores RemoteStop and keeps charging is an overrun`, async () => {
    const rig = await openRig(testConfig({ stopTimeoutS: 1.5, maxSessionS: 3, chargerSecondMs: 1000 }));
    // Fixed: after the RemoteStop's answer the agent asks for the register twice (TriggerMessage);
    // growth between the replies is the evidence — no clock involved, frozen or not.
    let wh = 1000;
    let tx = 0;
    const boot = Date.now();
    const stamp = () => new Date(frozen ? boot : Date.now()).toISOString();
    const cp = await handCharger(`${rig.driver.url}/CP-1`, { meterValues: () => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: stamp(), sampledValue: [{ value: String(wh), context: "Trigger" }] }] }) });
    await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
    await synced(rig);
    cp.status = "Preparing";
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
    await rig.events.waitFor(isCall);
    await rig.driver.authorize(authorizeCmd());
    const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
    ({ transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: stamp() })) as { transactionId: number });
    cp.status = "Charging"; // what it answers a triggered StatusNotification with
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
    let ended = false;
    const endP = rig.events.waitFor(isEnd).then((e) => ((ended = true), e));
    void rig.driver.stop(1).catch(() => undefined);
    await cp.waitFor((f) => f[2] === "RemoteStopTransaction"); // Accepted, and ignored
    while (!ended) {
      wh += 1; // +1 Wh every 200 ms: 18 kW, under AC22's rated power
      await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: stamp(), sampledValue: [{ value: String(wh) }] }] }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
    const end = await endP;
    const fault = rig.events.events.find(isFault);
    expect({ amountMinor: end.amountMinor, code: fault?.code }).toEqual({ amountMinor: authorizeCmd().limitMinor, code: "OCPP_STOP_IGNORED" });
    cp.close();
  }, 10_000);
}
