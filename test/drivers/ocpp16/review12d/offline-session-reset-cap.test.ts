// Review 12d #2: d78484b bounds each step of the plausible track by the rated power over the
// readings' OWN timestamp gap when they arrive in a burst (queued by an offline charger) — but the
// session-wide cap that a settlement of progress alone goes through (sessions.ts plausibility(),
// metering.ts settleProgress) still counts the session's time on the AGENT's clock from when the
// agent PROCESSED the StartTransaction (`startedAt`). A charger that went offline right after the
// RemoteStart charges on its own for 9 minutes, reboots (a power blip: its software register
// restarts from 0, so meterStop < meterStart) and delivers its queue once back: StartTransaction,
// nine MeterValues, StopTransaction. The 3.3 kWh the samples show are capped at 22 kW × the few
// ms between the queued StartTransaction and StopTransaction: 0 Wh settled (the flow then cancels
// the reservation: the energy is given away; OCPP_METER_RESET says "capped").
// Expected: the progress seen (9 × 367 Wh), with the alarm. FAILS on lead5 (milli 0).
// A real charger: chargerSecondMs 1000 (powerScale 1), maxPowerW 22 kW (the default).
import { expect, it } from "vitest";
import type { Scheduler } from "../../../../base/clock.ts";
import { systemScheduler } from "../../../../base/clock.ts";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger } from "../review12/hand.ts";

it("a session charged offline and delivered late with a reset register settles the progress its own timestamps allow", async () => {
  let skewMs = 0; // the agent's clock: real time, and then the 10 minutes the charger was away
  const scheduler: Scheduler = { now: () => Date.now() + skewMs, setTimer: systemScheduler.setTimer };
  const rig = await openRig(testConfig({ chargerSecondMs: 1000, maxSessionS: 3600 }), { scheduler });
  const url = `${rig.driver.url}/CP-1`;
  let cp = await handCharger(url, { trigger: false });
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const t0 = scheduler.now(); // the charger's clock agrees with the agent's
  cp.close(); // its 4G link drops right after the RemoteStart: everything below is queued
  await cp.closed;
  skewMs += 600_000; // ten minutes later it is back
  cp = await handCharger(url, { trigger: false });
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 5000, timestamp: at(2_000) })) as { transactionId: number };
  for (let m = 1; m <= 9; m++) {
    await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: at(2_000 + m * 60_000), sampledValue: [{ value: String(5000 + m * 367) }] }] });
  }
  // 22 kW for 9 min = 3.3 kWh; then a power blip: the charger reboots, its register starts at 0.
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 40, timestamp: at(560_000), reason: "PowerLoss" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  const end = await rig.events.waitFor(isEnd, 3_000, "end");
  const fault = rig.events.events.find(isFault);
  expect({ milli: end.milli, fault: fault?.code }, fault?.message).toEqual({ milli: 9 * 367, fault: "OCPP_METER_RESET" });
  cp.close();
});
