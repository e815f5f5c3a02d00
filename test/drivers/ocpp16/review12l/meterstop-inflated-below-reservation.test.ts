// Review 12 (10th) — ba451c0 leaves a physically impossible meterStop BELOW the reservation
// settled as is, and silently. metering.ts settleAtStop (:200) treats meterStop − meterStart as
// "impossible" only above max(2 × rated × time + 10 Wh, the reservation's energy)
// (impossibleAboveWh :182-184). Between the two, the figure no connector could deliver is the
// settled one, and the normal branch (:214-) raises OCPP_METER_DISAGREES only for a sample ABOVE
// meterStop or a backwards one — never for a meterStop above everything: no alarm at all.
// Real quirk (MicroOcpp #66, Java-OCA-OCPP #331): zero-based meterStart with an absolute register
// in meterStop on a charger whose lifetime register is still small (weeks after commissioning:
// 50 kWh), or a corrupted meterStop. Here: 22 kW connector, ~2 s session, samples show 10 Wh,
// StopTransaction meterStop = meterStart + 50 000 Wh (the 300 SEK reservation buys 85 961 Wh).
// Measured on be77eaa: END 50 000 Wh / 17 450 öre for 10 Wh delivered, no OCPP alarm — the customer
// pays 174.50 SEK for 0.035 SEK of energy and nobody is told to refund.
// Expected: bounded like the above-reservation case (the plausible progress), or at the very least
// the OCPP_METER_DISAGREES alarm that tells the operator to refund.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

it("a meterStop no connector could reach, below the reservation, is neither settled as is nor silent", async () => {
  // A 22 kW connector, declared: an unset rating bounds bills only at the 1 MW ceiling (review 12n #2).
  const rig = await openRig(testConfig({ chargerSecondMs: 1000 , chargers: [{ id: "CP-1", maxPowerW: 22_000, connectors: [{ connectorId: 1, point: 1 }] }] }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  const authorizedAt = Date.now();
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await new Promise((r) => setTimeout(r, 1_000)); // the charger's own sampling pace
  await cp.call("MeterValues", sample(tx, 1005));
  await new Promise((r) => setTimeout(r, 1_000));
  await cp.call("MeterValues", sample(tx, 1010));
  const endP = rig.events.waitFor(isEnd, 5_000);
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 1000 + 50_000, timestamp: new Date().toISOString(), reason: "Local" });
  const end = (await endP) as { milli: number; amountMinor: number };
  const elapsedMs = Date.now() - authorizedAt;
  const ratedWh = Math.ceil((2 * 22_000 * elapsedMs) / 3_600_000) + 10;
  const alarm = rig.events.events.find((e) => isFault(e) && e.code.startsWith("OCPP_"));
  console.log(`review12l meterstop-inflated: session ${elapsedMs} ms (at most ${ratedWh} Wh by 2 × 22 kW + 10 Wh); samples 10 Wh; settled ${end.milli} Wh / ${end.amountMinor} öre (reservation 30000 öre = 85961 Wh); OCPP alarm ${alarm && isFault(alarm) ? alarm.code : "none"}`);
  expect({ withinRatedPower: end.milli <= ratedWh, alarmed: alarm !== undefined }).toEqual({ withinRatedPower: true, alarmed: true });
  cp.close();
}, 15_000);
