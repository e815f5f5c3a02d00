// Review 12 #12 (LOW): a Faulted connector 0 (the charger as a whole) faults every connector's
// running session (driver.ts onStatusNotification), but it is not remembered as a fault of the
// points: status() still shows the connector's own state, and a new customer's payment is
// authorized and RemoteStarted on a charger that says it is faulted as a whole.
// Expected: while connector 0 is Faulted, every point of that charger is `fault`, and authorize
// refuses FAULT (as it does for a Faulted connector).
import { expect, it } from "vitest";
import { authorizeCmd, isCall, openRig, synced } from "../helpers.ts";
import { handCharger } from "./hand.ts";

it("a charger faulted as a whole (connector 0) is not sold to the next customer", async () => {
  const rig = await openRig();
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  await cp.call("StatusNotification", { connectorId: 0, errorCode: "GroundFailure", status: "Faulted" });
  cp.status = "Preparing";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  // main: a customer call on a faulted charger (the flow would ask for a payment). The Preparing
  // was answered, so it was processed: no call, the point is `fault`, authorize refuses FAULT.
  expect(rig.events.count(isCall)).toBe(0);
  expect((await rig.driver.status())[0]?.state).toBe("fault");
  await expect(rig.driver.authorize(authorizeCmd())).rejects.toMatchObject({ context: { reason: "FAULT" } });
  // Connector 0 back to Available: the points sell again.
  await cp.call("StatusNotification", { connectorId: 0, errorCode: "NoError", status: "Available" });
  expect((await rig.driver.status())[0]?.state).toBe("calling");
  cp.close();
});
