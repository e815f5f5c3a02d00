// Review 9-s S3/S4 (d4669f9, the candidate held while a PAID is confirmed, pos-confirm.ts).
// S3 (MEDIUM → money lost if the alarm is followed): the confirming reads of E2 keep failing, so
// the flow releases on E2 unconfirmed (alarm paid-unconfirmed) — and tells the candidate E1 as a
// second payment to refund (paid-twice, `refundable`: the refund guard lets `ctl refund E1` through).
// The confirming read exists because E2 may have been reversed (§9 A45); if it was, E1 is the
// sale's ONLY standing payment and the alarm's refund line gives the product away for nothing.
// S4 (MEDIUM): one candidate slot. A third payment of the flow's read while the candidate is held
// is told as a second one at once (paid-twice, refund); should the one being confirmed (E3) and the
// candidate (E1) both be reversed, the flow ends 'reversed', shows "Payment reversed - no charge",
// releases nothing — while E2 stands: the R3 outcome one payment later.
import { describe, expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import type { PosState } from "../../agent/core/pos.ts";
import { resending, sendRead, untilSend, PAID_INV1 } from "../core/pos-send-scenes.ts";
import { CODE, Driver, LOST, OK } from "../core/helpers.ts";

type Alarm = Extract<Effect, { type: "alarm" }>;
const alarms = (d: Driver<PosState>, from: number): Alarm[] => d.since(from, "alarm").map((x) => x.effect as Alarm);
const displays = (d: Driver<PosState>, from: number) => d.since(from, "display").map((x) => (x.effect as Extract<Effect, { type: "display" }>).text);
const PAID_E2 = OK({ status: "PAID", version: 3, ersReference: "E2", clientInvoiceId: "k1", invoiceReference: "INV2" });

describe("review 9-s: the candidate payment (d4669f9)", () => {
  it("S3: confirming reads of E2 fail, candidate E1 held — E1 must not be handed out as a checked refund while E2 is unconfirmed", () => {
    const d = resending();
    const read = sendRead(d);
    d.answer(OK({ invoiceReference: "INV2" }));
    const from = d.log.length;
    d.answer(PAID_E2);
    expect(d.state.phase).toBe("confirming");
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
    expect(d.state.paidCandidates?.[0]?.ersReference).toBe("E1");
    // Every confirming read of INV2 is lost.
    for (let i = 0; i < 20 && d.state.phase === "confirming"; i++) {
      d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
      if (d.state.pending?.op === "getPaymentStatus") d.answer(LOST);
    }
    expect(d.since(from, "release")).toHaveLength(1); // on E2, unconfirmed
    const codes = alarms(d, from).map((a) => a.code);
    expect(codes).toContain("paid-unconfirmed");
    const e1 = alarms(d, from).find((a) => a.code === "paid-twice");
    // E2 may be the reversed one (that is why it is confirmed): E1 may be the sale's only payment.
    expect(e1?.refundable).toBeUndefined();
  });

  it("S4: a third payment while the candidate is held; the confirmed one and the candidate both reversed — the standing third gets no product and 'no charge' is shown", () => {
    const d = resending(); // #1 lost, #2 out
    d.answer(LOST); // #2 lost too
    untilSend(d, CODE(54)); // nothing open until both settled: #3 goes out
    const ra = sendRead(d);
    const rb = sendRead(d);
    expect(ra.ref).not.toBe(rb.ref);
    d.answer(OK({ invoiceReference: "INV3" }));
    const from = d.log.length;
    d.answer(OK({ status: "PAID", version: 3, ersReference: "E3", clientInvoiceId: "k1", invoiceReference: "INV3" }));
    expect(d.state.phase).toBe("confirming");
    d.feed({ type: "glase", op: "getPaymentStatus", ref: ra.ref, outcome: PAID_INV1 }); // #1 landed, paid: the candidate
    d.feed({ type: "glase", op: "getPaymentStatus", ref: rb.ref, outcome: PAID_E2 }); // #2 landed, paid: told paid-twice at once
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(OK({ status: "CANCELED", version: 4, invoiceReference: "INV3" })); // E3 reversed
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    expect(d.state.pending?.op).toBe("getPaymentStatus");
    d.answer(OK({ status: "CANCELED", version: 4, invoiceReference: "INV1" })); // E1 reversed
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    if (d.state.pending?.op === "getPaymentStatus") d.answer(PAID_E2);
    // E2 stands and is the sale's only payment.
    expect(displays(d, from)).not.toContain("Payment reversed - no charge");
    expect(d.since(from, "release")).toHaveLength(1);
    expect(d.state.ersReference).toBe("E2");
  });
});
