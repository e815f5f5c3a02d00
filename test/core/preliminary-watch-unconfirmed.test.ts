// Issue 9 review 3, finding J (pure machine): the reservation watch is not blind while its reads
// fail. A failed read is read again at the poll cadence (not dropped until the next 5-s interval);
// a flow whose sendInvoice was lost (a late invoice may cancel its reservation at any time) stops the
// pump once the reservation has gone UNCONFIRMED_INTERVALS watch intervals without a RESERVED read.
import { expect, it } from "vitest";
import type { GlaseOutcome } from "../../agent/core/inputs.ts";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { UNCONFIRMED_INTERVALS } from "../../agent/core/preliminary-watch.ts";
import { DOWN, Driver, OK, SETTINGS, ctxAt } from "./helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const START = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };
const WATCH = 5 * SETTINGS.pollIntervalMs;
const POLL = SETTINGS.pollIntervalMs;

function delivering(sendLost: boolean): Driver<PreliminaryState> {
  const d = Driver.of(startPreliminary(START, ctxAt(0)));
  d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "ISSUED", version: 1 }));
  d.advance(2000).fire("poll").answer(OK({ status: "RESERVED", version: 2 }));
  // As if the first sendInvoice's answer had been lost (preliminary.ts resolving-send).
  if (sendLost) d.state = { ...d.state, sendLost: true };
  d.feed({ type: "authorized", ok: true });
  d.feed({ type: "progress", milli: 100, amountMinor: 190 });
  return d;
}

/** Runs the timers to `until`, answering every watch read with `answer(at)`. Returns the watch reads' send times. */
function watchFor(d: Driver<PreliminaryState>, until: number, answer: (at: number) => GlaseOutcome): number[] {
  const sent: number[] = [];
  for (;;) {
    const ref = d.state.watchRef;
    if (ref !== undefined) {
      sent.push(d.now);
      d.feed({ type: "glase", op: "getPaymentStatus", ref, outcome: answer(d.now) });
      continue;
    }
    const before = d.log.length;
    d.runTimers(until, () => d.state.watchRef !== undefined || d.log.length > before);
    if (d.now >= until || d.state.phase !== "delivering") return sent;
  }
}

it("(J) a sendLost flow whose watch reads all fail re-reads at the poll cadence and stops the pump after the unconfirmed limit, with an alarm", () => {
  const d = delivering(true);
  const start = d.now;
  const sent = watchFor(d, start + 10 * WATCH, () => DOWN);
  // lead5 3f86079: one read per watch interval, dropped on failure; the pump runs on until the lapse.
  expect(sent[0]).toBe(start + WATCH);
  expect(sent[1]! - sent[0]!).toBe(POLL);
  expect(d.state.phase).toBe("stopping");
  expect(d.now - start).toBeGreaterThanOrEqual(UNCONFIRMED_INTERVALS * WATCH);
  expect(d.now - start).toBeLessThan(UNCONFIRMED_INTERVALS * WATCH + 2 * POLL);
  expect(d.since(0, "stop")).toHaveLength(1);
  expect(d.since(0, "alarm").map((x) => (x.effect.type === "alarm" ? x.effect.code : ""))).toContain("reservation-unconfirmed");
});

it("(J) a RESERVED read in between counts as confirmation: the pump runs on", () => {
  const d = delivering(true);
  const start = d.now;
  // Every other read fails: never unconfirmed for two intervals in a row.
  let n = 0;
  watchFor(d, start + 5 * WATCH, () => (n++ % 2 === 0 ? DOWN : OK({ status: "RESERVED", version: 2 })));
  expect(d.state.phase).toBe("delivering");
  expect(d.since(0, "stop")).toHaveLength(0);
});

it("(J) without a lost send, failing reads are retried at the poll cadence but do not stop the pump", () => {
  const d = delivering(false);
  const start = d.now;
  const sent = watchFor(d, start + 4 * WATCH, () => DOWN);
  expect(sent[1]! - sent[0]!).toBe(POLL);
  expect(d.state.phase).toBe("delivering");
  expect(d.since(0, "stop")).toHaveLength(0);
});
