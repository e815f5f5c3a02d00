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
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, chargeOnUntil, handCharger, startTransaction } from "../review12/hand.ts";

for (const startSkewMs of [0, 3_600_000]) {
  it(`a charger that ignores RemoteStop is an overrun — StartTransaction stamped ${startSkewMs / 3_600_000} h ahead of its samples`, async () => {
    const rig = await openRig(testConfig({ stopTimeoutS: 1.5 }));
    const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false, answerRemoteStop: true });
    await bootAndPlugIn(rig, cp);
    await rig.driver.authorize(authorizeCmd());
    const { tx } = await startTransaction(cp, () => Date.now() + startSkewMs);
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
    const mv = (wh: number) => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(wh) }] }] });
    await cp.call("MeterValues", mv(1500));
    void rig.driver.stop(1).catch(() => undefined);
    await cp.waitFor((f) => f[2] === "RemoteStopTransaction");
    const ended = rig.events.waitFor(isEnd, 5_000, "overrun end");
    await chargeOnUntil(cp, ended, mv, 1500);
    const end = await ended;
    expect({ amountMinor: end.amountMinor, fault: rig.events.events.find(isFault)?.code }).toEqual({ amountMinor: 30_000, fault: "OCPP_STOP_IGNORED" });
    cp.close();
  }, 15_000);
}
