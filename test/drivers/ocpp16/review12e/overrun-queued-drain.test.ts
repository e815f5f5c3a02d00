// Review 12e #1: the overrun evidence (session-evidence.ts:96-98) counts a sample as "taken after
// the charger had the stop" when stamp + min(arrival − stamp over the last 8 MeterValues) is past
// the stop + round trips + resolution. The window INCLUDES the sample itself, so for a charger
// draining its offline queue (each queued sample delayed more than the next: the queue drains faster
// than it was sampled) the minimum is the sample's own delay and stamp + offset = its ARRIVAL time.
// Every queued sample arriving > 1 s after the stop then "proves" charging after the stop, although
// all were taken BEFORE the stop was even sent (the charger was offline). Real case: link lost,
// session-time / customer stop while away, charger reconnects, the agent re-sends RemoteStop at once,
// the charger answers Accepted and drains its transaction queue at its own pace, StopTransaction
// last. Result: OCPP_STOP_IGNORED, the whole reservation. Expected: meterStop − meterStart.
// Control: the same queue drained within the resolution settles exactly.
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isEnd, openRig, synced, testConfig, waitUntil } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

// The charger's queue meters 10 Wh every 100 ms of its clock: a 360 kW connector, declared as such
// (on the default 22 kW its meterStop would be more than the connector could deliver: review 12l #1).
const QUEUE_POWER_W = 360_000;

for (const paceMs of [10, 150]) {
  it(`a queue of samples taken before the stop, drained ${paceMs} ms apart after it, is not an overrun`, async () => {
    const rig = await openRig(testConfig({ stopTimeoutS: 2, chargerSecondMs: 1000, chargers: [{ id: "CP-1", maxPowerW: QUEUE_POWER_W, connectors: [{ connectorId: 1, point: 1 }] }] }));
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
    for (const wh of [1010, 1020, 1030]) await cp.call("MeterValues", mv(Date.now(), wh));
    // The link drops; the charger charges on and queues a sample every 100 ms (its clock).
    const offlineAt = Date.now();
    cp.close();
    await cp.closed;
    await waitUntil(() => Date.now() >= offlineAt + 1600);
    void rig.driver.stop(1).catch(() => undefined); // the stop is wanted while it is away
    const queued = Array.from({ length: 15 }, (_, k) => ({ at: offlineAt + 100 * (k + 1), wh: 1040 + 10 * k }));
    const back = await handCharger(url, { trigger: false });
    await back.waitFor((f) => f[2] === "RemoteStopTransaction"); // answered Accepted at once
    const stopAt = Date.now();
    for (const q of queued) {
      await back.call("MeterValues", mv(q.at, q.wh));
      await new Promise((r) => setTimeout(r, paceMs)); // the charger's own queue pace
    }
    await waitUntil(() => Date.now() - stopAt > 2600); // its StopTransaction, last in the queue
    const meterStop = queued.at(-1)!.wh;
    await back.call("StopTransaction", { transactionId: tx, meterStop, timestamp: new Date(queued.at(-1)!.at).toISOString(), reason: "Remote" }).catch(() => undefined);
    const end = await rig.events.waitFor(isEnd);
    expect(end.milli).toBe(meterStop - 1000);
    back.close();
  }, 10_000);
}
