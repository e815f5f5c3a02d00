// Review 12 #10 (LOW): the agent set only the two meter keys, and a charger refusing them was a
// log line: every session then stopped on the stall rule and nobody knew why. ConnectionTimeOut
// (often 60 s on chargers) was left shorter than the customer's confirmation time, so a slow
// customer found the charger back at Available with the cable in: read as an unplug, cancelled.
// Now: ConnectionTimeOut is set (connectionTimeOutS), and a refused meter key raises
// device-fault-OCPP_CONFIG_REFUSED — against the virtual charge point, over a real WebSocket.
import { expect, it } from "vitest";
import { isFault, openRig, synced, waitUntil } from "../helpers.ts";

it("ConnectionTimeOut is set on the charger; a charger refusing MeterValueSampleInterval raises OCPP_CONFIG_REFUSED", async () => {
  const rig = await openRig();
  const cp = await rig.chargePoint({}, (c) => c.configuration.delete("MeterValueSampleInterval"));
  await synced(rig);
  const fault = await rig.events.waitFor(isFault, 5_000, "config fault");
  expect(fault).toMatchObject({ point: null, code: "OCPP_CONFIG_REFUSED", message: expect.stringContaining("MeterValueSampleInterval") });
  // The fault is raised as the interval is refused; ConnectionTimeOut is the next key set.
  await waitUntil(() => cp.configuration.get("ConnectionTimeOut") === "180", 5_000, "ConnectionTimeOut set");
  expect(cp.configuration.get("MeterValuesSampledData")).toBe("Energy.Active.Import.Register");
});

// Review 12b #7: a refused StartTransaction must end at the charger too.
it("StopTransactionOnInvalidId=true is set on connect; a charger refusing it raises OCPP_CONFIG_REFUSED naming it", async () => {
  const rig = await openRig();
  const ok = await rig.chargePoint();
  await synced(rig);
  await waitUntil(() => ok.configuration.get("StopTransactionOnInvalidId") === "true", 5_000, "StopTransactionOnInvalidId set");
  expect(rig.events.count(isFault)).toBe(0);
  ok.close();
  const rig2 = await openRig();
  await rig2.chargePoint({}, (c) => c.configuration.delete("StopTransactionOnInvalidId"));
  const fault = await rig2.events.waitFor(isFault, 5_000, "config fault");
  expect(fault).toMatchObject({ point: null, code: "OCPP_CONFIG_REFUSED", message: expect.stringContaining("StopTransactionOnInvalidId") });
});
