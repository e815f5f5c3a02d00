// Review 12f #7 (beyond its repro, review12f/inlet-register): a charging session whose MeterValues
// carry no usable register raises OCPP_NO_REGISTER once, naming the charger and what it sends;
// a session that did send a register is not alarmed for a later message of other measurands.
import { expect, it } from "vitest";
import { describeSampledValues } from "../../../drivers/ocpp16/readings.ts";
import { authorizeCmd, isCall, isFault, openRig, synced, testConfig } from "./helpers.ts";
import { handCharger } from "./review12/hand.ts";

it("describes what a meter value carries", () => {
  const ts = "2026-12-01T10:00:00Z";
  expect(describeSampledValues([{ timestamp: ts, sampledValue: [{ value: "1", location: "Inlet", unit: "Wh" }, { value: "2", phase: "L1", measurand: "Current.Import", unit: "A" }, { value: "x", format: "SignedData" }] }])).toEqual([
    "Energy.Active.Import.Register at Inlet (Wh)",
    "Current.Import phase L1 (A)",
    "Energy.Active.Import.Register SignedData",
  ]);
});

async function charging() {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
  await rig.driver.authorize(authorizeCmd());
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date().toISOString() })) as { transactionId: number };
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  const mv = (sampledValue: unknown[]) => cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue }] });
  return { rig, cp, mv };
}

const noRegister = (rig: Awaited<ReturnType<typeof charging>>["rig"]) => rig.events.events.filter((e) => isFault(e) && e.code === "OCPP_NO_REGISTER");

it("one alarm per session for MeterValues with no usable register, naming the charger and what it sends", async () => {
  const { rig, cp, mv } = await charging();
  for (const wh of ["1002", "1004", "1006"]) await mv([{ value: wh, location: "Inlet", unit: "Wh" }, { value: "7000", measurand: "Power.Active.Import", unit: "W" }]);
  expect(noRegister(rig)).toHaveLength(1);
  expect(noRegister(rig)[0]).toMatchObject({ point: null, message: expect.stringMatching(/charger CP-1 connector 1 \(point 1\).*Energy\.Active\.Import\.Register at Inlet \(Wh\); Power\.Active\.Import \(W\)/) });
  cp.close();
});

it("no alarm for a message of other measurands after the session's register came", async () => {
  const { rig, cp, mv } = await charging();
  await mv([{ value: "1002", unit: "Wh" }]);
  await mv([{ value: "7000", measurand: "Power.Active.Import", unit: "W" }]);
  expect(noRegister(rig)).toEqual([]);
  cp.close();
});
