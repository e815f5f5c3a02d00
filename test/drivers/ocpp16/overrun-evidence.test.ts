// The overrun evidence (session-evidence.ts) over the space of links and clocks: any charger clock
// offset (±1 h), any RemoteStop round trip, any stamp-to-arrival delay (a slow uplink, or a
// charger that stamps a sample when it starts a slow meter read) shorter than the sampling
// interval, with jitter. Sound: a charger that stops metering when it gets the stop never gives
// evidence, however late its samples arrive. Complete: one that keeps charging gives it within
// three sampling intervals (plus the round trips and a timestamp's resolution).
import fc from "fast-check";
import { expect, it } from "vitest";
import { SessionEvidence } from "../../../drivers/ocpp16/session-evidence.ts";

interface Link {
  readonly offsetMs: number;
  readonly downMs: number;
  readonly confUpMs: number;
  readonly intervalMs: number;
  /** Each sample's stamp-to-arrival delay, as a fraction of the interval (< 1: one in flight at most). */
  readonly delays: readonly number[];
  readonly phase: number;
}

const link = fc.record({
  offsetMs: fc.integer({ min: -3_600_000, max: 3_600_000 }),
  downMs: fc.integer({ min: 0, max: 800 }),
  confUpMs: fc.integer({ min: 0, max: 800 }),
  intervalMs: fc.integer({ min: 1_000, max: 20_000 }),
  // the same delay every time (a slow link: the hard case, the offset estimate holds all of it), or jitter
  delays: fc.oneof(
    fc.double({ min: 0, max: 0.95, noNaN: true }).map((d) => Array<number>(40).fill(d)),
    fc.array(fc.double({ min: 0, max: 0.95, noNaN: true }), { minLength: 40, maxLength: 40 }),
  ),
  phase: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
});

/** Runs one session's samples and the stop's answer in arrival order; returns whether evidence was found. */
function run(l: Link, keepsCharging: boolean): boolean {
  let now = 0;
  const evidence = new SessionEvidence({ scheduler: { now: () => now, setTimer: () => () => undefined }, stopTimeoutMs: 60_000 });
  const S = 1_000_000; // the stop goes out (agent clock)
  const P = S + l.downMs; // the charger processes it
  const events: Array<{ at: number; run: () => void }> = [];
  let answered: (() => void) | undefined;
  events.push({ at: S, run: () => (answered = evidence.stopSent("tx", 0)) });
  events.push({ at: S + l.downMs + l.confUpMs, run: () => answered!() });
  const first = S - 20 * l.intervalMs + l.phase * l.intervalMs;
  for (let k = 0; k < 40; k++) {
    const takenAt = first + k * l.intervalMs;
    // The register grows continuously (100 Wh/s: a register in Wh moves within 10 ms) until the charger has the stop (or on).
    const milli = Math.floor(((keepsCharging ? takenAt : Math.min(takenAt, P)) - first) / 10);
    const stamp = takenAt - l.offsetMs;
    events.push({ at: takenAt + l.delays[k]! * l.intervalMs, run: () => evidence.observeSample("tx", stamp, milli) });
  }
  const until = S + 2 * (l.downMs + l.confUpMs) + 1_000 + 3 * l.intervalMs + l.intervalMs; // three intervals, the last one's delay
  for (const e of events.sort((a, b) => a.at - b.at)) {
    if (e.at > until) break;
    now = e.at;
    e.run();
  }
  return evidence.chargedAfterStop("tx");
}

it("a charger that stopped at the RemoteStop never looks like an overrun, whatever its clock and link", () => {
  fc.assert(fc.property(link, (l) => !run(l, false)), { numRuns: 500 });
});

it("a charger that charges on after the RemoteStop shows it within three sampling intervals", () => {
  fc.assert(fc.property(link, (l) => run(l, true)), { numRuns: 500 });
});

it("the reviewer's slow link (1.3 s stamp-to-arrival, loopback round trip): no evidence from the samples in flight", () => {
  expect(run({ offsetMs: 0, downMs: 1, confUpMs: 1, intervalMs: 1_400, delays: Array(40).fill(1300 / 1400), phase: 0.9 }, false)).toBe(false);
});

it("the agent's currentTime steps the charger's clock back an hour: the offset estimate starts again, the overrun is seen at once", () => {
  const seen = (reset: boolean) => {
    let now = 0;
    const evidence = new SessionEvidence({ scheduler: { now: () => now, setTimer: () => () => undefined }, stopTimeoutMs: 60_000 });
    const at = (t: number, wh: number, aheadMs: number) => ((now = t), evidence.observeSample("tx", t + aheadMs, wh));
    for (let k = 0; k < 5; k++) at(k * 1000, k, 3_600_000); // stamped an hour ahead
    now = 5_000; // a Heartbeat answer: the charger sets its clock from currentTime
    if (reset) evidence.resetClock("tx");
    const answered = evidence.stopSent("tx", 0);
    now = 5_010;
    answered();
    for (let k = 0; k < 4; k++) at(6_000 + k * 1000, 10 + k, 0); // its clock right now; it charges on
    return evidence.chargedAfterStop("tx");
  };
  expect({ withReset: seen(true), without: seen(false) }).toEqual({ withReset: true, without: false });
});
