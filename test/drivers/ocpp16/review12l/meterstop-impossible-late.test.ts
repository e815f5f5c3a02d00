// Review 12 (10th) — ba451c0's bound on meterStop is measured to when the StopTransaction is
// PROCESSED, not to when the session ended: sessions.ts:280 takes this.plausible.plausibility(s),
// whose elapsedMs is now − authorizedAt (session-plausibility.ts:56-58). A charger that was offline
// delivers its StopTransaction late — the case issue 12 names ("delivers its queued transaction
// messages late") — and every minute of the outage adds 2 × rated power × 1 min to what the check
// (metering.ts:200, sanityWh :172-174) lets through. At the default 22 kW: +733 Wh a minute,
// 88 kWh (more than the 300 SEK reservation buys) after 2 hours offline — from then on the
// zero-based-meterStart / corrupted meterStop the commit was written for is settled as is, and the
// flow commits the whole reservation. The StopTransaction carries its own timestamp (strict in
// validation.ts), and the clock bound of 4f1ad98 (charger-state.ts) could bound when it was taken.
// Here, scaled down: 22 kW, the reservation buys 286 Wh (1 SEK), a 2 s session that metered 10 Wh;
// the charger goes offline and delivers StopTransaction (stamped at its real end, 2 s in) 30 s later
// with meterStop − meterStart = 350 Wh. Delivered at once, the same message is caught
// (OCPP_METER_DISAGREES, 10 Wh); delivered late: END 350 Wh, above the reservation, no OCPP alarm.
// Expected: the same settlement whether the StopTransaction came at once or after the outage.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

const OFFLINE_MS = Number(process.env.REVIEW12L_OFFLINE_MS ?? 30_000); // 0: the control

it("a meterStop no connector could reach is caught also when its StopTransaction comes late", async () => {
  // A 22 kW connector, declared: an unset rating bounds bills only at the 1 MW ceiling (review 12n #2).
  const rig = await openRig(testConfig({ chargerSecondMs: 1000, lateStopWaitS: 60 , chargers: [{ id: "CP-1", maxPowerW: 22_000, connectors: [{ connectorId: 1, point: 1 }] }] }));
  const url = `${rig.driver.url}/CP-1`;
  const cp = await handCharger(url);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd({ limitMinor: 100 }));
  const { tx } = await startTransaction(cp);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await new Promise((r) => setTimeout(r, 1_000)); // the charger's own sampling pace
  await cp.call("MeterValues", sample(tx, 1005));
  await new Promise((r) => setTimeout(r, 1_000));
  await cp.call("MeterValues", sample(tx, 1010));
  const endedAt = new Date().toISOString(); // the session ends at the charger now (a local stop)
  let link = cp;
  if (OFFLINE_MS > 0) {
    cp.close();
    await cp.closed;
    await new Promise((r) => setTimeout(r, OFFLINE_MS)); // the outage: the charger's backlog waits
    link = await handCharger(url);
  }
  const endP = rig.events.waitFor(isEnd, 10_000);
  await link.call("StopTransaction", { transactionId: tx, meterStop: 1000 + 350, timestamp: endedAt, reason: "Local" });
  const end = (await endP) as { milli: number; amountMinor: number };
  const alarm = rig.events.events.find((e) => isFault(e) && e.code === "OCPP_METER_DISAGREES");
  console.log(`review12l meterstop-late (delivered ${OFFLINE_MS} ms late): reservation 286 Wh, samples 10 Wh, meterStop − meterStart 350 Wh; settled ${end.milli} Wh / ${end.amountMinor} öre; ${alarm ? "OCPP_METER_DISAGREES" : "no OCPP alarm"}`);
  expect({ settledAsIs: end.milli === 350, alarmed: alarm !== undefined }).toEqual({ settledAsIs: false, alarmed: true });
  link.close();
}, 60_000);
