// Review 12 #10 (LOW): the agent set only the two meter keys, and a charger refusing them was a
// log line: every session then stopped on the stall rule and nobody knew why. ConnectionTimeOut
// (often 60 s on chargers) was left shorter than the customer's confirmation time, so a slow
// customer found the charger back at Available with the cable in: read as an unplug, cancelled.
// Now: ConnectionTimeOut is set (connectionTimeOutS), and a refused meter key raises
// device-fault-OCPP_CONFIG_REFUSED — against the virtual charge point, over a real WebSocket.
import { expect, it } from "vitest";
import { isFault, openRig, synced } from "../helpers.ts";

it("ConnectionTimeOut is set on the charger; a charger refusing MeterValueSampleInterval raises OCPP_CONFIG_REFUSED", async () => {
  const rig = await openRig();
  const cp = await rig.chargePoint({}, (c) => c.configuration.delete("MeterValueSampleInterval"));
  await synced(rig);
  const fault = await rig.events.waitFor(isFault, 5_000, "config fault");
  expect(fault).toMatchObject({ point: null, code: "OCPP_CONFIG_REFUSED", message: expect.stringContaining("MeterValueSampleInterval") });
  expect(cp.configuration.get("ConnectionTimeOut")).toBe("180");
  expect(cp.configuration.get("MeterValuesSampledData")).toBe("Energy.Active.Import.Register");
});
