// The metering rule (drivers/ocpp16/metering.ts) over every sequence of register readings:
// meterStop is the metered end whenever the register ran forwards; whatever the charger sends,
// progress never goes back, nothing negative is settled, and never more than the register's
// observed forward steps add up to (a reset's unknown part is not billed).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sampleOutcome, settleAtStop, type MeterTrack } from "../../../drivers/ocpp16/metering.ts";

/** Readings in time order (timestamps 1, 2, 3…) unless `times` says otherwise. */
function run(meterStart: number, readings: number[], times: number[] = readings.map((_, i) => i + 1)): MeterTrack {
  let t: MeterTrack = { meterStartWh: meterStart, meterStartAt: 0, milli: 0 };
  readings.forEach((wh, i) => {
    const o = sampleOutcome(t, wh, times[i]!);
    if (o.kind === "grew") t = { ...t, milli: o.milli, meterLastWh: o.meterLastWh, meterLastAt: o.meterLastAt };
    else if (o.kind === "reset") t = { ...t, meterLastWh: o.meterLastWh, meterLastAt: o.meterLastAt, meterBaseWh: o.meterBaseWh, carriedWh: o.carriedWh, meterResets: o.meterResets };
  });
  return t;
}

/** The sum of the forward steps of start → readings → stop: the most any reading can justify. */
function forwardSteps(meterStart: number, seq: number[]): number {
  let prev = meterStart;
  let sum = 0;
  for (const wh of seq) {
    if (wh > prev) sum += wh - prev;
    prev = wh;
  }
  return sum;
}

const wh = fc.integer({ min: 0, max: 10_000_000 });

describe("metering", () => {
  it("a register that only runs forwards settles meterStop − meterStart, without an alarm", () => {
    fc.assert(
      fc.property(wh, fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 30 }), fc.integer({ min: 0, max: 5000 }), (start, steps, last) => {
        const readings = steps.reduce<number[]>((acc, d) => [...acc, (acc.at(-1) ?? start) + d], []);
        const stop = (readings.at(-1) ?? start) + last;
        const s = settleAtStop(run(start, readings), stop, "t");
        expect(s).toEqual({ milli: stop - start });
      }),
    );
  });

  it("any readings: progress never goes back, the settlement is ≥ 0 and ≤ the register's forward steps; an alarm whenever it is not meterStop − meterStart", () => {
    fc.assert(
      fc.property(wh, fc.array(wh, { maxLength: 30 }), wh, (start, readings, stop) => {
        for (let i = 1; i <= readings.length; i++) expect(run(start, readings.slice(0, i)).milli).toBeGreaterThanOrEqual(run(start, readings.slice(0, i - 1)).milli);
        const s = settleAtStop(run(start, readings), stop, "t");
        expect(s.milli).toBeGreaterThanOrEqual(0);
        expect(s.milli).toBeLessThanOrEqual(forwardSteps(start, [...readings, stop]));
        if (s.milli !== stop - start) expect(s.alarm).toBeDefined();
      }),
    );
  });

  it("readings delivered out of time order (a queue flushed after a triggered reading) are not resets", () => {
    fc.assert(
      fc.property(wh, fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 5000 }), (start, steps, last) => {
        const inOrder = steps.reduce<number[]>((acc, d) => [...acc, (acc.at(-1) ?? start) + d], []);
        const order = fc.sample(fc.shuffledSubarray(inOrder.map((_, i) => i), { minLength: inOrder.length, maxLength: inOrder.length }), 1)[0]!;
        const t = run(start, order.map((i) => inOrder[i]!), order.map((i) => i + 1));
        expect(t.meterResets ?? 0).toBe(0);
        const stop = inOrder.at(-1)! + last;
        expect(settleAtStop(t, stop, "t")).toEqual({ milli: stop - start });
      }),
    );
  });

  it("the review's reset case: 2000 Wh, reset to 0, 4000 Wh more → 2000 + (4000 − 1000), OCPP_METER_RESET", () => {
    const s = settleAtStop(run(1000, [3000, 1000, 4000]), 4000, "t");
    expect(s).toMatchObject({ milli: 5000, alarm: { code: "OCPP_METER_RESET" } });
  });
});
