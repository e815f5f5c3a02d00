// The metering rule (drivers/ocpp16/metering.ts) over every sequence of register readings:
// meterStop − meterStart is the metered end whenever meterStop ≥ meterStart, never more, whatever
// the samples said; whatever the charger sends, progress never goes back, nothing negative is
// settled, and a settlement of progress alone (meterStop < meterStart) never exceeds the
// register's observed forward steps nor the connector's power × the session's time.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applySample, plausibleWh, sampleOutcome, settleAtStop, stopElapsedMs, type MeterTrack } from "../../../drivers/ocpp16/metering.ts";

/** Readings in time order (timestamps 1, 2, 3…) unless `times` says otherwise. */
function run(meterStart: number, readings: number[], times: number[] = readings.map((_, i) => i + 1)): MeterTrack {
  let t: MeterTrack = { meterStartWh: meterStart, meterStartAt: 0, milli: 0 };
  readings.forEach((wh, i) => {
    t = applySample(t, sampleOutcome(t, wh, times[i]!));
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

  it("any readings: progress never goes back; settled = meterStop − meterStart whenever meterStart ≤ meterStop within 2 × power × time (an alarm if the samples disagree); else ≤ progress, ≤ forward steps, ≤ power × time, with an alarm", () => {
    fc.assert(
      fc.property(wh, fc.array(wh, { maxLength: 30 }), wh, fc.integer({ min: 0, max: 10 * 3_600_000 }), (start, readings, stop, elapsedMs) => {
        for (let i = 1; i <= readings.length; i++) expect(run(start, readings.slice(0, i)).milli).toBeGreaterThanOrEqual(run(start, readings.slice(0, i - 1)).milli);
        const t = run(start, readings);
        const bound = { maxPowerW: 22_000, elapsedMs };
        const s = settleAtStop(t, stop, "t", bound);
        expect(s.milli).toBeGreaterThanOrEqual(0);
        // Above twice the rated power over the session (plus 10 Wh), a meterStop is no end reading (review 12k #3).
        const possible = stop - start <= Math.ceil((2 * 22_000 * elapsedMs) / 3_600_000) + 10;
        if (stop >= start && possible) {
          expect(s.milli).toBe(stop - start);
          if (readings.some((r) => r > stop) || (t.meterResets ?? 0) > 0) expect(s.alarm?.code).toBe("OCPP_METER_DISAGREES");
        } else {
          expect(s.milli).toBeLessThanOrEqual(t.milli);
          expect(s.milli).toBeLessThanOrEqual(forwardSteps(start, readings));
          expect(s.milli).toBeLessThanOrEqual(plausibleWh(22_000, elapsedMs));
          expect(s.alarm?.code).toBe(stop >= start ? "OCPP_METER_DISAGREES" : "OCPP_METER_RESET");
        }
      }),
    );
  });

  it("a meterStop above 2 × power × time is replaced by the plausible progress, below the reservation as above it (review 12k #3, 12l #1)", () => {
    const t = run(1000, [1005, 1010]);
    const bound = { maxPowerW: 22_000, elapsedMs: 2_000 };
    // Within the bound: the charger's end reading, as is.
    expect(settleAtStop(t, 1000 + 30, "t", bound)).toEqual({ milli: 30 });
    // A charger "faster" than twice its rating, well below any reservation: no end reading either.
    for (const wh of [5_000, 1_000_000]) {
      const s = settleAtStop(t, 1000 + wh, "t", bound);
      expect(s.milli).toBeLessThanOrEqual(plausibleWh(22_000, 2_000));
      expect(s.alarm?.code).toBe("OCPP_METER_DISAGREES");
      expect(s.alarm?.message).toMatch(new RegExp(`meterStop ${1000 + wh} − meterStart 1000`));
    }
  });

  it("a meterStop is judged over the charger's own start-to-stop span, never above the agent's time: lateness adds nothing (review 12l #2)", () => {
    // 2 s of charger time (+ 1 s of stamp resolution), however long the agent waited for the stop.
    expect(stopElapsedMs(3_600_000, 1_000_000, 1_002_000)).toMatchObject({ ms: 3_000 });
    // Never above the agent's time from the authorization (a stop stamped absurdly late).
    expect(stopElapsedMs(2_000, 1_000_000, 1_000_000 + 3_600_000)).toMatchObject({ ms: 2_000 });
    // Stamped before the start / unreadable: the agent's time, and said so.
    expect(stopElapsedMs(5_000, 1_000_000, 990_000)).toMatchObject({ ms: 5_000, odd: expect.stringMatching(/before the start/) });
    expect(stopElapsedMs(5_000, undefined, 990_000)).toMatchObject({ ms: 5_000, odd: expect.any(String) });
    const t = run(1000, [1005, 1010]);
    const late = { maxPowerW: 22_000, elapsedMs: 3_600_000, stopElapsedMs: 3_000 };
    expect(settleAtStop(t, 1000 + 350, "t", late).alarm?.code).toBe("OCPP_METER_DISAGREES");
  });

  it("a glitch reading (0 Wh) between normal readings does not add segments: progress goes on from the old one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 2, maxLength: 20 }), fc.nat(), (start, steps, k) => {
        const inOrder = steps.reduce<number[]>((acc, d) => [...acc, (acc.at(-1) ?? start) + d], []);
        const at = k % (inOrder.length - 1);
        const withGlitch = [...inOrder.slice(0, at + 1), 0, ...inOrder.slice(at + 1)];
        expect(run(start, withGlitch).milli).toBe(inOrder.at(-1)! - start);
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

  it("the review's reset case: 2000 Wh, reset to 0, 4000 Wh more, meterStop 4000 → meterStop − meterStart = 3000, OCPP_METER_DISAGREES", () => {
    const s = settleAtStop(run(1000, [3000, 1000, 4000]), 4000, "t");
    expect(s).toMatchObject({ milli: 3000, alarm: { code: "OCPP_METER_DISAGREES" } });
  });

  it("meterStop below meterStart (a reset): the segments seen, capped at the connector's power × time", () => {
    const t = run(1000, [3000, 100, 2100]); // 2000 Wh, reset, 2000 Wh more
    expect(settleAtStop(t, 2200, "t")).toMatchObject({ milli: 1200, alarm: { code: "OCPP_METER_DISAGREES" } });
    expect(settleAtStop(t, 500, "t", { maxPowerW: 22_000, elapsedMs: 3_600_000 })).toMatchObject({ milli: 4000, alarm: { code: "OCPP_METER_RESET" } });
    expect(settleAtStop(t, 500, "t", { maxPowerW: 22_000, elapsedMs: 360_000 })).toMatchObject({ milli: 2200, alarm: { code: "OCPP_METER_RESET" } });
  });
});
