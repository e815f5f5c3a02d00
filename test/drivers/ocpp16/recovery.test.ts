// When the charger does not do what it is told, or the agent restarts in the middle: a charger
// ignoring RemoteStop is settled as an overrun with an alarm (and its late word changes nothing);
// a restarted agent learns a running session (TriggerMessage) and carries on; a charger that lost
// its StopTransaction is settled with what was metered; a fault stops and settles.
import { expect, it } from "vitest";
import { priceOf } from "../../../agent/core/money.ts";
import { authorizeCmd, isEnd, isFault, isProgress, openRig, pluggedAndAuthorized, synced, testConfig, waitUntil } from "./helpers.ts";

it("a charger that ignores RemoteStop at the limit is settled as an overrun (the reserved amount) with an alarm; its late stop ends nothing", async () => {
  // Rated as it delivers: the overrun evidence is the plausible track (a step above the rated power is a bad reading, not charging on).
  const rig = await openRig(testConfig({ chargers: [{ id: "CP-1", maxPowerW: 360_000, connectors: [{ connectorId: 1, point: 1 }] }] }));
  const cp = await rig.chargePoint({ powerW: 360_000 });
  cp.ignoreRemoteStop = true;
  await pluggedAndAuthorized(rig, cp, authorizeCmd({ limitMinor: 300 }));
  const end = await rig.events.waitFor(isEnd, 10_000, "overrun end");
  // At least the reservation: what it metered while ignoring the stop, if more (the flow commits
  // the reserved amount and raises its own overrun alarm).
  expect(end.reason).toBe("limit");
  expect(end.amountMinor).toBeGreaterThanOrEqual(300);
  expect(await rig.events.waitFor(isFault)).toMatchObject({ point: 1, code: "OCPP_STOP_IGNORED", transactionId: "P1-flow-1" });
  expect(cp.status(1)).toBe("Charging"); // it really kept going

  cp.unplug(1); // its StopTransaction comes at last, with more than was settled
  const late = await rig.events.waitFor((e) => isFault(e) && e.code === "OCPP_LATE_STOP", 10_000, "late stop alarm");
  expect(late).toMatchObject({ transactionId: "P1-flow-1" });
  expect(rig.events.count(isEnd)).toBe(1);
  expect(await rig.driver.saleRecord("P1-flow-1")).toMatchObject({ state: "finished", amountMinor: end.amountMinor, reason: "limit" });
});

it("stop(point) on a charger that ignores it resolves with an overrun end (reason stopped)", async () => {
  const rig = await openRig();
  const cp = await rig.chargePoint();
  cp.ignoreRemoteStop = true;
  await pluggedAndAuthorized(rig, cp);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 0);
  await rig.driver.stop(1);
  expect(rig.events.events.find(isEnd)).toMatchObject({ reason: "stopped", amountMinor: 30_000 });
  expect(rig.events.events.find(isFault)?.code).toBe("OCPP_STOP_IGNORED");
});

it("after an agent restart mid-session the driver learns the running session and carries on to one end", async () => {
  let rig = await openRig();
  const cp = await rig.chargePoint();
  const triggers: unknown[] = [];
  cp.onEvent((e) => e.type === "request" && e.action === "TriggerMessage" && triggers.push(e.params));
  await pluggedAndAuthorized(rig, cp);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 0);
  const meterStart = cp.transaction(1)!.meterStart;
  rig = await rig.restart(); // the charger reconnects by itself
  await synced(rig);
  expect(triggers).toContainEqual({ requestedMessage: "StatusNotification", connectorId: 1 });
  await waitUntil(() => triggers.some((t) => (t as { requestedMessage: string }).requestedMessage === "MeterValues"), 5_000, "meter values asked");
  const record = await rig.driver.saleRecord("P1-flow-1");
  expect(record).toMatchObject({ state: "delivering", limitMinor: 30_000 });
  expect(record!.milli).toBeGreaterThan(0);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > record!.milli, 5_000, "progress on the new driver");
  cp.unplug(1);
  const end = await rig.events.waitFor(isEnd);
  expect(end.milli).toBe(cp.registerWh(1) - meterStart);
  expect(rig.events.count(isEnd)).toBe(1);
});

it("a charger that ended the session while the agent was away and lost its StopTransaction is settled with what was metered", async () => {
  // Without a meterStop the progress is capped at maxPowerW × the session's time; the rig's
  // virtual charger draws 36 kW at secondMs 50, which testConfig's chargerSecondMs scales for.
  let rig = await openRig(testConfig({ chargers: [{ id: "CP-1", maxPowerW: 36_000, connectors: [{ connectorId: 1, point: 1 }] }] }));
  const cp = await rig.chargePoint();
  await pluggedAndAuthorized(rig, cp);
  await waitUntil(async () => ((await rig.driver.saleRecord("P1-flow-1"))?.milli ?? 0) >= 30, 5_000, "some energy stored");
  await cp.goOffline();
  cp.unplug(1);
  cp.dropQueuedMessages(); // the StopTransaction (and the last samples) are gone
  rig = await rig.restart();
  const stored = rig.driver.chargers()[0]!.connected;
  expect(stored).toBe(false);
  await cp.goOnline();
  const end = await rig.events.waitFor(isEnd, 10_000, "end without StopTransaction");
  expect(end.reason).toBe("stopped");
  expect(end.milli).toBeGreaterThanOrEqual(30);
  expect(end.amountMinor).toBe(priceOf(end.milli, 349));
  expect(rig.events.events.find(isFault)?.code).toBe("OCPP_STOP_MISSING");
});

it("Faulted: a fault event for the point, the session stops and settles what was metered", async () => {
  const rig = await openRig();
  const cp = await rig.chargePoint();
  await pluggedAndAuthorized(rig, cp);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 0);
  cp.fault(1, "GroundFailure", { keepCharging: true }); // the charger does not stop by itself
  expect(await rig.events.waitFor(isFault)).toMatchObject({ point: 1, code: "GroundFailure", transactionId: "P1-flow-1" });
  const end = await rig.events.waitFor(isEnd, 10_000, "end after the fault");
  expect(end.reason).toBe("fault");
  expect(end.milli).toBeGreaterThan(0);
  expect((await rig.driver.status())[0]?.state).toBe("fault");
  await expect(rig.driver.authorize(authorizeCmd({ transactionId: "P1-flow-2" }))).rejects.toMatchObject({ code: "DEVICE_REJECTED", context: { reason: "FAULT" } });
});

it("a charger that reboots mid-session ends it with what it metered (reason fault)", async () => {
  const rig = await openRig();
  const cp = await rig.chargePoint();
  await pluggedAndAuthorized(rig, cp);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 0);
  await cp.reboot();
  const end = await rig.events.waitFor(isEnd, 10_000, "end after the reboot");
  expect(end).toMatchObject({ reason: "fault" });
  expect(end.milli).toBeGreaterThan(0);
});

it("the session-time limit stops a session before the reservation would lapse", async () => {
  const rig = await openRig(testConfig({ maxSessionS: 0.8 }));
  const cp = await rig.chargePoint();
  await pluggedAndAuthorized(rig, cp);
  const end = await rig.events.waitFor(isEnd, 10_000, "end at the session limit");
  expect(end.reason).toBe("stopped");
  expect(cp.status(1)).toBe("Finishing");
});
