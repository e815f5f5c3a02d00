// Review 9-r R3 (MEDIUM): while a kiosk flow confirms its first PAID (§9 A45, pos-confirm.ts), a
// read made while its re-send was out answers PAID of its lost send (E1): taken as a SECOND
// payment (pos-send-reads.ts onSendRead → secondPayment: paid-twice, "refund E1"). The confirming
// read then shows the first one (E2) reversed: the flow ends 'reversed' and releases nothing. The
// customer's E1 stands (that very read acknowledged it, §6.3) and is the sale's only payment — yet
// no product, and the alarm says E1 came "after E2 was collected". Pure core; fails on d95fe87.
import { expect, it } from "vitest";
import { resending, sendRead, PAID_INV1 } from "../core/pos-send-scenes.ts";
import { OK } from "../core/helpers.ts";
import type { Effect } from "../../agent/core/effects.ts";

it("R3: a payment found while confirming one that is then reversed is the sale's payment — released on, not told as a second one", () => {
  const d = resending(); // #1 lost (INV1), re-send #2 out, reads of the current invoice beside it
  const read = sendRead(d);
  d.answer(OK({ invoiceReference: "INV2" })); // #2 answered
  const from = d.log.length;
  d.answer(OK({ status: "PAID", version: 3, ersReference: "E2", clientInvoiceId: "k1", invoiceReference: "INV2" }));
  expect(d.state.phase).toBe("confirming"); // E2 read at the 20-s boundary: confirmed by one more read
  // The read made while #2 was out: INV1 (the lost send, landed) paid — E1.
  d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
  d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
  // The confirming read of INV2: reversed (§9 A45).
  d.answer(OK({ status: "CANCELED", version: 4, invoiceReference: "INV2" }));
  d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
  if (d.state.pending?.op === "getPaymentStatus") d.answer(PAID_INV1);
  // E1 stands and is the only payment of the sale: the product goes out for it.
  expect(d.since(from, "release")).toHaveLength(1);
  expect(d.state.ersReference).toBe("E1");
});

/** #1 lost, #2 answered INV2 and read PAID E2 (confirming), then the read beside #2 shows E1 paid. */
function confirmingWithE1() {
  const d = resending();
  const read = sendRead(d);
  d.answer(OK({ invoiceReference: "INV2" }));
  const from = d.log.length;
  d.answer(OK({ status: "PAID", version: 3, ersReference: "E2", clientInvoiceId: "k1", invoiceReference: "INV2" }));
  d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_INV1 });
  expect(d.since(from, "alarm")).toHaveLength(0); // nothing told yet: which one is the sale's is not known
  d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
  return { d, from };
}

it("R3 control: the first payment confirmed — released on it once; the other is told as a second one, to refund", () => {
  const { d, from } = confirmingWithE1();
  d.answer(OK({ status: "PAID", version: 4, ersReference: "E2", clientInvoiceId: "k1", invoiceReference: "INV2" }));
  expect(d.since(from, "release")).toHaveLength(1);
  expect(d.state.ersReference).toBe("E2");
  const alarms = d.since(from, "alarm").map((x) => x.effect as Extract<Effect, { type: "alarm" }>);
  expect(alarms.map((a) => a.code)).toEqual(["paid-twice"]);
  expect(alarms[0]!.refundable?.ersReference).toBe("E1");
});

it("R3: both reversed — nothing released, the flow ends reversed, both told", () => {
  const { d, from } = confirmingWithE1();
  d.answer(OK({ status: "CANCELED", version: 4, invoiceReference: "INV2" }));
  d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
  const confirm = d.state.pending;
  expect(confirm?.op).toBe("getPaymentStatus");
  d.answer(OK({ status: "CANCELED", version: 4, invoiceReference: "INV1" }));
  expect(d.since(from, "release")).toHaveLength(0);
  expect(d.state.outcome).toBe("reversed");
  expect(d.since(from, "alarm").map((x) => (x.effect as Extract<Effect, { type: "alarm" }>).code)).toEqual(["paid-reversed", "paid-reversed"]);
});
