// Review 12 (12th) — 07f8410 makes the agent's own "authorization → arrival" time a hard cap on EVERY
// meterStop (metering.ts stopElapsedMs: min(agent, charger span); impossibleAboveWh), where before it
// capped only a meterStop above the reservation. That agent time is `scheduler.now() − authorizedAt`
// (session-plausibility.ts:57), authorizedAt journaled by the process that authorized. base/clock.ts:
// now() is the wall clock read ONCE at process start plus monotonic time — "it re-anchors to the wall
// clock at each start". So a wall-clock correction backwards that happened while the agent ran (the
// host's RTC kept in local time, CET = UTC+1, NTP fixing it minutes after an agent started at boot; a
// technician setting the time) is invisible until the next restart, and then every session open
// across that restart has agent time ≈ 0 (negative, clamped): the bound is 10 Wh, and the correct
// meterStop of a compliant charger (its clock right, its span right) is "impossible" → the plausible
// progress capped at plausibleWh(rated, 0) = 0 Wh is settled. OCPP_METER_DISAGREES.
// Control REVIEW12N_STEP_MS=0: the same restart without the step: meterStop − meterStart settled.
// Expected: a compliant charger's meterStop, within 2 × rated × ITS span, settled as is.
import { expect, it } from "vitest";
import type { Scheduler } from "../../../../agent/core/clock.ts";
import { systemScheduler } from "../../../../drivers/dispenser/line-driver.ts";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

const STEP_MS = Number(process.env.REVIEW12N_STEP_MS ?? 3_600_000); // 0: the control
const shifted = (ms: number): Scheduler => ({ now: () => systemScheduler.now() + ms, setTimer: systemScheduler.setTimer });

it("a session open across an agent restart that re-anchored the clock settles the charger's meterStop", async () => {
  const config = testConfig({ chargerSecondMs: 1000, maxSessionS: 7200, chargers: [{ id: "CP-1", maxPowerW: 22_000, connectors: [{ connectorId: 1, point: 1 }] }] });
  // First process: started while the host clock was STEP_MS ahead (NTP fixed the wall clock later; now() keeps its anchor).
  let rig = await openRig(config, { scheduler: shifted(STEP_MS) });
  const url = `${rig.driver.url}/CP-1`;
  const cp = await handCharger(url, { trigger: false });
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp); // the charger's own clock is right (NTP)
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  let wh = 1000;
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 1000)); // its sampling interval
    await cp.call("MeterValues", sample(tx, (wh += 5))); // 18 kW on a 22 kW connector
  }
  // The agent restarts (an upgrade): re-anchored to the corrected wall clock.
  const port = rig.driver.port;
  await rig.driver.close();
  await cp.closed;
  rig = await openRig({ ...config, listen: { ...config.listen, port } }, { store: rig.store, scheduler: shifted(0) });
  const back = await handCharger(url, { trigger: false });
  back.status = "Charging";
  await back.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    await back.call("MeterValues", sample(tx, (wh += 5)));
  }
  const endP = rig.events.waitFor(isEnd, 10_000);
  await back.call("StopTransaction", { transactionId: tx, meterStop: wh, timestamp: new Date().toISOString(), reason: "EVDisconnected" });
  const end = (await endP) as { milli: number; amountMinor: number };
  const fault = rig.events.events.find(isFault);
  console.log(`review12n reanchored (step ${STEP_MS} ms): meterStop − meterStart ${wh - 1000} Wh over ~6 s at 18 kW; settled ${end.milli} Wh / ${end.amountMinor} öre; ${fault ? `${fault.code}: ${(fault as { message: string }).message}` : "no alarm"}`);
  expect({ milli: end.milli, alarm: fault?.code }).toEqual({ milli: wh - 1000, alarm: undefined });
  back.close();
}, 30_000);
