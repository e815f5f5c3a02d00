// Review 12 (10th) — 4f1ad98 judges a Charging status by when it was TAKEN only if it carries a
// timestamp (charger-state.ts takenBy :65-67; session-ending.ts :200-201). StatusNotification's
// timestamp is optional in OCPP 1.6 (§6.47) and many firmwares leave it out, while still queueing the
// status in the same FIFO as their (stamped) MeterValues. Then review 12k #2 is back unchanged: the
// charger that obeyed the stop at once is settled as an overrun (the whole 300 SEK reservation) from a
// Charging it queued a minute before the stop, and its exact meterStop becomes OCPP_LATE_STOP.
// The agent had the information: the samples queued right before and after that status are stamped
// 40 s before the stop's answer (the charger is draining a backlog) — arrival proves nothing here.
// Same sequence as review12k/queued-status-overrun.test.ts, statuses without `timestamp`.
// Expected: the metered meterStop − meterStart, no OCPP_STOP_IGNORED.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

it("a queued UNSTAMPED StatusNotification(Charging), between samples stamped before the stop, delivered after its answer, is no overrun evidence", async () => {
  const rig = await openRig(testConfig({ stopTimeoutS: 4, syncTimeoutS: 5, lateStopWaitS: 30, chargerSecondMs: 1000 }));
  const url = `${rig.driver.url}/CP-1`;
  const cp = await handCharger(url, { trigger: false });
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  // Started two minutes (charger clock) before its backlog below, stamped a minute ago: its meterStop
  // (90 Wh) must be within what the connector delivers from start to stop (review 12l #1/#2).
  const { tx } = await startTransaction(cp, () => Date.now() - 120_000);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1010));
  // Offline; the customer stops meanwhile (persisted, sent when the charger is back).
  cp.close();
  await cp.closed;
  const endP = rig.events.waitFor(isEnd, 30_000);
  await rig.driver.stop(1).catch(() => undefined);
  // What the charger queued while offline (charging on: it never had the stop), oldest first.
  const t0 = Date.now() - 60_000;
  const at = (i: number) => new Date(t0 + i * 1000).toISOString();
  const queue: Array<[string, unknown]> = [["StatusNotification", { connectorId: 1, errorCode: "NoError", status: "SuspendedEV" }]];
  let wh = 1010;
  for (let i = 1; i <= 40; i++) {
    if (i === 20) queue.push(["StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" }]);
    wh += 2;
    queue.push(["MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: at(i), sampledValue: [{ value: String(wh), measurand: "Energy.Active.Import.Register", unit: "Wh" }] }] }]);
  }
  const cp2 = await handCharger(url, { trigger: false });
  cp2.status = "Charging";
  let stoppedAtWh: number | undefined;
  let stopAnsweredAt = 0;
  void cp2.waitFor((f) => f[0] === 2 && f[2] === "RemoteStopTransaction", 20_000).then(() => {
    // It obeys at once: energy stops now; its StopTransaction and Finishing join the queue's tail.
    stoppedAtWh = wh;
    stopAnsweredAt = Date.now();
    cp2.status = "Finishing";
    queue.push(["StopTransaction", { transactionId: tx, meterStop: wh, timestamp: new Date().toISOString(), reason: "Remote" }]);
    queue.push(["StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Finishing" }]);
  });
  // The FIFO drained one message per answer, at the link's pace (200 ms a round trip).
  for (let i = 0; i < queue.length; i++) {
    const [action, params] = queue[i]!;
    await cp2.call(action, params).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
  }
  const end = (await endP) as { milli: number; amountMinor: number };
  const fault = rig.events.events.find((e) => isFault(e) && e.code === "OCPP_STOP_IGNORED");
  const late = rig.events.events.find((e) => isFault(e) && e.code === "OCPP_LATE_STOP");
  console.log(`review12l queued-unstamped-status: stop answered ${stopAnsweredAt ? "yes" : "no"}, charger stopped at ${stoppedAtWh} Wh (metered ${(stoppedAtWh ?? 0) - 1000} Wh); settled ${end.milli} Wh / ${end.amountMinor} öre; ${fault ? "OCPP_STOP_IGNORED" : "no overrun"}${late ? ", OCPP_LATE_STOP" : ""}`);
  expect({ overrun: fault !== undefined, milli: end.milli }).toEqual({ overrun: false, milli: (stoppedAtWh ?? 0) - 1000 });
  cp2.close();
}, 40_000);
