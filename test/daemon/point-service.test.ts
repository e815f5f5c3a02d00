// Why `ctl points` says a point is out of service: the first cause that applies, each with what
// fixes it.
import { describe, expect, it } from "vitest";
import { outOfServiceOf, type PointFacts } from "../../agent/daemon/point-service.ts";
import { linkAlarms } from "../../agent/daemon/link-alarms.ts";
import { AlarmBook } from "../../agent/alarms/book.ts";
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

  it("a vending machine's MDB link is down: its kiosk point is out of service with the reason; a kiosk on no such controller is not (review 11 #3)", () => {
    const devices = [{ device: "dispenser" as const, kind: "mdb-virtual", state: "degraded" as const, detail: "MDB adapter link lost (bad file descriptor); reconnecting", since: 9, controller: "vend", points: [8] }];
    expect(outOfServiceOf(facts({ devices, snapshot: snap({ point: 8, kind: "kiosk" }) }))).toEqual({
      cause: "device-fault",
      since: 9,
      detail: "the kiosk/vending controller vend (mdb-virtual) is degraded: MDB adapter link lost (bad file descriptor); reconnecting; check its cable/power/network — the agent reconnects by itself",
    });
    expect(outOfServiceOf(facts({ devices, snapshot: snap({ point: 7, kind: "kiosk" }) }))).toBeUndefined();
    expect(linkAlarms(devices)).toEqual([{ code: "device-link-down", point: 8, message: expect.stringContaining("controller vend (mdb-virtual): MDB adapter link lost (bad file descriptor); reconnecting") }]);
    // The first seconds of a start, and a controller that failed at start (its own alarm): no link alarm.
    expect(linkAlarms([{ ...devices[0]!, detail: "connecting" }, { ...devices[0]!, detail: "failed at start: ENOENT" }, { ...devices[0]!, state: "ok" as const }])).toEqual([]);
  });

  it("device-link-down is raised while the link is down and cleared when it is back; a start re-check keeps it (review 11 #3)", () => {
    const book = new AlarmBook(() => 1000);
    const changes: string[] = [];
    book.subscribe((c) => changes.push(`${c.kind} ${c.alarm.code} ${c.alarm.point}`));
    const down = [{ device: "dispenser" as const, kind: "mdb", state: "degraded" as const, detail: "MDB adapter link lost; reconnecting", since: 9, controller: "vend", points: [8] }];
    book.syncCode("device-link-down", linkAlarms(down));
    book.syncCode("device-link-down", linkAlarms(down));
    expect(book.list()).toMatchObject([{ code: "device-link-down", point: 8, origin: "station", clears: "condition", action: expect.stringContaining("clears when the link is back") }]);
    book.sync([], (code) => code === "device-link-down");
    expect(book.list()).toHaveLength(1);
    book.syncCode("device-link-down", linkAlarms([{ ...down[0]!, state: "ok" as const }]));
    expect(book.list()).toEqual([]);
    expect(changes).toEqual(["raised device-link-down 8", "cleared device-link-down 8"]);
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
