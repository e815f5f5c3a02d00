// Review 12 (10th) — 4f1ad98: one message stamped AHEAD disables the Charging-after-stop evidence for
// the charger for the runtime's whole life. charger-state.ts observeChargerClock (:51-54) keeps the
// least (arrival − stamp) over every stamped message and never lets it rise again; takenBy (:65-67)
// then puts every later status at stamp + that least. A Swedish charger whose metering module stamps
// local time (CET, UTC+1) marked "Z" while its status module stamps UTC — the very quirk the comment
// names — pushes the least to about −1 h with its first sample: every live, correctly stamped
// Charging afterwards "was taken" an hour before it arrived (session-ending.ts:200-201), so a
// charger that ACCEPTS the stop and keeps charging (reporting Charging, live) is never an overrun.
// Without TriggerMessage (a firmware answering NotImplemented) there is no register evidence either:
// the agent re-sends the stop until the last safe moment and settles the progress seen.
// No alarm says the charger's clocks disagree. Issue 12: "a charger that ignores RemoteStop is
// handled as an overrun (reserved amount, alarm)".
// Control (same test, samples stamped in UTC): OCPP_STOP_IGNORED at the stop timeout.
// Expected: OCPP_STOP_IGNORED here too (e.g. a bound that recovers, or per-message-kind bounds, or an
// alarm and arrival-time judging when a charger's stamps contradict each other by more than the link delay).
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";
import { STAMPED_EVIDENCE } from "../../../../drivers/ocpp16/session-evidence.ts";

const AHEAD_MS = Number(process.env.REVIEW12L_AHEAD_MS ?? 3_600_000); // 0: the control

// Stamped samples are no overrun evidence while STAMPED_EVIDENCE is off (issue 12 review 13 #1/#2: false overruns); this test is the capability for when a bound can be proven live.
it.skipIf(!STAMPED_EVIDENCE)("a charger that accepts the stop and reports Charging live is an overrun even if its meter module stamps local time as Z", async () => {
  const rig = await openRig(testConfig({ stopTimeoutS: 4, chargerSecondMs: 1000 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging", timestamp: new Date().toISOString() });
  const localAsZ = (wh: number) => {
    const s = sample(tx, wh);
    s.meterValue[0]!.timestamp = new Date(Date.now() + AHEAD_MS).toISOString();
    return s;
  };
  await cp.call("MeterValues", localAsZ(1010));
  const endP = rig.events.waitFor(isEnd, 15_000);
  void rig.driver.stop(1).catch(() => undefined);
  await cp.waitFor((f) => f[0] === 2 && f[2] === "RemoteStopTransaction");
  // Accepted (hand.ts) — and it charges on: a sample every second, and 2 s after the answer (past the
  // 1 s allowance) its status module reports Charging again, stamped correctly in UTC.
  let wh = 1010;
  let done = false;
  void endP.then(() => (done = true), () => (done = true));
  const samples = (async () => {
    while (!done) {
      await cp.call("MeterValues", localAsZ((wh += 6))).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  cp.status = "SuspendedEV";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "SuspendedEV", timestamp: new Date().toISOString() });
  await new Promise((r) => setTimeout(r, 2_000));
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging", timestamp: new Date().toISOString() });
  const first = await Promise.race([endP, new Promise((r) => setTimeout(() => r(undefined), 6_000))]);
  done = true;
  await samples;
  const fault = rig.events.events.find((e) => isFault(e) && e.code === "OCPP_STOP_IGNORED");
  const stops = cp.received.filter((f) => f[0] === 2 && f[2] === "RemoteStopTransaction").length;
  const end = first && isEnd(first as never) ? (first as { amountMinor: number; milli: number }) : undefined;
  console.log(`review12l clock-ahead (samples ${AHEAD_MS} ms ahead): RemoteStops accepted ${stops}, charger charged on to ${wh - 1000} Wh, end ${end ? `${end.milli} Wh / ${end.amountMinor} öre` : "none within 6 s"}, ${fault ? "OCPP_STOP_IGNORED" : "no overrun"}`);
  expect(fault !== undefined).toBe(true);
  cp.close();
}, 30_000);
