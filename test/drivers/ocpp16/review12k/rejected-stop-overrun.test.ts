// Review 12 (9th) #1: an overrun — the whole reservation — on a RemoteStop the charger REJECTED.
// session-ending.ts:85-91 records the stop's answer (`answered()` → stopWindow.confAt) before it
// looks at the status, so a Rejected answer opens the "Charging after the stop" window just as an
// Accepted one does (onStopTimeout :170). The code's own rule (:87-89, 4b04572, docs/ocpp.md
// "The stop check follows only an Accepted RemoteStop") is that a Rejected stop is no stop the
// charger had — yet a Charging status reported after it settles an overrun, and the stop is never
// sent again. Real sequence: the customer cancels while the car is being plugged in; the stop
// goes out right after StartTransaction.conf (sessions.ts:200); the firmware has not registered
// the transaction id yet and answers Rejected; a DC charger reports Charging only after cable
// check + precharge (10-40 s later; an AC car resuming from SuspendedEV likewise). At
// stopTimeoutS the customer is charged the whole reservation (here 300 SEK for 10 Wh metered),
// OCPP_STOP_IGNORED, for a stop the charger never accepted and was never asked again.
// Expected: no overrun verdict resting on a Rejected stop — the stop is sent again.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

it("a Charging status after a REJECTED RemoteStop is not settled as an overrun (the stop is re-sent)", async () => {
  // stopTimeoutS 4: ramp-down allowance 1 s (a quarter), verdict at 4 s.
  const rig = await openRig(testConfig({ stopTimeoutS: 4, chargerSecondMs: 1000 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { answerRemoteStop: false, trigger: false });
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1010));
  // The customer cancels; the charger answers the stop Rejected (it charges on).
  const endP = rig.events.waitFor(isEnd, 15_000);
  void rig.driver.stop(1).catch(() => undefined);
  await cp.waitFor((f) => f[0] === 2 && f[2] === "RemoteStopTransaction");
  // The car pauses (SuspendedEV) and, 2 s after the answer (past the 1 s allowance), draws again:
  // Charging — what a DC charger finishing precharge, or any car resuming, reports.
  cp.status = "SuspendedEV";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "SuspendedEV" });
  await new Promise((r) => setTimeout(r, 2_000));
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  // Give the agent until well past its first stop timeout (4 s) to act.
  const first = await Promise.race([endP, new Promise((r) => setTimeout(() => r(undefined), 4_000))]);
  const stops = cp.received.filter((f) => f[0] === 2 && f[2] === "RemoteStopTransaction").length;
  const fault = rig.events.events.find((e) => isFault(e) && e.code === "OCPP_STOP_IGNORED");
  const end = first && isEnd(first as never) ? (first as { amountMinor: number; milli: number }) : undefined;
  console.log(`review12k rejected-stop: RemoteStops sent ${stops}, end ${end ? `${end.milli} Wh / ${end.amountMinor} öre` : "none"}, fault ${fault ? "OCPP_STOP_IGNORED" : "none"}`);
  expect({ overrun: fault !== undefined, settledWholeReservation: end?.amountMinor === 30_000, stopResent: stops >= 2 }).toEqual({ overrun: false, settledWholeReservation: false, stopResent: true });
  cp.close();
}, 25_000);
