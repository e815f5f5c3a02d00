// Review 12f #2: the overrun evidence (session-evidence.ts) is growth between two replies to the
// agent's TriggerMessage(MeterValues) after the stop — measured on the RAW progress (sessions.ts:223
// passes `milli` from the readings as received), not on the plausible track that metering.ts keeps
// precisely for "a bit flip, a kWh/Wh slip". One such reading in the second reply (here: the
// register in Wh labelled kWh, ×1000) is "charging after the stop": the whole reservation is
// charged (OCPP_STOP_IGNORED), although the charger obeyed, its register never moved, and its
// StopTransaction (exact meterStop) comes a little later — only an OCPP_LATE_STOP by then.
// Control: the same charger whose second reply is sane is not an overrun.
// (h12i: with the slip, the exact meterStop settles and the operator hears of the bad reading —
// OCPP_METER_DISAGREES names it, as metering.ts does for any sample above meterStop.)
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isEnd, isFault, openRig, synced, testConfig } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

for (const slip of [false, true]) {
  it(`a charger that obeyed the stop${slip ? " and slipped one triggered reading" : ""} is not charged the whole reservation`, async () => {
    const rig = await openRig(testConfig({ stopTimeoutS: 1.5, chargerSecondMs: 1000 }));
    let tx = 0;
    let stopped = false;
    let replies = 0;
    const cp = await handCharger(`${rig.driver.url}/CP-1`, {
      meterValues: () => {
        const n = stopped ? ++replies : 0;
        // The register stands at 1010 Wh after the stop; the second reply labels it kWh.
        const sv = slip && n === 2 ? { value: "1010", unit: "kWh", context: "Trigger" } : { value: "1010", context: "Trigger" };
        return { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [sv] }] };
      },
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
    await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: "1010" }] }] });
    void rig.driver.stop(1).catch(() => undefined);
    await cp.waitFor((f) => f[2] === "RemoteStopTransaction");
    stopped = true; // obeyed: no more energy; its StopTransaction is still queued behind other traffic
    const endP = rig.events.waitFor(isEnd, 6_000);
    await new Promise((r) => setTimeout(r, 2_200)); // past the stop's timeout (1.5 s)
    await cp.call("StopTransaction", { transactionId: tx, meterStop: 1010, timestamp: new Date().toISOString(), reason: "Remote" });
    const end = await endP;
    const fault = rig.events.events.find((e) => isFault(e) && e.code !== "OCPP_LATE_STOP");
    expect({ milli: end.milli, amountMinor: end.amountMinor, fault: fault && isFault(fault) ? fault.code : undefined }).toEqual({ milli: 10, amountMinor: 3, fault: slip ? "OCPP_METER_DISAGREES" : undefined });
    cp.close();
  }, 10_000);
}
