// Review 9-p of 1a7f458 (pos-send-reads.ts after the 9-o fixes). Each test fails on 1a7f458.
import { describe, expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import { type PosState } from "../../agent/core/pos.ts";
import { OPEN, PAID_INV1, start, untilSend, resending, sendRead } from "../core/pos-send-scenes.ts";
import { CODE, DOWN, Driver, LOST, OK, SETTINGS } from "../core/helpers.ts";

const loud = (d: Driver<PosState>, from: number): Effect[] =>
  d.log.slice(from).map((x) => x.effect).filter((e) => e.type === "release" || e.type === "alarm");

describe("review 9-p: reads while a send is out (1a7f458)", () => {
  it("#1 a superseding send answered, its invoice cancelled, the flow ends with a read still out: that read's PAID of the adopted invoice is dropped — no product, no alarm, nobody watches", () => {
    const d = start();
    d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
    d.answer(OPEN); // the lost send landed: adopted (reference unknown), lostSends empty
    untilSend(d, OPEN); // windows out: the superseding send #2 goes out, reads of the current invoice beside it
    const read = sendRead(d);
    d.answer(OK({ invoiceReference: "INV2" })); // #2 answered: INV2 (it superseded INV1... or INV1 was paid just before)
    d.answer(OK({ status: "ISSUED", version: 1, clientInvoiceId: "k1", invoiceReference: "INV2" })); // poll INV2: open -> cancel
    expect(d.state.pending?.op).toBe("cancelInvoice");
    d.answer(OK()); // INV2 cancelled: the flow ends "canceled" — once its read is in (phase draining since the fix)
    expect(["finished", "draining"]).toContain(d.state.phase);
    expect(d.state.lostSends ?? []).toHaveLength(0); // nothing handed to the terminal's watch
    const from = d.log.length;
    // The read sent while #2 was out reached Glase after the customer paid INV1: PAID, and read (not reversed).
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
    // The customer's money stands (the read stopped the 20-s reversal) and nobody is told: neither
    // released nor alarmed. Either the flow must not end with reads out, or it must act on this one.
    // (Since the fix it waits for the read, and serves the payment: the confirming read first, §9 A45.)
    if (d.state.phase === "confirming") {
      d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
      d.answer(PAID_INV1);
    }
    expect(loud(d, from).length).toBeGreaterThan(0);
  });

  it("#2 the superseding send of an adopted invoice is lost; the current-invoice read shows the adopted one PAID: onCurrentInvoice takes a second lost send off (adoptedUnseen ignored)", () => {
    const d = resending();
    d.answer(LOST); // re-send #2 lost too: lostSends [t1, t2]
    d.answer(OPEN); // adopted (one of the two landed): [t2], adoptedUnseen
    expect(d.state.lostSends).toHaveLength(1);
    untilSend(d, OPEN); // windows out: superseding send #3
    d.answer(LOST); // #3's answer lost: [t2, t3], resolving-send
    expect(d.state.lostSends).toHaveLength(2);
    expect(d.state.phase).toBe("resolving-send");
    d.answer(PAID_INV1); // the adopted invoice was paid before #3 landed (or #3 never landed)
    expect(d.state.phase).toBe("confirming");
    // Only the adopted invoice was ever seen, for three sends: two may still land.
    expect(d.state.lostSends).toHaveLength(2);
  });

  it("#3 a read made during the re-send answers PAID of the re-send's own invoice (reference known, INV2) before the flow's poll does: a lost send #1 that never landed is taken off the record", () => {
    const d = resending(); // send #1 lost (never seen), re-send #2 out: lostSends [t1]
    const read = sendRead(d);
    d.answer(OK({ invoiceReference: "INV2" })); // #2 answered: polling INV2
    expect(d.state.invoiceRef).toBe("INV2");
    // The customer paid INV2 at once; the read (processed after the payment) answers before the flow's own poll.
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: OK({ status: "PAID", version: 3, ersReference: "E2", clientInvoiceId: "k1", invoiceReference: "INV2" }) });
    expect(d.state.phase).toBe("confirming");
    // INV2 is the answered send, not a lost one: #1 may still land and must reach the terminal's watch.
    expect(d.state.lostSends).toHaveLength(1);
  });

  it("#4 the re-send refused definitely while a read is out: the flow ends 'failed' and the read's PAID of its lost invoice is dropped (9-o #4, second half, not fixed)", () => {
    const d = resending();
    const read = sendRead(d);
    d.answer(CODE(20)); // the re-send refused (credentials): finish "failed"
    const from = d.log.length;
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
    for (let i = 0; i < 20 && d.state.phase !== "finished" && d.state.phase !== "releasing"; i++) {
      if (d.state.pending) d.answer(PAID_INV1);
      else d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    }
    expect(d.log.slice(from).filter((x) => x.effect.type === "release")).toHaveLength(1);
  });

  it("#5 the re-send answered DOWN with a read out while Glase stays down: the flow never ends (before 1a7f458: 'offline' at once, the lost send handed to the terminal's watch)", () => {
    const d = resending();
    sendRead(d);
    d.answer(DOWN);
    for (let i = 0; i < 400 && d.state.phase !== "finished"; i++) {
      if (d.state.pending) d.answer(DOWN);
      else d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    }
    // 400 reads (~7 min) of a Glase that refuses connections: still resolving-send, customer shown nothing.
    expect(d.state.phase).toBe("finished");
  });
});
