// Review 14v W3/W4, the fix: a given-up authorization (void, or refused after a lost answer) stays
// open and watched for closeUnsettledAfterMs — its flow's settled() included — and is closed only
// then; a direct refusal (the controller answered our only send) is closed at once as before. A
// late landing that fills under our user is stopped, emergency-stopped when the valve ignores
// PumpStop (PTS_STOP_IGNORED), and alarmed PTS_UNOWNED_DELIVERY with its figures. The driver's clock
// is real time that advance() moves forward (its timers, the open's link wait, stay live): the
// windows are crossed by advance(), never slept through.
import { describe, expect, it } from "vitest";
import type { DriverStore } from "../../contracts/driver-store.ts";
import { MemoryDriverStore } from "../../drivers/driver-store.ts";
import { INITIAL_VIEW, type TrackerContext, observePump } from "../../drivers/pts2/pump-tracker.ts";
import type { TxRecord } from "../../drivers/pts2/transactions.ts";
import { SimClock } from "../../simulator/clock.ts";
import type { VirtualPts2 } from "../../simulator/devices/virtual-pts2.ts";
import { asAgent, closeAfterEach, faults, outcome, received, sale, startTwin } from "../drivers/pts2/helpers.ts";
import { openDriverWith } from "../drivers/pts2/review14q/q-helpers.ts";

const cleanup = closeAfterEach();
const WINDOW = 5_000;
const STOP_TIMEOUT = 1_000;

async function station() {
  const twin = await startTwin({ userId: 1 });
  const clock = new SimClock();
  const store = new MemoryDriverStore();
  const opened = await openDriverWith(twin, clock, { pollIntervalMs: 60_000, closeUnsettledAfterMs: WINDOW, stopTimeoutMs: STOP_TIMEOUT }, store);
  cleanup(() => opened.driver.close(), () => twin.close(), async () => clock.dispose());
  await opened.driver.pollOnce();
  return { twin, clock, ...opened };
}

/** W4's authorization: the first send's answer lost (the request still on the wire), the resend refused 39. */
function lostThenRefused(twin: VirtualPts2): { held: () => Record<string, unknown> } {
  const realAuth = twin.pumps.authorize.bind(twin.pumps);
  let held: Record<string, unknown> | undefined;
  let sends = 0;
  twin.pumps.authorize = (d) => {
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && held === undefined) {
      held = d;
      sends++;
      return { ok: true, data: { Pump: 1, Transaction: d.Transaction } };
    }
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && ++sends === 2) return { ok: false, code: 39 };
    return realAuth(d);
  };
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  return {
    held: () => {
      twin.pumps.authorize = realAuth;
      return held!;
    },
  };
}

const rec = async (store: DriverStore, id: string) => (await store.get(`tx/${id}`)) as TxRecord;

describe("a given-up authorization is watched for closeUnsettledAfterMs, then closed", () => {
  it("refused after a lost answer and settled by its flow: open through the window, closed by the first idle poll after it", async () => {
    const { twin, clock, store, driver } = await station();
    lostThenRefused(twin);
    expect(await outcome(driver.authorize(sale("S1")))).not.toBe("ok");
    expect(await driver.saleRecord("S1")).toBeUndefined(); // the flow: nothing authorized → cancel
    await driver.settled("S1");
    expect(await rec(store, "S1")).toMatchObject({ phase: "refused", settled: true });
    expect((await rec(store, "S1")).closedAt).toBeUndefined();
    clock.advance(WINDOW - 1_000); // (a second short: this test's own real time is milliseconds)
    await driver.pollOnce();
    expect((await rec(store, "S1")).closedAt).toBeUndefined();
    clock.advance(1_000);
    await driver.pollOnce();
    expect((await rec(store, "S1")).closedAt).toBeGreaterThanOrEqual((await rec(store, "S1")).at + WINDOW);
  });

  it("control: refused to the only send (the controller answered it) is closed at once — nothing of ours is in flight", async () => {
    const { twin, store, driver } = await station();
    const realAuth = twin.pumps.authorize.bind(twin.pumps);
    twin.pumps.authorize = (d) => (twin.pumps.requestUser === 1 && d.Pump === 1 ? { ok: false, code: 41 } : realAuth(d));
    expect(await outcome(driver.authorize(sale("S1")))).not.toBe("ok");
    expect(await rec(store, "S1")).toMatchObject({ phase: "refused" });
    expect((await rec(store, "S1")).closedAt).toBeDefined();
  });
});

it("a late landing of a watched authorization whose valve ignores PumpStop is emergency-stopped and alarmed with its figures", async () => {
  const { twin, clock, store, driver, events } = await station();
  const late = lostThenRefused(twin);
  expect(await outcome(driver.authorize(sale("S1")))).not.toBe("ok");
  expect(await driver.saleRecord("S1")).toBeUndefined();
  await driver.settled("S1");
  const held = late.held();
  asAgent(twin, () => twin.pumps.authorize(held)); // the first send lands now
  twin.ignoreStop(1, true);
  twin.liftNozzle(1, 1);
  twin.deliver(1, 1_000);
  await driver.pollOnce(); // filling under the given-up number: read back (verify) — ours
  await driver.pollOnce(); // stopped, PTS_UNOWNED_DELIVERY
  expect(received(twin, "PumpStop").length).toBeGreaterThan(0);
  expect(received(twin, "PumpEmergencyStop")).toEqual([]);
  twin.deliver(1, 1_000);
  clock.advance(STOP_TIMEOUT);
  await driver.pollOnce(); // still filling a stopTimeoutMs after PumpStop: emergency stop
  expect(received(twin, "PumpEmergencyStop")).toHaveLength(1);
  expect(twin.pumps.records.get(`1:${String(held.Transaction)}`)?.state).toBe("EndOfTransaction");
  await driver.pollOnce(); // the end: closed, its figures in the alarm
  expect((await rec(store, "S1")).closedAt).toBeDefined();
  expect(faults(events.events)).toEqual(expect.arrayContaining(["PTS_UNOWNED_DELIVERY", "PTS_STOP_IGNORED"]));
  const alarms = events.events.flatMap((e) => (e.type === "fault" && e.code === "PTS_UNOWNED_DELIVERY" ? [e.message] : []));
  expect(alarms.at(-1)).toContain("2000 ml");
  expect(events.events.filter((e) => e.type === "progress" || e.type === "end")).toEqual([]); // never the finished flow's sale
});

describe("the tracker escalates the stop of a given-up number proven ours (pure)", () => {
  const r: TxRecord = { flowId: "F1", point: 1, pump: 1, transaction: 5, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 10000, phase: "refused", at: 0, probedAt: 0, settled: true, liveVerdict: "ours" };
  const filling = { kind: "filling" as const, pump: 1, transaction: 5, nozzle: 1, fuelGradeId: 1, milli: 2000, priceMinor: 1899, amountMinor: 3798 };
  const ctx = (now: number, stopAt: number | undefined): TrackerContext => ({
    point: 1, records: [r], gradeOfNozzle: () => "95", gradeOfFuelGrade: () => "95", now, stopConfirmedAt: () => stopAt, stopTimeoutMs: 5000, closeUnsettledAfterMs: 60_000,
  });
  it("PumpStop until stopTimeoutMs after the first, then PumpEmergencyStop once with PTS_STOP_IGNORED", () => {
    const a = observePump(INITIAL_VIEW, filling, ctx(1000, undefined));
    expect(a.actions).toMatchObject([{ type: "stop", emergency: false }]);
    const b = observePump(a.view, filling, ctx(5999, 1000));
    expect(b.actions).toMatchObject([{ type: "stop", emergency: false }]);
    const c = observePump(b.view, filling, ctx(6000, 1000));
    expect(c.actions).toMatchObject([{ type: "stop", emergency: true }]);
    expect(c.events.map((e) => (e.type === "fault" ? e.code : e.type))).toEqual(["PTS_STOP_IGNORED"]);
    const d = observePump(c.view, filling, ctx(7000, 1000));
    expect(d.actions).toMatchObject([{ type: "stop", emergency: false }]);
    expect(d.events).toEqual([]);
  });
});
