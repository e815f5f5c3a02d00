// Review 9-r R1 (HIGH): a kiosk flow recognises a payment of its own on the terminal's current
// invoice (a read without reference, §9 A12) only by receipt.clientInvoiceId — which §4.7 makes
// 0..1 ("missing in the site's table, present in the jar"; the project's own harness
// test/flows/harness/no-client-invoice-id.ts and the lost-send watch take such a Glase as real).
// The flow's read of that PAID is the acknowledgement that stops the 20-s reversal (§6.3), so the
// customer's money stays with the merchant, while the flow releases nothing and asks the customer
// to pay again (a new sendInvoice, "Scan the Glase code to pay"): two payments, one product.
// Pure core (agent/core/pos*.ts). Each test fails on d95fe87.
import { describe, expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import type { PosState } from "../../agent/core/pos.ts";
import { resending, sendRead, start } from "../core/pos-send-scenes.ts";
import { CODE, Driver, LOST, OK, SETTINGS } from "../core/helpers.ts";

/** The lost send's invoice INV1, paid by the customer: a receipt without clientInvoiceId (§4.7 0..1). */
const paidNoCid = (at: number) =>
  OK({ status: "PAID", version: 3, ersReference: "E1", invoiceReference: "INV1", paidMinor: 2500, paymentDate: new Date(at).toISOString() });
/** The lost send's invoice INV1 open (an open read never needs the receipt). */
const OPEN_NO_CID = OK({ status: "ISSUED", version: 1 });

const sendsSince = (d: Driver<PosState>, from: number) =>
  d.log.slice(from).filter((x) => x.effect.type === "glase" && x.effect.call.op === "sendInvoice");
const releasesSince = (d: Driver<PosState>, from: number) => d.since(from, "release");
const toldE1 = (d: Driver<PosState>, from: number) =>
  d.since(from, "alarm").some((x) => x.effect.type === "alarm" && x.effect.message.includes("E1"));
const displays = (d: Driver<PosState>, from: number) =>
  d.since(from, "display").map((x) => (x.effect as Extract<Effect, { type: "display" }>).text);

/** Answers every read with `o` and fires timers until a sendInvoice goes out or a release is asked (or `ms` pass). */
function driveReads(d: Driver<PosState>, o: Parameters<Driver<PosState>["answer"]>[0], ms: number): void {
  const from = d.log.length;
  const end = d.now + ms;
  for (let i = 0; i < 500 && d.now < end; i++) {
    if (sendsSince(d, from).length > 0 || releasesSince(d, from).length > 0) return;
    if (d.state.pending?.op === "getPaymentStatus") d.answer(o);
    else if (d.state.pending) return;
    else d.runTimers(Math.min(end, d.now + 60_000), () => d.state.pending !== undefined);
  }
}

describe("review 9-r R1: a PAID of the flow's own invoice whose receipt has no clientInvoiceId", () => {
  it("R1a resolving-send: the lost send's invoice read PAID (E1) — the flow sends a new invoice, releases nothing, tells nobody", () => {
    const d = start();
    const from = d.log.length;
    // sendInvoice #1: the answer is lost (Glase processed it: INV1 opened, the customer paid it at 4 s).
    d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
    expect(d.state.phase).toBe("resolving-send");
    // Every read of the current invoice shows INV1 PAID (and acknowledges it: no reversal, §6.3).
    driveReads(d, paidNoCid(4000), 60_000);
    // The customer's E1 is neither released on nor told to anyone ...
    expect(releasesSince(d, from).length > 0 || toldE1(d, from)).toBe(true);
    // ... and the customer, who paid, is not asked to pay again.
    expect(sendsSince(d, from).length).toBe(0); // (the first send was logged before `from`)
  });

  it("R1b polling the adopted invoice: its PAID is alarmed 'paid-not-ours' and a new invoice is sent — the customer is asked to pay twice", () => {
    const d = start();
    const from = d.log.length;
    d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
    d.answer(OPEN_NO_CID); // the lost send landed: adopted as the flow's own (pos-lost-send.ts adoptCurrent)
    expect(d.state.phase).toBe("polling");
    expect(d.state.refUnknown).toBe(true);
    expect(displays(d, from)).toContain("Scan the Glase code to pay");
    // The customer pays the adopted invoice: the flow's poll reads it PAID.
    driveReads(d, paidNoCid(d.now + 500), 60_000);
    // Its own invoice, adopted open on a terminal it holds: the payment is the flow's and is released on.
    expect(releasesSince(d, from)).toHaveLength(1);
    expect(sendsSince(d, from)).toHaveLength(0); // never a second invoice for the same sale (the first was logged before `from`)
  });

  it("R1c a read made while the re-send is out shows the lost send paid (E1): dropped, the re-send's invoice is then shown to be paid again", () => {
    const d = resending(); // #1 lost, nothing open until it settled, re-send #2 out
    const from = d.log.length;
    const read = sendRead(d);
    // The lost #1 landed late after all (INV1) and the customer paid it: the read (acknowledging it) sees PAID.
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: paidNoCid(d.now) });
    // #2 is answered: INV2 (INV1, PAID, is not superseded).
    if (d.state.pending?.op === "sendInvoice") d.answer(OK({ invoiceReference: "INV2" }));
    const asked = displays(d, from).includes("Scan the Glase code to pay");
    driveReads(d, paidNoCid(d.now), 60_000); // its confirming read, then the release
    // E1 is the flow's payment (served as any, pos-send-reads.ts) — or at least told; the customer is not asked again.
    expect(releasesSince(d, from).length > 0 || toldE1(d, from)).toBe(true);
    expect(asked).toBe(false);
  });
});
