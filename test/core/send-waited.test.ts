// Issue 9 review 6 #3: a flow's sendInvoice that waited behind the terminal's lost-send watch's
// yielding send (agent/engine/terminal-sends.ts) goes out up to one call timeout after it was
// decided. Its answer's input says when it went out (outAt); the re-send margin ("settled": two call
// timeouts) and the lost send handed to the watch count from then — while the reservation's stop and
// commit deadlines still count from the decision, the earliest Glase can have created the invoice.
import { describe, expect, it } from "vitest";
import type { GlaseOutcome } from "../../agent/core/inputs.ts";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import type { FlowState } from "../../agent/core/transition.ts";
import { CODE, Driver, LOST, OK, SETTINGS, ctxAt } from "./helpers.ts";

const T = SETTINGS.glaseCallTimeoutMs;
const POS = { flowId: "k1", point: 9, terminalId: "T9", currency: "SEK", stationName: "K", amountMinor: 2500 };
const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const PRE = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };

/** Answers the pending sendInvoice as the executor does after a wait: with when it went out. */
function answerWaited<S extends FlowState>(d: Driver<S>, outcome: GlaseOutcome, outAt: number): void {
  const p = d.state.pending!;
  expect(p.op).toBe("sendInvoice");
  d.feed({ type: "glase", op: p.op, ref: p.ref, outcome, outAt });
}

/** Answers every read of the terminal's current invoice with 54 (nothing there) until the flow sends again; returns when it did. */
function nextSendAt<S extends FlowState>(d: Driver<S>): number {
  for (let i = 0; i < 1000; i++) {
    if (d.state.pending?.op === "sendInvoice") return d.now;
    if (d.state.pending) d.answer(CODE(54));
    else d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
  }
  throw new Error(`no second sendInvoice (phase ${d.state.phase})`);
}

describe("a sendInvoice that waited before going out (review 6 #3)", () => {
  it("POS: the re-send waits two call timeouts from when the send went out, and the lost send is recorded at that time", () => {
    const d = Driver.of(startPos(POS, ctxAt(0))) as Driver<PosState>;
    // Decided at 0, held behind the watch's send for a full call timeout, then its own timed out.
    d.advance(2 * T);
    answerWaited(d, LOST, T);
    expect(d.state.phase).toBe("resolving-send");
    expect(d.state.lostSends).toEqual([T]);
    // b25f978: counted from the decision, it re-sent at once (2T), with no margin left.
    expect(nextSendAt(d)).toBeGreaterThanOrEqual(3 * T);
  });

  it("preliminary: the same margin; the lost send is recorded when it went out", () => {
    const d = Driver.of(startPreliminary(PRE, ctxAt(0))) as Driver<PreliminaryState>;
    d.advance(2 * T);
    answerWaited(d, LOST, T);
    expect(d.state.phase).toBe("resolving-send");
    expect(d.state.lostSends).toEqual([T]);
    expect(nextSendAt(d)).toBeGreaterThanOrEqual(3 * T);
  });

  it("preliminary: the stop and commit deadlines still count from when the send was decided, never from when it went out", () => {
    const d = Driver.of(startPreliminary(PRE, ctxAt(0))) as Driver<PreliminaryState>;
    d.advance(T + 500);
    answerWaited(d, OK({ invoiceReference: "INV1" }), T);
    d.answer(OK({ status: "ISSUED", version: 1 }));
    d.advance(2000).fire("poll").answer(OK({ status: "RESERVED", version: 2 }));
    expect(d.state.phase).toBe("authorizing");
    const lapse = SETTINGS.commitReservationTimeoutS * 1000; // from sentAt = 0
    const margin = SETTINGS.commitSafetyMarginS * 1000;
    expect(d.state.stopAt).toBe(lapse - 2 * margin);
    expect(d.state.commitDeadline).toBe(lapse - margin);
  });
});
