// Review 12 #6: strict mode answers a schema-invalid StopTransaction with a CALLERROR — the very
// answer charger-link.ts says makes a charger give up on a transaction message ("a charger gives
// up on a transaction message after a few CALLERRORs") — so the charger's meterStop is lost for a
// detail the agent does not even read: one vendor field too many (official schemas:
// additionalProperties false). (A timestamp without UTC offset IS accepted — checked.) The session is then settled from the last MeterValues
// (OCPP_STOP_MISSING) or, with no samples, not at all (free charge).
// Expected: a transaction message whose fields the agent needs (transactionId, meterStop,
// meterStart, connectorId, idTag) are valid is processed and answered — the violation logged —
// or left unanswered (NOREPLY, stays queued); never a CALLERROR that loses the meter reading.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, openRig, scriptedTime } from "../helpers.ts";
import { bootAndPlugIn, handCharger, startTransaction } from "./hand.ts";

async function session() {
  const rig = await openRig(scriptedTime());
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  return { rig, cp, tx };
}

it("a StopTransaction with one vendor field too many still ends the session with its meterStop", async () => {
  const { rig, cp, tx } = await session();
  const answer = await cp.call("StopTransaction", { transactionId: tx, meterStop: 4000, timestamp: new Date().toISOString(), reason: "EVDisconnected", vendorSessionId: "abc" });
  expect(answer).not.toHaveProperty("callError");
  expect((await rig.events.waitFor(isEnd, 3_000)).milli).toBe(3000);
  cp.close();
});

it("the fields the schema defines stay strict: a StopTransaction without meterStop, or with a string one, is a CALLERROR; a MeterValues with a vendor field is read", async () => {
  const { rig, cp, tx } = await session();
  const mv = { connectorId: 1, transactionId: tx, vendorX: 1, meterValue: [{ timestamp: new Date().toISOString(), vendorY: "y", sampledValue: [{ value: "1800", measurand: "Energy.Active.Import.Register", vendorZ: true }] }] };
  expect(await cp.call("MeterValues", mv)).toEqual({});
  expect(await cp.call("StopTransaction", { transactionId: tx, timestamp: new Date().toISOString() })).toMatchObject({ callError: "OccurrenceConstraintViolation" });
  expect(await cp.call("StopTransaction", { transactionId: tx, meterStop: "4000", timestamp: new Date().toISOString() })).toMatchObject({ callError: "TypeConstraintViolation" });
  expect(await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging", vendorField: 1 })).toMatchObject({ callError: expect.any(String) });
  expect(rig.events.count(isEnd)).toBe(0);
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 4000, timestamp: new Date().toISOString() });
  expect((await rig.events.waitFor(isEnd)).milli).toBe(3000);
  cp.close();
});
