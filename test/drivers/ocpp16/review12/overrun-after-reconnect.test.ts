// Review 12 #4: a charger that accepted RemoteStop, stopped, and lost its connection before its
// StopTransaction left is settled as an OVERRUN (the whole reservation) if it reconnects shortly
// before stopTimeoutS ran out: Sessions.onStopTimeout only checks that *a* connection is open,
// not that the stop went out on it, that the charger has reported since, or that the connector is
// still charging. Its queued StopTransaction, processed a moment later, only raises
// OCPP_LATE_STOP; the customer pays 300 SEK for 0.5 kWh. (TriggerMessage is the optional
// RemoteTrigger profile; a charger without it is only "synced" after syncTimeoutS.)
// Expected: a disconnect cancels the session's stop timer (onSynced re-sends the stop and re-arms
// it), and an overrun needs the connector still in a transaction.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, openRig, synced, testConfig, waitUntil, scriptedTime } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "./hand.ts";

it("a stopped charger that reconnects just before stopTimeoutS is settled with its meterStop, not as an overrun", async () => {
  const rig = await openRig(scriptedTime(testConfig({ stopTimeoutS: 2, syncTimeoutS: 3 })));
  const url = `${rig.driver.url}/CP-1`;
  const cp = await handCharger(url);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1500));

  void rig.driver.stop(1).catch(() => undefined); // the customer stops in the app
  await cp.waitFor((f) => f[2] === "RemoteStopTransaction");
  const stopSentAt = Date.now();
  cp.close(); // Accepted, stopped at 1500 Wh — and the connection drops before StopTransaction leaves
  await cp.closed;
  await waitUntil(() => Date.now() - stopSentAt > 1500);
  const back = await handCharger(url, { trigger: false }); // back, 0.5 s before stopTimeoutS
  back.status = "Finishing";
  await back.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await waitUntil(() => Date.now() - stopSentAt > 2300); // its queue flushes a moment later
  await back.call("StopTransaction", { transactionId: tx, meterStop: 1500, timestamp: new Date(stopSentAt).toISOString(), reason: "Remote" });
  const end = await rig.events.waitFor(isEnd);
  expect({ milli: end.milli, amountMinor: end.amountMinor }).toEqual({ milli: 500, amountMinor: 175 });
  back.close();
});
