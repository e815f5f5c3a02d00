// Review 12 #8: after an agent restart the driver knows no connector status (runtime state is in
// memory only). A charger without TriggerMessage (the optional RemoteTrigger feature profile)
// that simply reconnects — no reboot, so no BootNotification and no StatusNotification: nothing
// changed on its side — is "synced" by syncTimeoutS with status undefined; onSynced then arms the
// "missing" timer (`!inTransaction(undefined)`), and lateStopWaitS later the LIVE session is
// settled as OCPP_STOP_MISSING with what was metered so far — while the MeterValues it keeps
// sending prove it is running, and with no RemoteStop sent, so the charger goes on charging for
// free. Its real StopTransaction later is only OCPP_LATE_STOP.
// Expected: an unknown status is not "not in a transaction"; MeterValues for the session
// (or a StatusNotification Charging) cancel the missing timer; settle only on a status that
// says the transaction is over.
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isEnd, openRig, synced, testConfig, waitUntil, scriptedTime } from "../helpers.ts";
import { handCharger, sample, startTransaction } from "./hand.ts";

it("a live session on a charger without TriggerMessage survives an agent restart until its StopTransaction", async () => {
  let rig = await openRig(scriptedTime(testConfig({ syncTimeoutS: 1, lateStopWaitS: 1.5 })));
  const url = `${rig.driver.url}/CP-1`;
  const cp = await handCharger(url, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  cp.status = "Preparing";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await synced(rig);
  await rig.events.waitFor(isCall);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1200));

  rig = await rig.restart(); // the agent restarts (systemd, an upgrade); the charger keeps charging
  await cp.closed;
  const back = await handCharger(url, { trigger: false });
  back.status = "Charging";
  let wh = 1200;
  const started = Date.now();
  while (Date.now() - started < 4000) {
    wh += 100;
    await back.call("MeterValues", sample(tx, wh)); // every sampling interval, as always
    await new Promise((r) => setTimeout(r, 250)); // the charger's own interval (not a sync)
  }
  // main: ended as stop-missing at ~2.5 s with a few hundred Wh, no RemoteStop sent
  expect(rig.events.events.filter(isEnd)).toEqual([]);
  await back.call("StopTransaction", { transactionId: tx, meterStop: wh, timestamp: new Date().toISOString(), reason: "EVDisconnected" });
  const end = await rig.events.waitFor(isEnd);
  expect(end.milli).toBe(wh - 1000);
  back.close();
});
