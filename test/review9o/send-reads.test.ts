// Review 9-o of 1307be2 (pos-send-reads.ts): reads of the terminal's current invoice while a kiosk
// flow's sendInvoice is out. Each test fails on 1307be2.
import { describe, expect, it } from "vitest";
import { OPEN, PAID_INV1, currentReads, start, untilSend, resending } from "../core/pos-send-scenes.ts";
import { DOWN, LOST, OK, SETTINGS } from "../core/helpers.ts";

describe("review 9-o: reads while a re-send is out (1307be2)", () => {
  it("#1 a PAID of the invoice the flow already adopted, read during its superseding send, takes a second lost send off the record", () => {
    // #1 lost, re-send #2 lost too: two sends that may each open an invoice; one shows up open and is adopted.
    const d = resending();
    d.answer(LOST); // #2's answer lost: lostSends [t1, t2]
    expect(d.state.lostSends).toHaveLength(2);
    d.answer(OPEN); // current invoice open, ours: adopted (one of the two landed) -> lostSends [t2]
    expect(d.state.phase).toBe("polling");
    expect(d.state.refUnknown).toBe(true);
    expect(d.state.lostSends).toHaveLength(1);
    // The customer windows run out: the adopted invoice is superseded by #3 (its reference is unknown).
    untilSend(d, OPEN);
    expect(d.state.refUnknown).toBe(true);
    const from = d.log.length;
    d.runTimers(d.now + 3 * SETTINGS.pollIntervalMs, () => currentReads(d, from).length > 0);
    const read = currentReads(d, from)[0]!;
    // The customer paid the adopted invoice just before #3 landed: the read made while #3 is out sees it.
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
    expect(d.state.phase).toBe("confirming");
    // Only ONE invoice of the three sends was ever seen (the adopted one, already taken off at adoption);
    // the other of #1/#2 may still land, and #3 is out: two lost sends to hand to the terminal's watch.
    expect(d.state.lostSends).toHaveLength(2);
  });

  it("#2 a read sent during the re-send that answers after the adopted current invoice was read takes the re-send's record off too", () => {
    const d = resending();
    const from = d.log.length;
    d.runTimers(d.now + 3 * SETTINGS.pollIntervalMs, () => currentReads(d, from).length > 0);
    const read = currentReads(d, from)[0]!;
    d.answer(LOST); // the re-send's answer lost: lostSends [t1, t2], resolving-send
    d.answer(OPEN); // the current invoice is open and ours: adopted -> lostSends [t2]
    expect(d.state.lostSends).toHaveLength(1);
    // The slower read (sent earlier, processed after the payment) answers now: the adopted invoice is PAID.
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
    expect(d.state.phase).toBe("confirming");
    // One invoice seen for two lost sends: the other may still land and must reach the terminal's watch.
    expect(d.state.lostSends).toHaveLength(1);
  });

  it("#3 a superseding send (the adopted invoice's reference unknown) is not read around: a PAID of the adopted invoice in its wait is hidden", () => {
    const d = start();
    d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
    d.answer(OPEN); // the lost send landed: adopted, lostSends empty
    expect(d.state.refUnknown).toBe(true);
    expect(d.state.lostSends).toBeUndefined();
    untilSend(d, OPEN); // windows out: superseding sendInvoice out, INV1 still open and payable
    const from = d.log.length;
    const out = d.now;
    d.runTimers(out + SETTINGS.glaseCallTimeoutMs - 1);
    // INV1 is readable only as the current invoice until the superseding one lands (at any time in
    // this 10-s wait): the same race 1307be2 closes for the re-send.
    expect(currentReads(d, from).length).toBeGreaterThan(0);
  });

  it("#4 the re-send answered DOWN while a read is out: the flow ends offline and the read's PAID of its lost invoice is dropped", () => {
    const d = resending();
    const from = d.log.length;
    d.runTimers(d.now + 3 * SETTINGS.pollIntervalMs, () => currentReads(d, from).length > 0);
    const read = currentReads(d, from)[0]!;
    d.answer(DOWN); // the re-send never reached Glase: "Glase unavailable"
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
    for (let i = 0; i < 20 && d.state.phase !== "finished" && d.state.phase !== "releasing"; i++) {
      if (d.state.pending) d.answer(PAID_INV1);
      else d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    }
    // The customer paid the flow's own invoice and the flow read it: released, not "offline".
    expect(d.state.outcome).not.toBe("offline");
    expect(d.log.filter((x) => x.effect.type === "release")).toHaveLength(1);
  });

  it("#5 after a read-while-sending payment the re-send's invoice (reference known) is superseded blind: no reads while that send is out", () => {
    const d = resending();
    const from0 = d.log.length;
    d.runTimers(d.now + 3 * SETTINGS.pollIntervalMs, () => currentReads(d, from0).length > 0);
    const read = currentReads(d, from0)[0]!;
    d.answer(OK({ invoiceReference: "INV2" })); // the re-send answered: INV2 open
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(PAID_INV1);
    expect(d.state.phase).toBe("releasing");
    d.feed({ type: "released", ok: true }).feed({ type: "printed", ok: true });
    // INV2 open, its reference known: it could be cancelled by reference; the flow supersedes it instead.
    for (let i = 0; i < 50 && d.state.pending?.op !== "sendInvoice" && d.state.pending?.op !== "cancelInvoice"; i++) {
      if (d.state.pending) d.answer(OK({ status: "ISSUED", version: 1, clientInvoiceId: "k1", invoiceReference: "INV2" }));
      else d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    }
    if (d.state.pending?.op === "cancelInvoice") return; // cancelled by its reference: fine
    const from = d.log.length;
    d.runTimers(d.now + SETTINGS.glaseCallTimeoutMs - 1);
    // INV2 stays payable (the next customer scans the sticker) until the superseding send lands: read meanwhile.
    expect(currentReads(d, from).length).toBeGreaterThan(0);
  });
});
