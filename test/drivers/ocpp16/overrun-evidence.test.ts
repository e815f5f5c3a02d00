// The overrun evidence (session-evidence.ts) over the space of links, clocks and queues. The rule:
// only the agent's own readings after the stop count — replies to TriggerMessage(MeterValues)
// sent after the charger answered the RemoteStop; every other sample (periodic, queued while
// offline, stamped by any clock, frozen or not) is progress only. Sound: a charger that stops
// metering when it has the stop never gives evidence, however its queue is drained, whatever its
// samples' stamps, even if the reply to a trigger sent before the stop comes late, and even if it
// answers a trigger with the register it last read on its own cycle (review 13b #6: one catch-up
// step is no proof). Complete: one that keeps charging, and reads its meter when asked, gives it
// once three triggers sent after the answer are answered (growth in two steps).
import fc from "fast-check";
import { expect, it } from "vitest";
import { SessionEvidence, STAMPED_EVIDENCE } from "../../../drivers/ocpp16/session-evidence.ts";

interface Link {
  readonly downMs: number;
  readonly upMs: number;
  /** Samples queued before the stop (their register values), delivered after its answer. */
  readonly queued: number;
  /** Delay of each queued sample's delivery after the previous one. */
  readonly paceMs: number;
  /** A trigger sent before the stop (the one sent on reconnect) whose reply comes this late. */
  readonly earlyTriggerReplyMs: number | undefined;
  readonly spacingMs: number;
}

const link = fc.record({
  downMs: fc.integer({ min: 0, max: 2_000 }),
  upMs: fc.integer({ min: 0, max: 2_000 }),
  queued: fc.integer({ min: 0, max: 40 }),
  paceMs: fc.integer({ min: 0, max: 500 }),
  earlyTriggerReplyMs: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
  spacingMs: fc.integer({ min: 10, max: 5_000 }),
});

/** The connector's rating: the register below grows 100 Wh/s (360 kW). */
const RATED_W = 360_000;

/** Runs one session's messages in arrival order; returns whether evidence was found. `cacheMs`: the charger answers a trigger with the register it read last on its own cycle of that period (0: read when asked). */
function run(l: Link, keepsCharging: boolean, cacheMs = 0): boolean {
  let now = 0;
  const evidence = new SessionEvidence({ scheduler: { now: () => now, setTimer: () => () => undefined } });
  const S = 1_000_000; // the stop goes out (agent clock)
  const P = S + l.downMs; // the charger has it
  // The register grows 100 Wh/s until the charger has the stop (or on): a reading at charger time t.
  const register = (t: number) => Math.floor(((keepsCharging ? t : Math.min(t, P)) - (S - 100_000)) / 10);
  const events: Array<{ at: number; run: () => void }> = [];
  // A trigger sent on reconnect, before the stop: its reply (read then, or later) must not count.
  if (l.earlyTriggerReplyMs !== undefined) {
    const sentAt = S - 10;
    events.push({ at: sentAt, run: () => evidence.triggerSent("tx", { afterStop: false })("accepted") });
    events.push({ at: sentAt + l.earlyTriggerReplyMs, run: () => evidence.observeSample("tx", register(sentAt + l.downMs), true) });
  }
  let answered: (() => void) | undefined;
  events.push({ at: S, run: () => (answered = evidence.stopSent("tx", 0)) });
  const confAt = P + l.upMs;
  events.push({ at: confAt, run: () => answered!() });
  // The queue: samples read before the stop, delivered after its answer at the charger's pace.
  for (let k = 0; k < l.queued; k++) events.push({ at: confAt + 1 + k * l.paceMs, run: () => evidence.observeSample("tx", register(S - 50_000 + k * 1_000), false) });
  // The agent's three triggers after the answer; each read when the charger has it (or last read on its cycle), answered in order.
  const cached = (t: number) => (cacheMs > 0 ? Math.floor(t / cacheMs) * cacheMs : t);
  let lastReplyAt = confAt;
  for (const k of [1, 2, 3]) {
    const sentAt = confAt + k * l.spacingMs;
    const readAt = sentAt + l.downMs;
    const replyAt = Math.max(readAt + l.upMs, lastReplyAt + 1, l.earlyTriggerReplyMs !== undefined ? S - 10 + l.earlyTriggerReplyMs + 1 : 0);
    lastReplyAt = replyAt;
    let done: ((a: "accepted" | "refused" | "unknown") => void) | undefined;
    events.push({ at: sentAt, run: () => (done = evidence.triggerSent("tx", { afterStop: true })) });
    // Its answer comes before the reply it announces — and never before the trigger went out
    // (on a zero-delay link both are at the same instant; the sort is stable: sent, answered, reply).
    events.push({ at: Math.max(sentAt, readAt + l.upMs - 0.5), run: () => done!("accepted") });
    events.push({ at: replyAt, run: () => evidence.observeSample("tx", register(cached(readAt)), true) });
  }
  for (const e of events.sort((a, b) => a.at - b.at)) {
    now = e.at;
    e.run();
  }
  // Trigger replies only (no meter clock bound: unsolicited samples give none here).
  return evidence.chargedAfterStop("tx", RATED_W, Infinity, undefined) !== undefined;
}

/** Runs: 500 by default; RUNS=100000 for a campaign. The zero-delay link always runs (it once broke the harness). */
const params = { numRuns: Number(process.env.RUNS ?? 500), examples: [[{ downMs: 0, upMs: 0, queued: 0, paceMs: 0, earlyTriggerReplyMs: undefined, spacingMs: 10 }]] as [Link][] };

/** A meter clock bound this runtime had before the stop was sent (at 0): from live samples. */
const live = (leastMs: number) => ({ leastMs, since: -1 });

it("a charger that stopped at the RemoteStop never looks like an overrun, whatever its link, queue and early trigger replies", () => {
  fc.assert(fc.property(link, (l) => !run(l, false)), params);
});

// Review 13b #6: a charger whose meter is read on its own cycle (10 ms – 30 s) answers the first
// trigger after the stop with a pre-stop value and a later one with the catch-up: never an overrun.
it("a charger that stopped at the RemoteStop and answers triggers with a cached register never looks like an overrun", () => {
  fc.assert(fc.property(link, fc.integer({ min: 10, max: 30_000 }), (l, cacheMs) => !run(l, false, cacheMs)), { numRuns: params.numRuns, examples: params.examples.map(([l]) => [l, 10_000] as [Link, number]) });
});

it("a charger that charges on after the RemoteStop shows it in the replies to the three triggers sent after the answer", () => {
  fc.assert(fc.property(link, (l) => run(l, true)), params);
});

it("queued and unsolicited samples are progress only: a queue drained after the stop is no evidence, growing or not", () => {
  let now = 0;
  const evidence = new SessionEvidence({ scheduler: { now: () => now, setTimer: () => () => undefined } });
  const answered = evidence.stopSent("tx", 0);
  now = 10;
  answered();
  // Unstamped: no evidence whatever the bound.
  for (let k = 0; k < 30; k++) ((now = 20 + k * 150), evidence.observeSample("tx", 100 + k * 10, false));
  expect(evidence.chargedAfterStop("tx", RATED_W, 1_010, live(0))).toBeUndefined();
  // Stamped when they were read, before the stop (a minute ago), drained after it: the meter clock's bound (≈ 0 from live samples) puts them before.
  for (let k = 0; k < 30; k++) ((now = 5_000 + k * 150), evidence.observeSample("tx", 400 + k * 10, false, -60_000 + k * 1000));
  expect(evidence.chargedAfterStop("tx", RATED_W, 1_010, live(5))).toBeUndefined();
});

// Stamped samples are no overrun evidence while STAMPED_EVIDENCE is off (issue 12 review 13 #1/#2: false overruns); this test is the capability for when a bound can be proven live.
it.skipIf(!STAMPED_EVIDENCE)("samples the meter stamped after the stop's answer and the ramp-down, growing within the rated power, are evidence (review 12l #4: whatever the meter clock's offset)", () => {
  for (const offsetMs of [0, 3_600_000, -3_600_000]) {
    let now = 0;
    const evidence = new SessionEvidence({ scheduler: { now: () => now, setTimer: () => () => undefined } });
    const answered = evidence.stopSent("tx", 0);
    now = 10;
    answered();
    // Live: stamped on the meter's clock (offset), arriving 3 ms later; the bound is the least arrival − stamp.
    for (let k = 0; k < 4; k++) ((now = 20 + k * 1000), evidence.observeSample("tx", 100 + k * 6, false, now - 3 + offsetMs));
    expect(evidence.chargedAfterStop("tx", RATED_W, 1_010, live(3 - offsetMs))).toBe("stamped");
    // The same bound, learnt only after the stop was sent (a restarted agent, a queue drained): no evidence (review 12n #1).
    expect(evidence.chargedAfterStop("tx", RATED_W, 1_010, { leastMs: 3 - offsetMs, since: 0 })).toBeUndefined();
    // Growth above twice the rated power is a bad reading, not evidence.
    now += 1000;
    evidence.observeSample("tx", 100_000, false, now - 3 + offsetMs);
    expect(evidence.chargedAfterStop("tx", RATED_W, 1_010, live(3 - offsetMs))).toBeUndefined();
  }
});

it("a charger that refuses TriggerMessage gives no evidence: the refused triggers wait for no reply", () => {
  let now = 0;
  const evidence = new SessionEvidence({ scheduler: { now: () => now, setTimer: () => () => undefined } });
  const answered = evidence.stopSent("tx", 0);
  now = 10;
  answered();
  evidence.triggerSent("tx", { afterStop: true })("refused");
  evidence.triggerSent("tx", { afterStop: true })("refused");
  for (let k = 0; k < 4; k++) ((now = 20 + k * 150), evidence.observeSample("tx", 100 + k * 10, true)); // "Trigger" context, unasked
  expect(evidence.chargedAfterStop("tx", RATED_W, 1_010, live(0))).toBeUndefined();
});
