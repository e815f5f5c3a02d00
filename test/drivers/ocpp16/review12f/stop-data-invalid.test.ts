// Review 12f #1: a StopTransaction whose OPTIONAL, UNUSED transactionData breaks the official
// schema in one field is answered with a CALLERROR (strict mode; validation.ts lifts only
// additionalProperties). OCPP 1.6 §3.7.1: a charger retries a transaction message that got a
// CALLERROR TransactionMessageAttempts times, then discards it — and with it meterStop, the
// session's exact end reading. Real chargers do send such data: numeric sampled values (OpenEVSE,
// lbbrhzn/ocpp#210; mobilityhouse/ocpp#353), OCPP 2.0.1 measurands from a firmware shared with
// 2.0.1; evcc-io/evcc#25708 is a wallbox whose StopTransaction a strict CSMS refused for its
// transactionData alone (an empty sampledValue: ocpp-rpc's schema happens to allow that one,
// checked: passes here). The agent never reads
// transactionData, yet it loses the exact settlement for it.
// Control: the same StopTransaction without transactionData settles meterStop − meterStart.
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isEnd, openRig, synced, testConfig, scriptedTime } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

const variants: Array<[string, ((ts: string) => unknown) | undefined]> = [
  ["no transactionData (control)", undefined],
  // OpenEVSE (lbbrhzn/ocpp#210) sends sampled values as JSON numbers.
  ["transactionData with a numeric value", (ts) => [{ timestamp: ts, sampledValue: [{ value: 1180, context: "Transaction.End" }] }]],
  // A firmware shared with OCPP 2.0.1 reports a 2.0.1-only measurand beside the register.
  ["transactionData naming an OCPP 2.0.1 measurand", (ts) => [{ timestamp: ts, sampledValue: [{ value: "1180", context: "Transaction.End" }, { value: "1180", measurand: "Energy.Active.Net", context: "Transaction.End" }] }]],
];

for (const [what, data] of variants) {
  it(`a StopTransaction with ${what} is answered and settles meterStop − meterStart`, async () => {
    const rig = await openRig(scriptedTime(testConfig({ stopTimeoutS: 1.5, lateStopWaitS: 1 })));
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
    await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: "1010" }] }] });
    const ts = new Date().toISOString();
    const stop = { transactionId: tx, meterStop: 1180, timestamp: ts, reason: "Local", ...(data ? { transactionData: data(ts) } : {}) };
    const answers: unknown[] = [];
    // The charger tries it three times (TransactionMessageAttempts), then drops it; the car leaves.
    for (let i = 0; i < 3; i++) {
      const a = await cp.call("StopTransaction", stop);
      answers.push(a);
      if (!(a as { callError?: unknown }).callError) break;
    }
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
    const end = await rig.events.waitFor(isEnd, 5_000);
    expect({ answer: answers.at(-1), milli: end.milli }).toEqual({ answer: {}, milli: 180 });
    cp.close();
  }, 10_000);
}
