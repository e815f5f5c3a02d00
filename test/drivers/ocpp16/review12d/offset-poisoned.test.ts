// Review 12d #1: the charger clock offset estimate (sessions.ts observeClock) is the LEAST
// (arrival − timestamp) over the session's StartTransaction and samples, kept for the whole session.
// One message stamped ahead — a StartTransaction in local time marked "Z" (one firmware module
// stamping differently from the metering one: a classic of OCPP firmware), or a charger clock
// that steps back after a Heartbeat/NTP correction — pins the estimate an hour too low for good:
// every later sample "was taken an hour before it was", so a charger that really ignores the
// RemoteStop (keeps metering, no status change) is never an overrun. The agent re-sends the stop
// forever while the car charges; the flow reaches its commit deadline with the sale still
// "stopping" (saleRecord throws) and parks: the reservation lapses unpaid.
// Control: the same charger with consistent UTC stamps is an overrun in ~1.5 s (the
// review12c test "60 s behind" shows it). FAILS on lead5 (no end within 5 s).
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isEnd, isFault, openRig, synced, testConfig } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

for (const startSkewMs of [0, 3_600_000]) {
  it(`a charger that ignores RemoteStop is an overrun — StartTransaction stamped ${startSkewMs / 3_600_000} h ahead of its samples`, async () => {
    const rig = await openRig(testConfig({ stopTimeoutS: 1.5 }));
    // The agent asks for the register after the stop (TriggerMessage); the replies are the evidence.
    let wh = 1500;
    let tx = 0;
    const cp = await handCharger(`${rig.driver.url}/CP-1`, { answerRemoteStop: true, meterValues: () => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(wh), context: "Trigger" }] }] }) });
    await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
    await synced(rig);
    cp.status = "Preparing";
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
    await rig.events.waitFor(isCall);
    await rig.driver.authorize(authorizeCmd());
    const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
    ({ transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date(Date.now() + startSkewMs).toISOString() })) as { transactionId: number });
    cp.status = "Charging"; // what it answers a triggered StatusNotification with
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
    const mv = (wh: number) => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(wh) }] }] });
    await cp.call("MeterValues", mv(1500));
    void rig.driver.stop(1).catch(() => undefined);
    await cp.waitFor((f) => f[2] === "RemoteStopTransaction");
    const ended = rig.events.waitFor(isEnd, 5_000, "overrun end");
    let done = false;
    void ended.then(() => (done = true), () => (done = true));
    // It answers Accepted and charges on: a live sample every 200 ms (the device's own pace).
    while (!done) {
      await cp.call("MeterValues", mv((wh += 10))).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
    const end = await ended;
    expect({ amountMinor: end.amountMinor, fault: rig.events.events.find(isFault)?.code }).toEqual({ amountMinor: 30_000, fault: "OCPP_STOP_IGNORED" });
    cp.close();
  }, 15_000);
}
