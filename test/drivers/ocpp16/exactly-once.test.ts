// Exactly once, whatever the charger or the network does: repeated StartTransaction and
// StopTransaction, a charger offline with its transaction messages queued (delivered late, also
// to a restarted agent), a RemoteStart whose answer was lost, and a stop asked while the charger
// is away. Every case ends in one `end` event with what the charger metered.
import { expect, it } from "vitest";
import { priceOf } from "../../../agent/core/money.ts";
import { authorizeCmd, isEnd, isProgress, openRig, pluggedAndAuthorized, synced, waitUntil } from "./helpers.ts";

it("a repeated StartTransaction gets the same transaction id; a repeated StopTransaction is answered again and ends nothing twice", async () => {
  const rig = await openRig();
  const cp = await rig.chargePoint();
  const answered: Array<{ action: string; params: unknown; answer: unknown }> = [];
  cp.onEvent((e) => e.type === "answered" && answered.push(e));
  await pluggedAndAuthorized(rig, cp);
  await waitUntil(() => answered.some((a) => a.action === "StartTransaction"));
  const start = answered.find((a) => a.action === "StartTransaction")!;
  // The charger never saw the first answer and sends the same message again.
  expect(await cp.call("StartTransaction", start.params as Record<string, unknown>)).toEqual(start.answer);

  cp.unplug(1);
  const end = await rig.events.waitFor(isEnd);
  await waitUntil(() => answered.some((a) => a.action === "StopTransaction"));
  const stop = answered.find((a) => a.action === "StopTransaction")!;
  expect(await cp.call("StopTransaction", stop.params as Record<string, unknown>)).toEqual(stop.answer);
  expect(await cp.call("StopTransaction", stop.params as Record<string, unknown>)).toEqual({ idTagInfo: { status: "Accepted" } });
  // A late replay of the start does not reopen the finished session either.
  expect(await cp.call("StartTransaction", start.params as Record<string, unknown>)).toEqual(start.answer);
  await cp.call("Heartbeat", {}); // everything before it has been handled
  expect(rig.events.count(isEnd)).toBe(1);
  expect(await rig.driver.saleRecord("P1-flow-1")).toMatchObject({ state: "finished", milli: end.milli });
});

it("a charger that was offline delivers its queued messages late and they end the session once, with all it metered", async () => {
  const rig = await openRig();
  const cp = await rig.chargePoint();
  await pluggedAndAuthorized(rig, cp);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 0);
  const meterStart = cp.transaction(1)!.meterStart;
  await cp.goOffline();
  await waitUntil(async () => (await rig.driver.status())[0]?.state === "offline");
  await waitUntil(() => cp.queuedMessages() >= 3, 5_000, "meter values queued"); // it keeps charging
  cp.unplug(1);
  // While it is away nothing can be known: the flow must wait, not settle a guess.
  await expect(rig.driver.saleRecord("P1-flow-1")).rejects.toMatchObject({ code: "DEVICE_DISCONNECTED" });
  expect(rig.events.count(isEnd)).toBe(0);

  await cp.goOnline();
  const end = await rig.events.waitFor(isEnd, 10_000, "late end");
  const metered = cp.registerWh(1) - meterStart;
  expect(end).toMatchObject({ milli: metered, amountMinor: priceOf(metered, 349), reason: "nozzle-down" });
  await waitUntil(() => cp.queuedMessages() === 0);
  expect(rig.events.count(isEnd)).toBe(1);
});

it("queued messages delivered to a restarted agent end the session once, from the stored state", async () => {
  let rig = await openRig();
  const cp = await rig.chargePoint();
  await pluggedAndAuthorized(rig, cp);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 0);
  const meterStart = cp.transaction(1)!.meterStart;
  await cp.goOffline();
  await waitUntil(() => cp.queuedMessages() >= 2);
  cp.unplug(1);
  rig = await rig.restart();
  await expect(rig.driver.saleRecord("P1-flow-1")).rejects.toMatchObject({ code: "DEVICE_DISCONNECTED" });
  await cp.goOnline();
  const end = await rig.events.waitFor(isEnd, 10_000, "late end after restart");
  expect(end).toMatchObject({ transactionId: "P1-flow-1", milli: cp.registerWh(1) - meterStart, reason: "nozzle-down" });
  await waitUntil(() => cp.queuedMessages() === 0);
  expect(rig.events.count(isEnd)).toBe(1);
});

it("a RemoteStart whose answer was lost: the charger started offline, its StartTransaction arrives late and is the session", async () => {
  const rig = await openRig();
  const cp = await rig.chargePoint();
  cp.onEvent((e) => {
    if (e.type === "request" && e.action === "RemoteStartTransaction") void cp.goOffline(); // the answer never leaves
  });
  await synced(rig);
  cp.plug(1);
  await rig.events.waitFor((e) => e.type === "call");
  await expect(rig.driver.authorize(authorizeCmd())).rejects.toMatchObject({ code: "DEVICE_DISCONNECTED" });
  await waitUntil(() => cp.transaction(1) !== undefined && cp.queuedMessages() >= 1, 5_000, "started offline");
  await cp.goOnline();
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 0, 10_000, "progress after the late start");
  expect((await rig.driver.saleRecord("P1-flow-1"))?.state).toBe("delivering");
  cp.unplug(1);
  expect((await rig.events.waitFor(isEnd)).milli).toBeGreaterThan(0);
});

it("a stop asked while the charger is away goes out when it is back; the end follows once", async () => {
  const rig = await openRig();
  const cp = await rig.chargePoint();
  await pluggedAndAuthorized(rig, cp);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 0);
  await cp.goOffline();
  await waitUntil(async () => (await rig.driver.status())[0]?.state === "offline");
  await expect(rig.driver.stop(1)).rejects.toMatchObject({ code: "DEVICE_DISCONNECTED" });
  await cp.goOnline();
  const end = await rig.events.waitFor(isEnd, 10_000, "end after the stop went out");
  expect(end.reason).toBe("stopped");
  expect(cp.status(1)).toBe("Finishing");
  expect(rig.events.count(isEnd)).toBe(1);
});
