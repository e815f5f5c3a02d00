// Review 12f #6: readings.ts:30 skips every register whose location is not Outlet. An AC charger
// with one MID meter at its grid connection reports that meter — the one its meterStart and
// meterStop come from — as location "Inlet" (OCPP 1.6 §7.31: "measurement at network inlet").
// Its sessions then show no progress at all, silently (no alarm, no log): no limit stop (the
// charger runs on past the reservation's margin) and the flows' stall rule (deliveryStallS 30)
// stops every customer after 30 s. Expected: the only register a charger reports is its
// progress, or at the least an alarm says why a charging session reports none.
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isFault, isProgress, openRig, synced, testConfig } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

it("a charger whose only register is at its grid inlet reports progress (or raises an alarm)", async () => {
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
  for (const wh of [1002, 1004, 1006]) {
    await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(wh), measurand: "Energy.Active.Import.Register", location: "Inlet", unit: "Wh" }] }] });
    await new Promise((r) => setTimeout(r, 200));
  }
  const progressed = rig.events.events.some((e) => isProgress(e) && e.milli > 0);
  const alarmed = rig.events.events.some(isFault);
  expect({ progressed, alarmed }).not.toEqual({ progressed: false, alarmed: false });
  cp.close();
});
