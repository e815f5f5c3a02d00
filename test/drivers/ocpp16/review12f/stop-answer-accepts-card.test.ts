// Review 12f #5: StopTransaction.conf carries idTagInfo, and OCPP 1.6 §3.5.1 has a charger with an
// Authorization Cache update its entry for that idTag from it. The agent answers every
// StopTransaction that names an idTag with {status: "Accepted"} (sessions.ts:245) — also the stop
// of a transaction it REFUSED: a card it never sold to (StartTransaction answered Invalid, then
// RemoteStop). The card is then cached as Accepted: with LocalPreAuthorize it starts at once
// without asking, and with LocalAuthorizeOffline it charges for free whenever the link is down
// (no longer needing AllowOfflineTxForUnknownId). The agent itself said Invalid a second earlier.
// Expected: the stop of a refused transaction does not accept its idTag.
import { expect, it } from "vitest";
import { openRig, synced, testConfig } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

it("the StopTransaction of a refused card's transaction does not answer its idTag Accepted", async () => {
  const rig = await openRig(testConfig());
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  // A card tapped while the charger was offline (AllowOfflineTxForUnknownId): its queued start.
  const start = (await cp.call("StartTransaction", { connectorId: 1, idTag: "04A1B2C3D4E5F6", meterStart: 5000, timestamp: new Date().toISOString() })) as { transactionId: number; idTagInfo: { status: string } };
  expect(start.idTagInfo.status).toBe("Invalid");
  await cp.waitFor((f) => f[2] === "RemoteStopTransaction");
  const stop = (await cp.call("StopTransaction", { transactionId: start.transactionId, idTag: "04A1B2C3D4E5F6", meterStop: 5400, timestamp: new Date().toISOString(), reason: "Remote" })) as { idTagInfo?: { status: string } };
  expect(stop.idTagInfo?.status).not.toBe("Accepted");
  cp.close();
});
