// Review 12d #1/#3, the other half: a charger that answers RemoteStop Accepted and then says
// nothing more (no StopTransaction, no status, no samples) gives no conclusive evidence either
// way. The agent must neither charge the whole reservation nor let the flow reach its commit
// deadline with the session still "stopping" (it parks; the reservation lapses unpaid): it
// re-sends the stop until the last safe moment — the session cap plus one stopTimeoutS, which
// module.ts budgets before the commit deadline — then settles the plausible progress with
// OCPP_STOP_UNCONFIRMED. A real charger: chargerSecondMs 1000, 22 kW.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, startTransaction } from "../review12/hand.ts";

it("a charger silent after accepting the session-time stop is settled with its progress at the last safe moment, not as an overrun and not never", async () => {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000, maxSessionS: 1, stopTimeoutS: 1 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await bootAndPlugIn(rig, cp);
  const authorizedAt = Date.now();
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: "1010" }] }] });
  await cp.waitFor((f) => f[2] === "RemoteStopTransaction"); // the session-time stop, answered Accepted
  const end = await rig.events.waitFor(isEnd, 5_000, "end at the last safe moment");
  const fault = rig.events.events.find(isFault);
  expect({ milli: end.milli, amountMinor: end.amountMinor, fault: fault?.code }).toEqual({ milli: 10, amountMinor: 3, fault: "OCPP_STOP_UNCONFIRMED" });
  // at the session cap plus one stopTimeoutS (2 s here), not before
  expect(Date.now() - authorizedAt).toBeGreaterThanOrEqual(1_900);
  cp.close();
});
