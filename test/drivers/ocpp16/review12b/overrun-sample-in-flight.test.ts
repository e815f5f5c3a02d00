// Review 12b #3: "the register grew since the stop went out" is taken as proof the charger ignored
// RemoteStop — but the periodic sample taken just BEFORE the stop (timestamp earlier than the stop)
// arrives just after it. A charger that then reports Finishing (on this very connection) and is
// slow with its StopTransaction (> stopTimeoutS: some firmwares wait for the cable unlock or the
// backend's ack of a preceding message) is settled as an OVERRUN: the whole reservation.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, openRig, testConfig, waitUntil, scriptedTime } from "../helpers.ts";
import { bootAndPlugIn, handCharger, startTransaction } from "../review12/hand.ts";

it("a sample in flight at the RemoteStop + Finishing + a slow StopTransaction is not an overrun", async () => {
  const rig = await openRig(scriptedTime(testConfig({ stopTimeoutS: 1.5 })));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx, stampedAt: t0 } = await startTransaction(cp);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  const mv = (at: number, wh: number) => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date(at).toISOString(), sampledValue: [{ value: String(wh) }] }] });
  await cp.call("MeterValues", mv(Date.now(), 1500));
  const sampledAt = Date.now();
  void rig.driver.stop(1).catch(() => undefined);
  await cp.waitFor((f) => f[2] === "RemoteStopTransaction");
  const stopAt = Date.now();
  await cp.call("MeterValues", mv(sampledAt, 1600)); // sampled before the stop, delivered after it
  cp.status = "Finishing";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Finishing" });
  await waitUntil(() => Date.now() - stopAt > 2200); // its StopTransaction is 0.7 s later than stopTimeoutS
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 1600, timestamp: new Date(stopAt).toISOString(), reason: "Remote" });
  const end = await rig.events.waitFor(isEnd);
  expect({ milli: end.milli, amountMinor: end.amountMinor }).toEqual({ milli: 600, amountMinor: 209 });
  cp.close();
});
