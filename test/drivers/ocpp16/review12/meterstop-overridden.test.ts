// Review 12 #1: StopTransaction.meterStop is "the metered end" (issue 12, docs/ocpp.md), yet the
// driver settles max(highest MeterValues sample, meterStop). One sample that is not the billing
// register — an Inlet/EV-location register, a connector-0 main meter sent with the transactionId,
// a glitch — overrides the charger's own final reading, and the customer pays for energy the
// charger says it never delivered. Expected: settle meterStop − meterStart (samples are progress);
// skip sampled values whose location is not Outlet, and MeterValues whose connectorId is not the
// session's.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, scriptedTime, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample } from "./hand.ts";

// A scripted charger (scriptedTime) unless the test is about the connector's rating (the default config's).
async function startedSession(config = scriptedTime()) {
  const rig = await openRig(config);
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const st = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date().toISOString() })) as { transactionId: number };
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  return { rig, cp, tx: st.transactionId };
}

it("an Inlet-location register sample does not override the charger's meterStop", async () => {
  const { rig, cp, tx } = await startedSession();
  await cp.call("MeterValues", sample(tx, 1500));
  await cp.call("MeterValues", sample(tx, 9000, { location: "Inlet" }));
  await cp.call("MeterValues", sample(tx, 2000));
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 2000, timestamp: new Date().toISOString(), reason: "EVDisconnected" });
  const end = await rig.events.waitFor(isEnd);
  // The charger metered 2000 − 1000 = 1000 Wh (3.49 SEK); main settles 8000 Wh (27.92 SEK).
  expect(end.milli).toBe(1000);
  expect(end.amountMinor).toBe(349);
  cp.close();
});

it("a connector-0 (main meter) MeterValues carrying the transactionId is not the session's register", async () => {
  const { rig, cp, tx } = await startedSession();
  await cp.call("MeterValues", sample(tx, 1500));
  await cp.call("MeterValues", sample(tx, 5_000_000, {}, 0)); // the station's main meter
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 2000, timestamp: new Date().toISOString(), reason: "EVDisconnected" });
  const end = await rig.events.waitFor(isEnd);
  expect(end.milli).toBe(1000);
  cp.close();
});

it("a meterStop below the last sample is still the metered end (meterStop − meterStart), with an OCPP_METER_DISAGREES alarm", async () => {
  const { rig, cp, tx } = await startedSession();
  await cp.call("MeterValues", sample(tx, 1500));
  await cp.call("MeterValues", sample(tx, 2500));
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 1200, timestamp: new Date().toISOString(), reason: "EVDisconnected" });
  const end = await rig.events.waitFor(isEnd);
  expect(end.milli).toBe(200);
  expect(rig.events.events.find(isFault)).toMatchObject({ code: "OCPP_METER_DISAGREES", transactionId: "P1-flow-1" });
  cp.close();
});

it("a meterStop below meterStart (register reset): the progress seen, never above the connector's power × the session's time, OCPP_METER_RESET", async () => {
  // A 22 kW connector, declared: an unset rating bounds bills only at the 1 MW ceiling (review 12n #2).
  const { rig, cp, tx } = await startedSession(testConfig({ chargers: [{ id: "CP-1", maxPowerW: 22_000, connectors: [{ connectorId: 1, point: 1 }] }] }));
  const startedAt = Date.now();
  await cp.call("MeterValues", sample(tx, 1500));
  await cp.call("MeterValues", sample(tx, 2500)); // 1500 Wh in well under a second: impossible at 22 kW
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 500, timestamp: new Date().toISOString(), reason: "EVDisconnected" });
  const end = await rig.events.waitFor(isEnd);
  const elapsed = Date.now() - startedAt + 1000;
  expect(end.milli).toBeLessThanOrEqual(Math.floor((22_000 * elapsed) / 3_600_000));
  expect(rig.events.events.find(isFault)).toMatchObject({ code: "OCPP_METER_RESET", transactionId: "P1-flow-1" });
  cp.close();
});

it("a meterStop at or above the last sample is the metered end, without an alarm", async () => {
  const { rig, cp, tx } = await startedSession();
  await cp.call("MeterValues", sample(tx, 1500));
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 1700, timestamp: new Date().toISOString(), reason: "EVDisconnected" });
  expect((await rig.events.waitFor(isEnd)).milli).toBe(700);
  expect(rig.events.count(isFault)).toBe(0);
  cp.close();
});
