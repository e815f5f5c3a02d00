// Overlapped status reads of a POS flow (agent/core/pos-reads.ts, issue 9 new-F): on a slow Glase
// the next read goes out while one is outstanding, and answers are taken by send order.
import { describe, expect, it } from "vitest";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import type { GlaseOutcome } from "../../agent/core/inputs.ts";
import { CODE, Driver, LOST, OK, SETTINGS } from "./helpers.ts";

const POS = { flowId: "k1", point: 9, terminalId: "T9", currency: "SEK", stationName: "K", amountMinor: 2500 };
const PAID = OK({ status: "PAID", version: 3, ersReference: "E1" });
const ISSUED = OK({ status: "ISSUED", version: 1 });

/** Invoice sent, first read out; `n` more poll intervals pass without an answer. */
function slow(n: number): { d: Driver<PosState>; refs: string[] } {
  const d = Driver.of(startPos(POS, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<PosState>;
  d.answer(OK({ invoiceReference: "INV9" }));
  const refs = [d.state.pending!.ref];
  for (let i = 0; i < n; i++) {
    d.runTimers(d.now + SETTINGS.pollIntervalMs);
    if (d.state.pending!.ref !== refs.at(-1)) refs.push(d.state.pending!.ref);
  }
  return { d, refs };
}

const answer = (d: Driver<PosState>, ref: string, outcome: GlaseOutcome) => d.feed({ type: "glase", op: "getPaymentStatus", ref, outcome });
const reads = (d: Driver<PosState>) => d.log.filter((x) => x.effect.type === "glase" && x.effect.call.op === "getPaymentStatus").map((x) => x.at);

describe("POS status reads overlap on a slow Glase (new-F)", () => {
  it("a read outstanding for a poll interval does not hold the next one back; at most 3 are out", () => {
    const { d, refs } = slow(10);
    expect(refs).toHaveLength(3);
    expect(reads(d)).toEqual([0, 1000, 2000]);
    // One answers (refused): the reads go on at the cadence from their sends.
    answer(d, refs[2]!, CODE(90));
    d.runTimers(d.now + 3 * SETTINGS.pollIntervalMs, () => d.state.pending !== undefined);
    expect(d.state.phase).toBe("polling");
    expect(d.state.pending?.op).toBe("getPaymentStatus");
  });

  it("six refused reads after a payment cost six poll intervals, not six round trips", () => {
    const { d } = slow(0);
    // Every read is answered 2.9 s after it was sent: a 54, five 90s, then PAID.
    const outcomes = [CODE(54), CODE(90), CODE(90), CODE(90), CODE(90), CODE(90), PAID];
    const answered = new Set<string>();
    while (d.state.phase === "polling" && d.now < 30_000) {
      const out = d.log.flatMap((x) => (x.effect.type === "glase" && x.effect.call.op === "getPaymentStatus" && !answered.has(x.effect.ref) ? [{ ref: x.effect.ref, due: x.at + 2900 }] : []));
      const timer = Math.min(...d.timers.values());
      if (out.length > 0 && out[0]!.due <= timer) {
        d.now = Math.max(d.now, out[0]!.due);
        answer(d, out[0]!.ref, outcomes[Math.min(answered.size, outcomes.length - 1)]!);
        answered.add(out[0]!.ref);
      } else d.runTimers(timer);
    }
    expect(d.state.phase).toBe("confirming");
    // Sequential reads: 7 × 2.9 s = 20.3 s. Overlapped: the 7th read goes out at 6 s.
    expect(d.now).toBeLessThanOrEqual(9_000);
  });

  it("an older read's ISSUED never undoes a newer read's PAID", () => {
    const { d, refs } = slow(2);
    answer(d, refs[2]!, PAID);
    expect(d.state.phase).toBe("confirming");
    const before = d.state;
    answer(d, refs[0]!, ISSUED);
    answer(d, refs[1]!, LOST);
    expect(d.state).toBe(before);
  });

  it("an older read's PAID is acted on at once; the newer reads then out are stale", () => {
    const { d, refs } = slow(2);
    answer(d, refs[0]!, PAID);
    expect(d.state.phase).toBe("confirming");
    expect(d.state.paidSeen?.ersReference).toBe("E1");
    const before = d.state;
    answer(d, refs[2]!, ISSUED);
    expect(d.state).toBe(before);
  });

  it("an older read's open or failed answer is dropped while a newer one is out: the newer decides", () => {
    const { d, refs } = slow(2);
    answer(d, refs[0]!, ISSUED);
    answer(d, refs[1]!, CODE(54));
    expect(d.state.phase).toBe("polling");
    expect(d.state.pending?.ref).toBe(refs[2]);
    expect(d.alarm("status-read-refused")).toBe(false);
    answer(d, refs[2]!, PAID);
    expect(d.state.phase).toBe("confirming");
  });

  it("an older read's CANCELED ends the flow even while a newer one is out", () => {
    const { d, refs } = slow(1);
    answer(d, refs[0]!, OK({ status: "CANCELED", version: 2 }));
    expect(d.state.phase).toBe("finished");
    expect(d.state.outcome).toBe("canceled");
  });
});
