// Review 12 (12th) — 07f8410 turns maxPowerW from a stop MARGIN into a hard cap on EVERY bill, and
// its default is 22 kW. config.ts:33 documents a connector's maxPowerW as "sizes the stop margin for
// one sampling interval"; config.ts:48 defaults the charger's to 22 000 W (so metering.ts's
// DEFAULT_MAX_POWER_W = 350 kW "a high-power DC charger" is never reached from a config). Until
// 07f8410 a meterStop within the reservation was settled as is whatever the rating; now
// meterStop − meterStart above 2 × maxPowerW × the session's time + 10 Wh is "impossible", and the
// plausible progress is settled — whose every step a 150 kW DC charger's samples exceed (a step is
// measured from the last ACCEPTED reading, so the allowance never catches up): 0 Wh, every session,
// for every DC charger whose entry leaves maxPowerW out.
// Sequence: a DC charger (150 kW, entry without maxPowerW), a 6 s session sampled every second
// (41 Wh a sample), StopTransaction meterStop = meterStart + 250.
// Control REVIEW12N_RATED=150000 (maxPowerW set): settled 250 Wh.
// Expected: a compliant charger delivering at ITS rating is billed its meterStop (or the config
// refuses/alarms an unset rating before the first session, not OCPP_METER_DISAGREES after each).
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

const RATED = process.env.REVIEW12N_RATED ? Number(process.env.REVIEW12N_RATED) : undefined;

it("a DC charger at its 150 kW rating, its entry without maxPowerW, is billed its meterStop", async () => {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000, chargers: [{ id: "CP-1", ...(RATED ? { maxPowerW: RATED } : {}), connectors: [{ connectorId: 1, point: 1 }] }] }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  let wh = 1000;
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 1000)); // its sampling interval
    await cp.call("MeterValues", sample(tx, (wh = 1000 + Math.round((150_000 * (i + 1)) / 3600)))); // 150 kW
  }
  wh = 1250;
  const endP = rig.events.waitFor(isEnd, 5_000);
  await cp.call("StopTransaction", { transactionId: tx, meterStop: wh, timestamp: new Date().toISOString(), reason: "EVDisconnected" });
  const end = (await endP) as { milli: number; amountMinor: number };
  const fault = rig.events.events.find(isFault);
  console.log(`review12n dc-default-rating (maxPowerW ${RATED ?? "unset → 22000"}): meterStop − meterStart 250 Wh in ~6 s at 150 kW; settled ${end.milli} Wh / ${end.amountMinor} öre; ${fault ? `${fault.code}: ${(fault as { message: string }).message}` : "no alarm"}`);
  expect(end.milli).toBe(250);
  cp.close();
}, 20_000);
