// Review 13c C1, the same root beyond the limit stop: a failed write must never suppress a stop or
// a retry.
// 1. The engine's stop(point) while a fault stop's write is on its way: requestStop saw `stop` in
//    memory and only waited; the fault stop's write failed and was taken back, and requestStop
//    returned without writing its own — stop() then waited for an end no RemoteStop had asked for
//    (the Faulted status is not sent again: nobody asked again).
// 2. finish() cleared the session's timers before its write: a stop-missing settlement whose write
//    failed left the session delivering with no timer, so it was never settled (a silent charger
//    is settled only when the engine stops it).
import { expect, it } from "vitest";
import { isEnd, isFault, waitUntil } from "../drivers/ocpp16/helpers.ts";
import { charging, GatedStore } from "./gated-store.ts";

it("stop(point) during a fault stop's failing write sends its own stop and ends", async () => {
  const store = new GatedStore();
  const { rig, cp, tx } = await charging(store);
  store.failNextSale({ hold: true });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "GroundFailure", status: "Faulted" }); // the fault stop's write is held
  await waitUntil(() => store.held, 5_000, "fault stop write on its way");
  const stopped = rig.driver.stop(1); // sees the fault stop in memory
  store.release(); // the fault stop's write fails and is taken back
  await cp.waitFor((f) => f[2] === "RemoteStopTransaction", 5_000); // fails before: nothing sent
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 5, timestamp: new Date().toISOString(), reason: "Remote" });
  await stopped;
  expect(rig.events.events.filter(isEnd)).toMatchObject([{ milli: 5 }]);
  cp.close();
}, 20_000);

it("a stop-missing settlement whose write failed is settled again by its timer", async () => {
  const store = new GatedStore();
  const { rig, cp, tx } = await charging(store);
  await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: "40", unit: "Wh" }] }] });
  store.failNextSale(); // the settlement's write fails once
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Finishing" }); // ended, and no StopTransaction comes
  await waitUntil(() => rig.events.events.some((e) => isFault(e) && e.code === "OCPP_DRIVER_FAILED"), 5_000, "the settlement's write failed");
  await rig.events.waitFor(isEnd, 5_000); // fails before: no timer left, never settled
  expect(rig.events.events.filter(isEnd)).toHaveLength(1);
  expect(rig.events.events.some((e) => isFault(e) && e.code === "OCPP_STOP_MISSING")).toBe(true);
  cp.close();
}, 20_000);
