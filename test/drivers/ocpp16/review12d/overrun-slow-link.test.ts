// Review 12d #5: db8749d corrects a meter timestamp by the session's offset estimate
// min(arrival − timestamp). That is an UPPER bound of when a sample was taken (true offset +
// the shortest stamp-to-arrival delay), and takenAfter (sessions.ts) uses it to PROVE a sample was
// taken after the stop, with a 1 s allowance. A charger whose samples always reach the agent
// 1.3 s after they are stamped (a 2G/LTE-M fallback link, or a charger that stamps a sample when
// it starts a slow Modbus meter read) has every sample look 1.3 s later than it was: one stamped
// just before the RemoteStop and delivered after it is "grew after the stop", and a slow
// StopTransaction (review 12c's scenario: 0.7 s past stopTimeoutS, no status in between) is
// settled as an OVERRUN — the whole reservation (300.00) for meterStop − meterStart = 600 Wh.
// Control: latency 0 passes (it is review12c's skew-0 case). FAILS on lead5 for 1.3 s (the sample must arrive before the 1.5 s stop timeout, as in 12c).
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, openRig, testConfig, waitUntil, scriptedTime } from "../helpers.ts";
import { bootAndPlugIn, handCharger, startTransaction } from "../review12/hand.ts";

for (const latencyMs of [0, 1_300]) {
  it(`a sample stamped before the RemoteStop on a link with ${latencyMs} ms stamp-to-arrival delay is not an overrun`, async () => {
    const rig = await openRig(scriptedTime(testConfig({ stopTimeoutS: 1.5 })));
    const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
    const stamp = () => new Date(Date.now() - latencyMs).toISOString(); // everything it sends left its meter latencyMs ago
    await bootAndPlugIn(rig, cp);
    await rig.driver.authorize(authorizeCmd());
    const { tx } = await startTransaction(cp, () => Date.now() - latencyMs);
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
    const mv = (ts: string, wh: number) => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: ts, sampledValue: [{ value: String(wh) }] }] });
    await cp.call("MeterValues", mv(stamp(), 1500));
    const sampledAt = Date.now(); // taken now: before the stop
    void rig.driver.stop(1).catch(() => undefined);
    await cp.waitFor((f) => f[2] === "RemoteStopTransaction");
    const stopAt = Date.now();
    await waitUntil(() => Date.now() >= sampledAt + latencyMs); // ...and it arrives latencyMs after it was taken
    await cp.call("MeterValues", mv(new Date(sampledAt).toISOString(), 1600));
    await waitUntil(() => Date.now() - stopAt > 2200); // StopTransaction 0.7 s later than stopTimeoutS
    await cp.call("StopTransaction", { transactionId: tx, meterStop: 1600, timestamp: stamp(), reason: "Remote" });
    const end = await rig.events.waitFor(isEnd);
    expect({ milli: end.milli, amountMinor: end.amountMinor }).toEqual({ milli: 600, amountMinor: 209 });
    cp.close();
  });
}
