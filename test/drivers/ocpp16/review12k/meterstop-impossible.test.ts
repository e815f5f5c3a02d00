// Review 12 (9th) #3: a meterStop no connector could have reached is settled silently. metering.ts
// settleAtStop (:175-182) settles meterStop − meterStart whenever meterStop ≥ meterStart, with no
// bound — while every other settlement (progress, stop-missing, unconfirmed, overrun) is bounded by
// the rated power over the session's time or the reservation, and the plausible track already
// rejects each such step in the samples. The OCPP_METER_DISAGREES alarm (:181) only fires when a
// sample is ABOVE meterStop, never when meterStop is above everything the samples and the rated
// power allow. Real firmware: a zero-based meterStart with an absolute register in meterStop
// (MicroOcpp #66, Java-OCA-OCPP #331: "charge points reset the meter on each reboot, others on
// each transaction, others never"), a corrupted/bit-flipped meterStop. Here: 22 kW connector,
// ~2 s session, samples 10 Wh, meterStop = meterStart + 1 000 000 Wh. The driver reports an END of
// 1 MWh / 3 490 SEK (the reservation is 300 SEK) with no OCPP alarm; the flow then commits the
// whole reservation (preliminary-steps.ts:139-146, its generic "overrun" alarm: "metered above the
// reservation") and its invoice rows carry 1 000 kWh.
// Expected: a physically impossible meterStop is not the settled figure (bounded like any other
// settlement, with OCPP_METER_DISAGREES naming it).
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

it("a meterStop above what the connector's rated power allows in the session is not settled as is", async () => {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  const authorizedAt = Date.now();
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  // Two samples a second apart (the charger's own pace), 5 Wh each: plausible at 22 kW.
  await new Promise((r) => setTimeout(r, 1_000));
  await cp.call("MeterValues", sample(tx, 1005));
  await new Promise((r) => setTimeout(r, 1_000));
  await cp.call("MeterValues", sample(tx, 1010));
  const endP = rig.events.waitFor(isEnd, 5_000);
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 1000 + 1_000_000, timestamp: new Date().toISOString(), reason: "Local" });
  const end = (await endP) as { milli: number; amountMinor: number };
  const elapsedMs = Date.now() - authorizedAt;
  // The metering rule's own sanity bound (metering.ts:87-96): twice the rated power (default 22 kW) over the session, plus 10 Wh.
  const ratedWh = Math.ceil((2 * 22_000 * elapsedMs) / 3_600_000) + 10;
  const disagrees = rig.events.events.find((e) => isFault(e) && e.code === "OCPP_METER_DISAGREES");
  console.log(`review12k meterstop-impossible: session ${elapsedMs} ms (2 × 22 kW + 10 Wh: at most ${ratedWh} Wh); settled ${end.milli} Wh / ${end.amountMinor} öre (reservation 30000); OCPP alarm ${disagrees ? "OCPP_METER_DISAGREES" : "none"}`);
  expect({ withinRatedPower: end.milli <= ratedWh, alarmed: disagrees !== undefined }).toEqual({ withinRatedPower: true, alarmed: true });
  cp.close();
}, 15_000);
