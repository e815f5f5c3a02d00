// Review 12 (12th) — ec3b4d6's stamped-sample evidence after an AGENT RESTART: a charger that OBEYED
// the stop at once is settled as an overrun (the whole 300 SEK reservation).
// session-evidence.ts chargedAfterStop counts a sample "taken after the stop" when
// min(arrival, stamp + least) >= answer + ramp-down, least = min(arrival − stamp) over the charger's
// MeterValues (charger-state.ts observeMeterClock). That least lives in memory (ChargerRuntime): after
// an agent restart it starts empty, and a charger that was cut off by the restart reconnects and
// drains its FIFO. Then every sample the restarted agent has seen came from that queue, so least is
// the queue's OWN wait (the newest drained sample's arrival − stamp), not a link delay: it grows the
// bound of every queued sample by (arrival − taken) of the newest one, and the last samples drained
// before the stop check — all read BEFORE the stop — "were taken after" it.
// Sequence: session charging; the agent restarts (systemd, an upgrade); the customer's stop comes
// meanwhile (persisted); the charger reconnects, drains a minute of queued samples at a cellular
// pace (200 ms a message); the re-sent stop is Accepted and obeyed at once; its StopTransaction
// (exact meterStop) goes to the tail of the FIFO, behind the rest of the backlog.
// Control REVIEW12N_RESTART=0: the same sequence without the restart (a live sample bounds the meter
// clock first): no overrun — that is review12l/queued-unstamped-status-overrun, which passes.
// Expected: the metered meterStop − meterStart, no OCPP_STOP_IGNORED.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

const RESTART = process.env.REVIEW12N_RESTART !== "0";

it("a charger that obeys the stop at once, draining its queue after an agent restart, is no overrun", async () => {
  let rig = await openRig(testConfig({ stopTimeoutS: 4, syncTimeoutS: 5, lateStopWaitS: 30, chargerSecondMs: 1000 }));
  const url = `${rig.driver.url}/CP-1`;
  const cp = await handCharger(url, { trigger: false });
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp, () => Date.now() - 120_000);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1010)); // live: the meter clock's bound, on this runtime
  if (RESTART) {
    rig = await rig.restart(); // the agent restarts; the charger is cut off and keeps charging
    await cp.closed;
  } else {
    cp.close();
    await cp.closed;
  }
  const endP = rig.events.waitFor(isEnd, 30_000);
  await rig.driver.stop(1).catch(() => undefined); // the customer's stop, persisted: sent when it is back
  // What the charger queued while cut off (charging on: it never had the stop), oldest first.
  const t0 = Date.now() - 60_000;
  const at = (i: number) => new Date(t0 + i * 1000).toISOString();
  const queue: Array<[string, unknown]> = [["StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" }]];
  let wh = 1010;
  for (let i = 1; i <= 40; i++) {
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
    await new Promise((r) => setTimeout(r, 200)); // the link's pace: one message per round trip
  }
  const end = (await endP) as { milli: number; amountMinor: number };
  const fault = rig.events.events.find((e) => isFault(e) && e.code === "OCPP_STOP_IGNORED");
  const late = rig.events.events.find((e) => isFault(e) && e.code === "OCPP_LATE_STOP");
  console.log(`review12n restart-drain (restart ${RESTART}): charger stopped at ${stoppedAtWh} Wh (metered ${(stoppedAtWh ?? 0) - 1000} Wh); settled ${end.milli} Wh / ${end.amountMinor} öre; ${fault ? "OCPP_STOP_IGNORED" : "no overrun"}${late ? ", OCPP_LATE_STOP" : ""}`);
  expect({ overrun: fault !== undefined, milli: end.milli }).toEqual({ overrun: false, milli: (stoppedAtWh ?? 0) - 1000 });
  cp2.close();
}, 40_000);
