// Review 9-s S5 (HIGH, conditional: receipts without invoiceReference, §4.7 0..1, and a lost send
// landing after a later one — the project's own premise, pos-send-reads.ts "§4.1 sets no bound"):
// the confirming read (pos-confirm.ts onConfirmRead) takes ANY PAID as the confirmation of the one
// read before. With the first PAID's invoice reference unknown it reads the terminal's CURRENT
// invoice (§9 A12) — which may by then be another invoice of the flow's, paid. The flow releases on
// that other payment; the one it was confirming is never released on nor told. With d4669f9 the
// other payment is typically the candidate (read beside the send): withCandidate → secondPayment →
// paidTwice sees it equal to the sale's ersReference and says nothing. Two payments, one product,
// no alarm.
import { describe, expect, it } from "vitest";
import type { PosState } from "../../agent/core/pos.ts";
import { resending, sendRead } from "../core/pos-send-scenes.ts";
import { Driver, LOST, OK } from "../core/helpers.ts";

/** Receipts without invoiceReference (§4.7 0..1); clientInvoiceId present. */
const E1 = OK({ status: "PAID", version: 3, ersReference: "E1", clientInvoiceId: "k1" });
const E2 = OK({ status: "PAID", version: 3, ersReference: "E2", clientInvoiceId: "k1" });

const told = (d: Driver<PosState>, from: number, ers: string) => d.since(from, "alarm").some((x) => x.effect.type === "alarm" && x.effect.message.includes(ers));

/** The confirming reads that follow keep showing `o` (what the current invoice is now). */
function readsShow(d: Driver<PosState>, o: typeof E1): void {
  for (let i = 0; i < 5 && d.state.phase === "confirming"; i++) {
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    if (d.state.pending?.op === "getPaymentStatus") d.answer(o);
  }
}

describe("review 9-s S5: the confirming read of the current invoice shows another payment", () => {
  it("S5a (candidate): E2 confirmed by a read that shows the candidate E1 — released on E1, E2 never told", () => {
    const d = resending(); // #1 lost, re-send #2 out
    const read = sendRead(d);
    d.answer(LOST); // #2 lost too: resolving-send
    const from = d.log.length;
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(E2); // the current invoice: INV2 (#2) paid
    expect(d.state.phase).toBe("confirming");
    expect(d.state.invoiceRef).toBeUndefined();
    // The read made beside #2 answers late: INV1 (#1 landed after #2) paid too — the candidate.
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: E1 });
    expect(d.state.paidCandidates?.[0]?.ersReference).toBe("E1");
    // The confirming read of the current invoice — INV1 now — shows E1.
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(E1);
    readsShow(d, E1);
    expect(d.since(from, "release")).toHaveLength(1);
    // One product, two payments: the other one must be told (paid-twice) whichever was released on.
    const released = d.state.ersReference;
    expect(told(d, from, released === "E1" ? "E2" : "E1")).toBe(true);
  });

  it("S5b (no candidate): the confirming read shows a payment never seen before — released on it, the confirmed one never told", () => {
    const d = resending();
    d.answer(LOST);
    const from = d.log.length;
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(E2);
    expect(d.state.phase).toBe("confirming");
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(E1); // INV1 landed and was paid since: now the current invoice
    readsShow(d, E1);
    expect(d.since(from, "release")).toHaveLength(1);
    const released = d.state.ersReference;
    expect(told(d, from, released === "E1" ? "E2" : "E1")).toBe(true);
  });
});
