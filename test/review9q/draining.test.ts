// Review 9-q of 91ded62 (phase draining, paidLanding). Each test fails on 91ded62.
import { describe, expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import { POS, OPEN, PAID_INV1, start, untilSend, resending, sendRead } from "../core/pos-send-scenes.ts";
import { CODE, Driver, LOST, OK, SETTINGS } from "../core/helpers.ts";

const PAID_INV2 = OK({ status: "PAID", version: 3, ersReference: "E2", clientInvoiceId: "k1", invoiceReference: "INV2" });

const count = (d: Driver<PosState>, from: number, type: Effect["type"]): number => d.since(from, type).length;

describe("review 9-q: phase draining (91ded62)", () => {
  it("Q1 HIGH: the flow's own payment released, it drains; the read then shows the lost send paid too — released a second time, no paid-twice alarm", () => {
    const d = resending();
    const read = sendRead(d); // read of the current invoice while #2 is out
    d.answer(OK({ invoiceReference: "INV2" })); // #2 answered
    const from = d.log.length;
    d.answerPaid(PAID_INV2); // INV2 paid and confirmed
    expect(d.state.phase).toBe("releasing");
    d.feed({ type: "released", ok: true });
    d.feed({ type: "printed", ok: true });
    expect(d.state.phase).toBe("draining"); // ended "paid" with the read still out
    expect(count(d, from, "release")).toBe(1);
    // The read reached Glase while the lost send #1 (INV1) was current — and paid (a second payment).
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    if (d.state.pending) d.answer(PAID_INV1);
    // A second payment of a served sale: nothing released, a technician refunds it (paid-twice).
    expect(count(d, from, "release")).toBe(1);
    expect(d.since(from, "alarm").some((x) => x.effect.type === "alarm" && x.effect.code === "paid-twice")).toBe(true);
    expect(d.state.ersReference).toBe("E2"); // the sale's payment is still the one released on
  });

  it("Q1b HIGH: same with a kiosk controller that failed to deliver (not-delivered, the host refunds E2): the lost send's payment E1 is released on anyway", () => {
    const d = Driver.of(startPos({ ...POS, controllerRelease: true }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<PosState>;
    d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
    untilSend(d, CODE(54));
    const read = sendRead(d);
    d.answer(OK({ invoiceReference: "INV2" }));
    const from = d.log.length;
    d.answerPaid(PAID_INV2);
    expect(d.state.phase).toBe("releasing");
    d.feed({ type: "released", ok: false }); // controller failed: not delivered
    expect(d.state.phase).toBe("draining");
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    if (d.state.pending) d.answer(PAID_INV1);
    // The sale ended not-delivered; a second payment of it is told (paid-twice), never released on.
    expect(count(d, from, "release")).toBe(1);
    expect(d.since(from, "alarm").some((x) => x.effect.type === "alarm" && x.effect.code === "paid-twice")).toBe(true);
  });

  it("Q2 MEDIUM: a technician stop while the flow drains is dropped; the read's payment is then released from the stopped point", () => {
    const d = start();
    d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
    d.answer(OPEN); // lost send landed: adopted, reference unknown
    untilSend(d, OPEN); // windows out: superseding send #2, reads beside it
    const read = sendRead(d);
    d.answer(OK({ invoiceReference: "INV2" }));
    d.answer(OK({ status: "ISSUED", version: 1, clientInvoiceId: "k1", invoiceReference: "INV2" }));
    expect(d.state.pending?.op).toBe("cancelInvoice");
    d.answer(OK()); // INV2 cancelled: "canceled", draining (read out)
    expect(d.state.phase).toBe("draining");
    const from = d.log.length;
    d.feed({ type: "technician", action: "stop" } as never); // point taken out of service
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    if (d.state.pending) d.answer(PAID_INV1);
    // A stop: a payment that still comes in is read and collected, never released (pos.ts technician).
    expect(count(d, from, "release")).toBe(0);
  });

  it("Q3 MEDIUM: the customer is shown 'Payment cancelled' at the drain's start, then the product is released for the read's payment", () => {
    const d = start();
    d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
    d.answer(OPEN);
    untilSend(d, OPEN);
    const read = sendRead(d);
    d.answer(OK({ invoiceReference: "INV2" }));
    d.answer(OK({ status: "ISSUED", version: 1, clientInvoiceId: "k1", invoiceReference: "INV2" }));
    const from = d.log.length;
    d.answer(OK()); // INV2 cancelled
    expect(d.state.phase).toBe("draining");
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    if (d.state.pending) d.answer(PAID_INV1);
    const released = count(d, from, "release") > 0;
    const toldCancelled = d.since(from, "display").some((x) => JSON.stringify(x.effect).includes("cancelled"));
    // Not both: a flow that may still serve a payment tells the customer nothing final.
    expect(released && toldCancelled).toBe(false);
  });
});
