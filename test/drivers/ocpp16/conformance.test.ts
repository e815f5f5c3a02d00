// An independent check of what the driver puts on the wire: every frame of a busy life (boot,
// configuration, sessions ending each way, a restart, an ignored stop) is validated with
// typed-ocpp — another implementation, with its own copy of the official OCPP 1.6 JSON schemas —
// and every answer against the call it answers. ocpp-rpc's strict mode already refuses to send
// an invalid frame; this catches what both ends of our own stack could agree on wrongly.
import { expect, it } from "vitest";
import { OCPP16 } from "typed-ocpp";
import type { VirtualChargePoint } from "../../../simulator/devices/virtual-charge-point.ts";
import { authorizeCmd, isEnd, isProgress, openRig, pluggedAndAuthorized, synced } from "./helpers.ts";

interface Wire {
  readonly frames: Array<{ outbound: boolean; frame: unknown[] }>;
}

function tap(cp: VirtualChargePoint, wire: Wire): void {
  cp.onEvent((e) => e.type === "frame" && wire.frames.push({ outbound: e.outbound, frame: JSON.parse(e.text) as unknown[] }));
}

it("every frame the driver sends is valid OCPP 1.6J, and every answer fits its call (typed-ocpp)", async () => {
  const wire: Wire = { frames: [] };
  let rig = await openRig();
  const cp = await rig.chargePoint({ powerW: 360_000 }, (c) => tap(c, wire));
  await synced(rig);
  // Session 1 ends at the limit; session 2 by stop(point); session 3 survives a restart and is unplugged.
  await pluggedAndAuthorized(rig, cp, authorizeCmd({ limitMinor: 200, transactionId: "P1-one" }));
  await rig.events.waitFor((e) => isEnd(e) && e.transactionId === "P1-one", 10_000);
  cp.unplug(1);
  cp.plug(1);
  await rig.events.waitFor((e) => e.type === "call" && rig.events.count((x) => x.type === "call") >= 2);
  await rig.driver.authorize(authorizeCmd({ transactionId: "P1-two" }));
  await rig.events.waitFor((e) => isProgress(e) && e.transactionId === "P1-two" && e.milli > 0);
  await rig.driver.stop(1);
  cp.unplug(1);
  cp.plug(1);
  await rig.events.waitFor(() => rig.events.count((x) => x.type === "call") >= 3);
  await rig.driver.authorize(authorizeCmd({ transactionId: "P1-three" }));
  await rig.events.waitFor((e) => isProgress(e) && e.transactionId === "P1-three" && e.milli > 0);
  rig = await rig.restart();
  await synced(rig);
  await rig.events.waitFor((e) => isProgress(e) && e.transactionId === "P1-three");
  cp.unplug(1);
  await rig.events.waitFor((e) => isEnd(e) && e.transactionId === "P1-three");
  await cp.call("Heartbeat", {});

  const fromDriver = wire.frames.filter((f) => !f.outbound).map((f) => f.frame);
  const fromCharger = wire.frames.filter((f) => f.outbound).map((f) => f.frame);
  const problems: string[] = [];
  for (const frame of [...fromDriver, ...fromCharger]) {
    if (!OCPP16.validate(frame)) problems.push(`${JSON.stringify(frame).slice(0, 160)}: ${JSON.stringify(OCPP16.validate.errors)}`);
  }
  // Answers against their calls, both ways: the driver's to the charger's calls, and back.
  const calls = new Map<unknown, unknown[]>();
  for (const f of wire.frames) if (f.frame[0] === 2) calls.set(f.frame[1], f.frame);
  let checked = 0;
  for (const f of wire.frames) {
    if (f.frame[0] !== 3) continue;
    const call = calls.get(f.frame[1]);
    if (!call) continue;
    checked++;
    if (!OCPP16.checkCallResult(f.frame as never, call as never)) problems.push(`${JSON.stringify(call).slice(0, 120)} → ${JSON.stringify(f.frame).slice(0, 120)}: ${JSON.stringify(OCPP16.checkCallResult.errors)}`);
  }
  expect(problems).toEqual([]);
  const actionsFromDriver = new Set(fromDriver.filter((f) => f[0] === 2).map((f) => f[2]));
  expect([...actionsFromDriver].sort()).toEqual(["ChangeConfiguration", "RemoteStartTransaction", "RemoteStopTransaction", "TriggerMessage"]);
  const answered = new Set(fromCharger.filter((f) => f[0] === 2).map((f) => f[2]));
  for (const a of ["BootNotification", "StatusNotification", "StartTransaction", "MeterValues", "StopTransaction", "Heartbeat"]) expect(answered).toContain(a);
  expect(checked).toBeGreaterThan(20);
  expect(fromDriver.some((f) => f[0] === 4)).toBe(false); // no CALLERROR to a well-behaved charger
});
