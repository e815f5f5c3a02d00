// Review 13 #1 — h12p's fix of review 12 #1 (a stored meter clock bound; stamped evidence only with
// a bound "known before the stop was sent") still bills the whole reservation to a charger that
// OBEYED the stop, when the restarted agent has NO stored bound (the upgrade to this very version —
// no agent before it wrote meter-clock/<id> —, a charger's first connection, a failed
// meter_clock_store write) and the charger's FIFO does not begin with a StatusNotification
// (OCPP 1.6 queues transaction messages; a status is not one). Then the first drained MeterValues
// arrives before the charger is synced, sets meterBoundSince, and the persisted stop is re-sent at
// the sync (onSynced) — after `since`: the guard `since >= stop.sentAt` passes, and the bound is the
// drained queue's own wait, as before the fix.
// The same happens with a stored bound absent and ANY stop sent during a drain (the customer's
// stop, the session timer), whatever the queue's first message.
// Controls: REVIEW12O_STORED=1 keeps the stored bound (the fix's case): no overrun.
//           REVIEW12O_STATUS_FIRST=1 puts the StatusNotification first (review 12's sequence): no overrun.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

const STORED = process.env.REVIEW12O_STORED === "1";
const STATUS_FIRST = process.env.REVIEW12O_STATUS_FIRST === "1";

it("after an upgrade (no stored meter clock bound), a charger that obeys the stop at once while draining is no overrun", async () => {
  let rig = await openRig(testConfig({ stopTimeoutS: 4, syncTimeoutS: 5, lateStopWaitS: 30, chargerSecondMs: 1000 }));
  const url = `${rig.driver.url}/CP-1`;
  const cp = await handCharger(url, { trigger: false });
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp, () => Date.now() - 120_000);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1010)); // live, on the OLD agent
  // The old agent (before h12p) never wrote the key: the upgrade starts with none.
  if (!STORED) await rig.store.delete("meter-clock/CP-1");
  rig = await rig.restart(); // the upgrade; the charger is cut off and keeps charging
  await cp.closed;
  const endP = rig.events.waitFor(isEnd, 50_000);
  await rig.driver.stop(1).catch(() => undefined); // the customer's stop, persisted: sent when it is back
  const t0 = Date.now() - 120_000;
  const at = (i: number) => new Date(t0 + i * 1000).toISOString();
  const queue: Array<[string, unknown]> = STATUS_FIRST ? [["StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" }]] : [];
  let wh = 1010;
  for (let i = 1; i <= 100; i++) {
    wh += 2;
    queue.push(["MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: at(i), sampledValue: [{ value: String(wh), measurand: "Energy.Active.Import.Register", unit: "Wh" }] }] }]);
  }
  const cp2 = await handCharger(url, { trigger: false });
  cp2.status = "Charging";
  let stoppedAtWh: number | undefined;
  void cp2.waitFor((f) => f[0] === 2 && f[2] === "RemoteStopTransaction", 20_000).then(() => {
    stoppedAtWh = wh; // obeys at once: no energy after this; its StopTransaction joins the tail
    cp2.status = "Finishing";
    queue.push(["StopTransaction", { transactionId: tx, meterStop: wh, timestamp: new Date().toISOString(), reason: "Remote" }]);
    queue.push(["StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Finishing" }]);
  });
  for (let i = 0; i < queue.length; i++) {
    const [action, params] = queue[i]!;
    await cp2.call(action, params).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
  }
  const end = (await endP) as { milli: number; amountMinor: number };
  const fault = rig.events.events.find((e) => isFault(e) && e.code === "OCPP_STOP_IGNORED");
  console.log(`review12o upgrade-drain (stored ${STORED}, status first ${STATUS_FIRST}): charger stopped at ${stoppedAtWh} Wh (metered ${(stoppedAtWh ?? 0) - 1000} Wh); settled ${end.milli} Wh / ${end.amountMinor} öre; ${fault ? "OCPP_STOP_IGNORED" : "no overrun"}`);
  expect({ overrun: fault !== undefined, milli: end.milli }).toEqual({ overrun: false, milli: (stoppedAtWh ?? 0) - 1000 });
  cp2.close();
}, 60_000);
