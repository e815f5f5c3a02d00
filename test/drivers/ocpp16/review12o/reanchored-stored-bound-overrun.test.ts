// Review 13 #2 — the stored meter clock bound (meter-clock/<id>, h12p 4e0f6c7) is an arrival time on
// the clock of the process that wrote it minus a stamp on the charger's clock. base/clock.ts
// re-anchors now() to the wall clock at each start, so a process that ran with the host clock X ahead
// (an RTC kept in local time, CET, fixed by NTP after the agent started at boot — review 12 #3's
// premise) stored a bound X too high. MeterClockStore.load takes it with since = the restart, so the
// guard `since >= stop.sentAt` passes; the charger cut off by that restart drains its FIFO, each
// drained sample lowers the bound to its own queue wait (< X), and the bound at the stop check is the
// newest drained sample's wait — review 12 #1 again: a charger that OBEYED the stop is settled as an
// overrun (the whole reservation).
// Sequence: review 12 #1's (restart-drain-overrun: live sample, restart, the customer's stop
// persisted, the charger's queue begins with a StatusNotification, drains at 200 ms a message, obeys
// the re-sent stop at once), with the first process's clock STEP_MS ahead.
// Control REVIEW12O_STEP_MS=0: review12n/restart-drain-overrun as it is (passes on 9c24d53).
import { expect, it } from "vitest";
import type { Scheduler } from "../../../../agent/core/clock.ts";
import { systemScheduler } from "../../../../drivers/dispenser/line-driver.ts";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

const STEP_MS = Number(process.env.REVIEW12O_STEP_MS ?? 3_600_000);
const shifted = (ms: number): Scheduler => ({ now: () => systemScheduler.now() + ms, setTimer: systemScheduler.setTimer });

it("a stored bound written on a clock anchored ahead does not turn an obeying charger's drained queue into an overrun", async () => {
  const config = testConfig({ stopTimeoutS: 4, syncTimeoutS: 5, lateStopWaitS: 30, chargerSecondMs: 1000, maxSessionS: 7200 });
  let rig = await openRig(config, { scheduler: shifted(STEP_MS) });
  const url = `${rig.driver.url}/CP-1`;
  const cp = await handCharger(url, { trigger: false });
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp, () => Date.now() - 120_000);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1010)); // live: the bound, stored — on the old anchor
  const stored = await rig.store.get("meter-clock/CP-1");
  const port = rig.driver.port;
  await rig.driver.close(); // the restart re-anchors to the corrected wall clock
  await cp.closed;
  rig = await openRig({ ...config, listen: { ...config.listen, port } }, { store: rig.store, scheduler: shifted(0) });
  const endP = rig.events.waitFor(isEnd, 50_000);
  await rig.driver.stop(1).catch(() => undefined); // the customer's stop, persisted: sent when it is back
  const t0 = Date.now() - 120_000;
  const at = (i: number) => new Date(t0 + i * 1000).toISOString();
  const queue: Array<[string, unknown]> = [["StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" }]];
  let wh = 1010;
  for (let i = 1; i <= 100; i++) {
    wh += 2;
    queue.push(["MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: at(i), sampledValue: [{ value: String(wh), measurand: "Energy.Active.Import.Register", unit: "Wh" }] }] }]);
  }
  const cp2 = await handCharger(url, { trigger: false });
  cp2.status = "Charging";
  let stoppedAtWh: number | undefined;
  void cp2.waitFor((f) => f[0] === 2 && f[2] === "RemoteStopTransaction", 20_000).then(() => {
    stoppedAtWh = wh; // obeys at once (the queue above is what it had taken before); its StopTransaction joins the tail
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
  console.log(`review12o reanchored stored bound (step ${STEP_MS} ms; stored ${String(stored)} ms): charger stopped at ${stoppedAtWh} Wh (metered ${(stoppedAtWh ?? 0) - 1000} Wh); settled ${end.milli} Wh / ${end.amountMinor} öre; ${fault ? "OCPP_STOP_IGNORED" : "no overrun"}`);
  expect({ overrun: fault !== undefined, milli: end.milli }).toEqual({ overrun: false, milli: (stoppedAtWh ?? 0) - 1000 });
  cp2.close();
}, 60_000);
