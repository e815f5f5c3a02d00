// Counterpart of restart-drain-overrun (review 12n #1): the meter clock bound stored before the
// restart still lets a charger that accepts the stop and charges on, stamping live, be caught as an
// overrun after the restart — the fix loses no true evidence.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";
import { STAMPED_EVIDENCE } from "../../../../drivers/ocpp16/session-evidence.ts";

// Stamped samples are no overrun evidence while STAMPED_EVIDENCE is off (issue 12 review 13 #1/#2: false overruns); this test is the capability for when a bound can be proven live.
it.skipIf(!STAMPED_EVIDENCE)("after an agent restart, a charger that accepts the stop and charges on, stamping live, is still an overrun", async () => {
  let rig = await openRig(testConfig({ stopTimeoutS: 4, syncTimeoutS: 5, lateStopWaitS: 30, chargerSecondMs: 1000 }));
  const url = `${rig.driver.url}/CP-1`;
  const cp = await handCharger(url, { trigger: false });
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp, () => Date.now() - 120_000);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1010)); // live: the meter clock's bound, stored
  rig = await rig.restart();
  await cp.closed;
  const endP = rig.events.waitFor(isEnd, 30_000);
  await rig.driver.stop(1).catch(() => undefined);
  const cp2 = await handCharger(url, { trigger: false });
  cp2.status = "Charging";
  await cp2.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  let wh = 1010;
  let ended = false;
  void endP.then(() => (ended = true));
  // It accepts the stop (the hand charger answers Accepted) and charges on, sampling live every second.
  for (let i = 0; i < 25 && !ended; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    await cp2.call("MeterValues", sample(tx, (wh += 3))).catch(() => undefined);
  }
  const end = (await endP) as { milli: number; amountMinor: number; endedBy?: string };
  const fault = rig.events.events.find((e) => isFault(e) && e.code.startsWith("OCPP_STOP_"));
  console.log(`review12n restart-live: charged on to ${wh} Wh; settled ${end.milli} Wh / ${end.amountMinor} öre; ${fault && isFault(fault) ? fault.code : "no alarm"}`);
  expect(fault && isFault(fault) ? fault.code : undefined).toBe("OCPP_STOP_IGNORED");
  cp2.close();
}, 45_000);
