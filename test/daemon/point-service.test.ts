// Why `ctl points` says a point is out of service: the first cause that applies, each with what
// fixes it.
import { describe, expect, it } from "vitest";
import { outOfServiceOf, type PointFacts } from "../../agent/daemon/point-service.ts";
import type { PointSnapshot } from "../../agent/engine-api.ts";

const snap = (over: Partial<PointSnapshot> = {}): PointSnapshot => ({ point: 3, kind: "fuel", terminalId: "T3", state: "idle", alarms: [], ...over });
const facts = (over: Partial<PointFacts> = {}): PointFacts => ({ snapshot: snap(), inEngine: true, engineRunning: true, startAlarms: [], devices: [{ device: "dispenser", kind: "serial", state: "ok", since: 1 }], ...over });

describe("why a point is out of service", () => {
  it("serving: nothing to say", () => {
    expect(outOfServiceOf(facts())).toBeUndefined();
    expect(outOfServiceOf(facts({ snapshot: snap({ state: "delivering" }) }))).toBeUndefined();
  });

  it("stopped by a technician: who and when, and the command that undoes it", () => {
    const o = outOfServiceOf(facts({ snapshot: snap({ state: "stopped" }), stopped: { at: 42, by: "uid 0 pid 7 (user root) on admin.sock" } }));
    expect(o).toEqual({ cause: "stopped", since: 42, by: "uid 0 pid 7 (user root) on admin.sock", detail: "stopped by uid 0 pid 7 (user root) on admin.sock; `glase-agent ctl resume-point --point 3` puts it back into service" });
  });

  it("credentials or an unanswered registration: the start alarm's own instructions", () => {
    const alarm = { id: "S1", at: 5, point: 3, code: "credentials-unusable", message: "point 3 is out of service: … To fix it: restore terminals/point-3.json" };
    expect(outOfServiceOf(facts({ inEngine: false, snapshot: snap({ state: "stopped", terminalId: "" }), startAlarms: [alarm] }))).toEqual({ cause: "credentials-unusable", detail: alarm.message, since: 5 });
  });

  it("no terminal yet: register it", () => {
    expect(outOfServiceOf(facts({ inEngine: false, snapshot: snap({ state: "stopped", terminalId: "" }) }))).toMatchObject({ cause: "unregistered", detail: expect.stringContaining("glase-agent register --point 3") });
  });

  it("the controller is down: a device fault, with its detail (not for a kiosk)", () => {
    const devices = [{ device: "dispenser" as const, kind: "serial", state: "degraded" as const, detail: "link down, reconnecting", since: 9 }];
    expect(outOfServiceOf(facts({ devices }))).toMatchObject({ cause: "device-fault", since: 9, detail: expect.stringContaining("dispenser controller (serial) is degraded: link down, reconnecting") });
    expect(outOfServiceOf(facts({ devices, snapshot: snap({ kind: "ev" }) }))?.detail).toContain("charger controller");
    expect(outOfServiceOf(facts({ devices, snapshot: snap({ kind: "kiosk" }) }))).toBeUndefined();
    // A delivery still running through a flaky link is not "out of service".
    expect(outOfServiceOf(facts({ devices, snapshot: snap({ state: "delivering" }) }))).toBeUndefined();
  });

  it("Glase offline, a parked flow, an agent not running payments", () => {
    expect(outOfServiceOf(facts({ snapshot: snap({ state: "offline" }) }))).toMatchObject({ cause: "glase-offline" });
    expect(outOfServiceOf(facts({ snapshot: snap({ state: "parked", flowId: "P3-x" }) }))).toMatchObject({ cause: "parked", detail: expect.stringContaining("glase-agent ctl resolve P3-x") });
    expect(outOfServiceOf(facts({ engineRunning: false, snapshot: snap({ state: "offline" }) }))).toMatchObject({ cause: "starting" });
  });
});
