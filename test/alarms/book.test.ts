// The alarm book: one open entry per condition with first/last time and a count; an event alarm
// clears with ack, a condition's alarm only when its cause is gone (sync), a parked flow's when it
// is resolved; every change reaches the listeners.
import { describe, expect, it } from "vitest";
import { AlarmBook, type AlarmChange } from "../../agent/alarms/book.ts";
import { ALARM_CATALOGUE } from "../../agent/alarms/catalogue.ts";
import { isAgentError } from "../../agent/errors.ts";

function book() {
  let now = 1_000;
  const b = new AlarmBook(() => now);
  const changes: string[] = [];
  b.subscribe((c: AlarmChange) => changes.push(`${c.kind} ${c.alarm.code}${c.alarm.point !== undefined ? `@${c.alarm.point}` : ""} ${c.at}`));
  return { b, changes, tick: (ms: number) => (now += ms) };
}

describe("the alarm book", () => {
  it("a kiosk sale settled by a technician clears its alarms, not other sales' (clearFlow)", () => {
    const { b, changes } = book();
    b.raise({ origin: "engine", code: "release-result-missing", message: "m", point: 9, flowId: "K9-a" });
    b.raise({ origin: "engine", code: "release-result-missing", message: "m", point: 8, flowId: "K8-b" });
    b.clearFlow("K9-a");
    expect(b.list().map((a) => a.flowId)).toEqual(["K8-b"]);
    expect(changes.at(-1)).toBe("cleared release-result-missing@9 1000");
  });

  it("a repeat of the same condition counts on one entry: first and last time, the catalogue's action", () => {
    const { b, changes, tick } = book();
    b.raise({ origin: "engine", code: "overrun", message: "m1", point: 2, flowId: "F1" });
    tick(500);
    const again = b.raise({ origin: "engine", code: "overrun", message: "m2", point: 2, flowId: "F1" });
    b.raise({ origin: "engine", code: "overrun", message: "other point", point: 3, flowId: "F2" });
    expect(again).toMatchObject({ id: "AL1", firstAt: 1_000, lastAt: 1_500, count: 2, message: "m2", action: ALARM_CATALOGUE.overrun!.action, clears: "ack" });
    expect(b.list().map((a) => a.id)).toEqual(["AL1", "AL2"]);
    expect(changes).toEqual(["raised overrun@2 1000", "repeated overrun@2 1500", "raised overrun@3 1500"]);
  });

  it("ack clears an event alarm; a condition's alarm is marked seen and stays until the check no longer finds it", () => {
    const { b, changes, tick } = book();
    const ev = b.raise({ origin: "invoice-service", code: "invoice-mismatch", message: "x" });
    const cond = b.raise({ origin: "station", code: "credentials-unusable", message: "y", point: 1 });
    tick(10);
    expect(b.ack(ev.id, "uid 0")).toMatchObject({ acknowledged: { at: 1_010, by: "uid 0" } });
    expect(b.ack(cond.id).clears).toBe("condition");
    expect(b.list().map((a) => a.code)).toEqual(["credentials-unusable"]);
    b.sync([{ code: "credentials-unusable", message: "y", point: 1 }]);
    expect(b.list()).toHaveLength(1);
    b.sync([]);
    expect(b.list()).toHaveLength(0);
    expect(changes.filter((c) => c.startsWith("cleared"))).toEqual(["cleared invoice-mismatch 1010", "cleared credentials-unusable@1 1010"]);
  });

  it("a parked flow's alarm clears when the flow is resolved, not with ack", () => {
    const { b } = book();
    b.flowChanged("F9", true, false);
    const a = b.raise({ origin: "engine", code: "settlement-parked", message: "p", point: 1, flowId: "F9" });
    expect(a.clears).toBe("condition");
    b.ack(a.id);
    expect(b.list()).toHaveLength(1);
    b.flowChanged("F9", false, true);
    expect(b.list()).toHaveLength(0);
  });

  it("an alarm raised before its flow is seen parked is held open by the park", () => {
    const { b } = book();
    b.raise({ origin: "engine", code: "refund-unknown", message: "r", flowId: "R1" });
    b.flowChanged("R1", true, false);
    expect(b.list()[0]!.clears).toBe("condition");
    b.flowChanged("R1", false, true);
    expect(b.list()).toHaveLength(0);
  });

  it("acknowledging an unknown id is NOT_FOUND; a listener that throws loses nothing", () => {
    const { b } = book();
    b.subscribe(() => {
      throw new Error("socket gone");
    });
    b.raise({ origin: "engine", code: "overrun", message: "m" });
    expect(b.list()).toHaveLength(1);
    let err: unknown;
    try {
      b.ack("AL99");
    } catch (e) {
      err = e;
    }
    expect(isAgentError(err, "NOT_FOUND")).toBe(true);
  });

  it("an uncatalogued code still carries an action that says where to look", () => {
    expect(book().b.raise({ origin: "engine", code: "no-such-code", message: "?" }).action).toMatch(/docs\/alarms\.md/);
  });
});
