// Review 12f #7: the reconnect's TriggerMessage(MeterValues) (sessions.ts:319) is classed by
// the PREVIOUS connection's stop window: triggerSent() (session-evidence.ts:82) asks
// stopAnswered() before sendStop() opens the new window, so after a stop answered on the old
// connection it is marked "after the stop" — sent with no ramp-down allowance, and before the new
// connection's stop even went out. stopSent() clears the kept readings but not the trigger queue,
// so its reply becomes the reference reading. A link that drops right after the charger accepted
// the stop and comes back within the car's ramp-down (4G flapping) then shows "growth" between
// that reading and the first stop-check reading: the whole reservation (OCPP_STOP_IGNORED), for a
// charger that obeyed at once, whose StopTransaction is merely later than stopTimeoutS (its queue).
// Control: the same ramp-down without the link drop is not an overrun.
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isEnd, isFault, openRig, synced, testConfig } from "../helpers.ts";
import { handCharger, type HandCharger } from "../review12/hand.ts";

for (const blip of [false, true]) {
  it(`a charger that obeyed the stop${blip ? ", its link dropping during the ramp-down," : ""} is not an overrun`, async () => {
    const rig = await openRig(testConfig({ stopTimeoutS: 4, syncTimeoutS: 1, chargerSecondMs: 1000 }));
    const url = `${rig.driver.url}/CP-1`;
    let tx = 0;
    let stopAt = 0;
    // The register: charging at 1 Wh / 100 ms until the stop, then a 0.8 s ramp-down (+2 Wh), then flat: over before the first stop-check trigger (a quarter of stopTimeoutS, 1 s here).
    const base = 1010;
    const register = () => (stopAt === 0 ? base : base + Math.min(2, Math.floor((Date.now() - stopAt) / 400)));
    const mv = () => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(register()), context: "Trigger" }] }] });
    let cp: HandCharger = await handCharger(url, { meterValues: mv });
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
    await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(base) }] }] });
    const endP = rig.events.waitFor(isEnd, 12_000);
    void rig.driver.stop(1).catch(() => undefined);
    await cp.waitFor((f) => f[2] === "RemoteStopTransaction"); // Accepted: the ramp-down starts
    stopAt = Date.now();
    if (blip) {
      cp.close();
      await cp.closed;
      cp = await handCharger(url, { meterValues: mv }); // back 0.1 s later, still ramping down
      cp.status = "SuspendedEVSE";
      await cp.waitFor((f) => f[2] === "RemoteStopTransaction"); // the stop again: Accepted
    }
    // Its StopTransaction is queued behind its backlog: later than stopTimeoutS.
    await new Promise((r) => setTimeout(r, 5_500));
    await cp.call("StopTransaction", { transactionId: tx, meterStop: base + 2, timestamp: new Date().toISOString(), reason: "Remote" }).catch(() => undefined);
    const end = await endP;
    const fault = rig.events.events.find((e) => isFault(e) && e.code !== "OCPP_LATE_STOP");
    expect({ milli: end.milli, fault: fault && isFault(fault) ? fault.code : undefined }).toEqual({ milli: 12, fault: undefined });
    cp.close();
  }, 15_000);
}
