// Review 12e #3: the "StopTransaction missing" path (session-ending.ts:127 → armMissingTimer :168)
// settles the progress SEEN once the connector reported, after the stop, that it is out of a
// transaction and lateStopWaitS has passed — even while the charger is visibly still delivering
// its offline queue (a MeterValues every 150 ms, the StopTransaction last). Real case: link lost,
// the stop wanted while away, the charger reconnects and reports its connector (Available: the
// car left) live, then drains its transaction queue at its own pace. The session is settled for
// the part of the queue read so far; the StopTransaction (the exact meterStop) comes after and is
// only an OCPP_LATE_STOP. Control: the same queue drained fast settles exactly.
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isEnd, openRig, synced, testConfig, waitUntil } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

for (const paceMs of [10, 150]) {
  it(`a queue of samples taken before the stop, drained ${paceMs} ms apart after it, settle meterStop − meterStart`, async () => {
    const rig = await openRig(testConfig({ stopTimeoutS: 1, lateStopWaitS: 1, chargerSecondMs: 1000 }));
    const url = `${rig.driver.url}/CP-1`;
    const cp = await handCharger(url, { trigger: false });
    await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
    await synced(rig);
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
    await rig.events.waitFor(isCall);
    await rig.driver.authorize(authorizeCmd());
    const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
    const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date().toISOString() })) as { transactionId: number };
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
    const mv = (ts: number, wh: number) => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date(ts).toISOString(), sampledValue: [{ value: String(wh) }] }] });
    for (const wh of [1001, 1002, 1003]) await cp.call("MeterValues", mv(Date.now(), wh));
    // (energies within AC22's 22 kW over the session's time: no plausibility cap applies)
    // The link drops; the charger charges on and queues a sample every 100 ms (its clock).
    const offlineAt = Date.now();
    cp.close();
    await cp.closed;
    await waitUntil(() => Date.now() >= offlineAt + 1600);
    void rig.driver.stop(1).catch(() => undefined); // the stop is wanted while it is away
    const queued = Array.from({ length: 30 }, (_, k) => ({ at: offlineAt + 100 * (k + 1) / 2, wh: 1004 + Math.floor(k / 3) }));
    const back = await handCharger(url, { trigger: false });
    await back.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" }); // live: the car has left
    await back.waitFor((f) => f[2] === "RemoteStopTransaction"); // answered Accepted at once
    const stopAt = Date.now();
    for (const q of queued) {
      await back.call("MeterValues", mv(q.at, q.wh));
      await new Promise((r) => setTimeout(r, paceMs)); // the charger's own queue pace
    }
    // its StopTransaction, last in the queue
    const meterStop = queued.at(-1)!.wh;
    await back.call("StopTransaction", { transactionId: tx, meterStop, timestamp: new Date(queued.at(-1)!.at).toISOString(), reason: "Remote" }).catch(() => undefined);
    const end = await rig.events.waitFor(isEnd);
    expect(end.milli).toBe(meterStop - 1000);
    back.close();
  }, 10_000);
}
