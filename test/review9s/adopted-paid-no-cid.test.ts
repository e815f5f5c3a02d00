// Review 9-s S1 (HIGH, conditional on a receipt without clientInvoiceId, §4.7 0..1 — the premise of
// 9r R1): 6cbd23b takes a PAID without clientInvoiceId as the flow's only (a) after a lost send still
// on record (pos-send-reads.ts ownPaid: paymentDate ≥ the oldest of lostSends) or (b) in a poll of
// the adopted invoice (pos-lost-send.ts onCurrentStatus). But adopting the lost send's open invoice
// takes that send off the record (adoptCurrent: lostSends = landedOne(...) → undefined), so every
// OTHER read of the very invoice the flow adopted goes through ownPaid with no lost send left and
// drops the PAID:
// - S1a: the adopted invoice is superseded (unattended timeout: cancel ⇒ a new sendInvoice, §6.4);
//   the customer pays it just before the superseding send lands — the read made beside the send
//   (pos-send-reads.ts) sees PAID E1, acknowledges it (§6.3: it stands) and drops it;
// - S1b: a poll of the adopted invoice is answered 54 (readAgain ⇒ resolving-send): the next read
//   of the current invoice (onCurrentInvoice) sees the adopted invoice PAID and drops it — the flow
//   then sends a NEW invoice and asks the customer to pay again.
// Either way the customer's E1 stands (read within 20 s), nothing is released, no alarm names E1.
import { describe, expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import type { PosState } from "../../agent/core/pos.ts";
import { currentReads, start, untilSend } from "../core/pos-send-scenes.ts";
import { CODE, Driver, LOST, OK, SETTINGS } from "../core/helpers.ts";

/** The adopted invoice INV1 open / paid — receipts without clientInvoiceId (§4.7 0..1). */
const OPEN_NO_CID = OK({ status: "ISSUED", version: 1 });
const paidNoCid = (at: number) => OK({ status: "PAID", version: 3, ersReference: "E1", invoiceReference: "INV1", paidMinor: 2500, paymentDate: new Date(at).toISOString() });

const sends = (d: Driver<PosState>, from: number) => d.log.slice(from).filter((x) => x.effect.type === "glase" && x.effect.call.op === "sendInvoice");
const toldE1 = (d: Driver<PosState>, from: number) => d.since(from, "alarm").some((x) => x.effect.type === "alarm" && x.effect.message.includes("E1"));
const displays = (d: Driver<PosState>, from: number) => d.since(from, "display").map((x) => (x.effect as Extract<Effect, { type: "display" }>).text);

/** #1 lost, its invoice INV1 found open on the terminal and adopted (polled as the current invoice). */
function adopted(): Driver<PosState> {
  const d = start();
  d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
  d.answer(OPEN_NO_CID);
  expect(d.state.phase).toBe("polling");
  expect(d.state.refUnknown).toBe(true);
  expect(d.state.lostSends).toBeUndefined(); // the landing was counted at adoption
  return d;
}

describe("review 9-s S1: the adopted invoice (no clientInvoiceId) paid, read outside the adopted poll", () => {
  it("S1a: paid just before the superseding send lands — the read beside the send sees PAID E1 and drops it", () => {
    const d = adopted();
    const from = d.log.length;
    // The customer does not pay in the windows: the unattended timeout supersedes INV1 (§6.4).
    untilSend(d, OPEN_NO_CID);
    const sentAt = d.now;
    // The customer pays INV1 now; the read of the current invoice made beside the send sees it.
    const before = d.log.length;
    d.runTimers(d.now + 3 * SETTINGS.pollIntervalMs, () => currentReads(d, before).length > 0);
    const read = currentReads(d, before)[0];
    expect(read).toBeDefined();
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read!.ref, outcome: paidNoCid(sentAt + 200) });
    // The superseding send lands (INV2; INV1 is PAID, not superseded): polled, then cancelled.
    if (d.state.pending?.op === "sendInvoice") d.answer(OK({ invoiceReference: "INV2" }));
    for (let i = 0; i < 200 && d.state.phase !== "finished"; i++) {
      if (d.state.pending?.op === "getPaymentStatus") d.answer(OK({ status: "ISSUED", version: 1, invoiceReference: "INV2" }));
      else if (d.state.pending?.op === "cancelInvoice") d.answer(OK());
      else if (d.state.pending?.op === "sendInvoice") d.answer(OK({ invoiceReference: "INV3" }));
      else d.runTimers(d.now + 60_000, () => d.state.pending !== undefined || d.state.phase === "finished");
    }
    // E1 stands (the read acknowledged it): released on, or at least told.
    expect(d.since(from, "release").length > 0 || toldE1(d, from)).toBe(true);
  });

  it("S1b: a poll of the adopted invoice answered 54, then the current invoice read PAID E1 — dropped, a new invoice sent", () => {
    const d = adopted();
    const from = d.log.length;
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(CODE(54)); // the adopted poll refused once: back to resolving-send
    expect(d.state.phase).toBe("resolving-send");
    const paidAt = d.now + 100; // the customer pays the adopted INV1
    for (let i = 0; i < 200 && sends(d, from).length === 0 && d.since(from, "release").length === 0; i++) {
      if (d.state.pending?.op === "getPaymentStatus") d.answer(paidNoCid(paidAt));
      else d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    }
    expect(d.since(from, "release").length > 0 || toldE1(d, from)).toBe(true);
    expect(sends(d, from)).toHaveLength(0); // the customer who paid is not asked to pay again
    expect(displays(d, from)).not.toContain("Scan the Glase code to pay");
  });
});
