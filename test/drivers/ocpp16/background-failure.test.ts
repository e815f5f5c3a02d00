// Review 12f observation: a step the driver runs on its own (here the limit stop a MeterValues
// asks for, after its answer) whose durable write fails has nobody awaiting it. It was an
// unhandled rejection — fatal under Node 20 (vitest reports it as an error). Now it is logged and
// raised as OCPP_DRIVER_FAILED naming the step and the session.
import { expect, it } from "vitest";
import { MemoryDriverStore } from "../../../contracts/driver-store.ts";
import { authorizeCmd, isCall, isFault, isProgress, openRig, synced, testConfig, waitUntil } from "./helpers.ts";
import { handCharger } from "./review12/hand.ts";

class FailingStore extends MemoryDriverStore {
  /** Puts that still succeed before every further one fails (Infinity: never fails). */
  okPuts = Infinity;
  override async put(key: string, value: unknown): Promise<void> {
    if (this.okPuts-- <= 0) throw Object.assign(new Error("SQLITE_FULL: database or disk is full"), { code: "SQLITE_FULL" });
    return super.put(key, value);
  }
}

it("a failed durable write of the limit stop is an OCPP_DRIVER_FAILED alarm, not an unhandled rejection", async () => {
  const store = new FailingStore();
  const rig = await openRig(testConfig({ chargerSecondMs: 1000 }), { store });
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
  await rig.driver.authorize(authorizeCmd({ limitMinor: 1000 }));
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 0, timestamp: new Date().toISOString() })) as { transactionId: number };
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  store.okPuts = 2; // the meter clock's bound (meter-clock-store.ts) and the sample are written; the stop it asks for is not
  expect(await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: "2500", unit: "Wh" }] }] })).toEqual({});
  await waitUntil(() => rig.events.events.some((e) => isFault(e) && e.code === "OCPP_DRIVER_FAILED"), 5_000, "OCPP_DRIVER_FAILED");
  expect(rig.events.events.some((e) => isProgress(e) && e.milli === 2500)).toBe(true);
  expect(rig.events.events.find((e) => isFault(e) && e.code === "OCPP_DRIVER_FAILED")).toMatchObject({ point: null, message: expect.stringMatching(/limit stop of session P1-flow-1 failed \(SQLITE_FULL/) });
  store.okPuts = Infinity;
  cp.close();
});
