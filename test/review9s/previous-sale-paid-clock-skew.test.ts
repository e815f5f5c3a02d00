// Review 9-s S2 (HIGH, conditional on a receipt without clientInvoiceId, §4.7 0..1, and the
// agent's clock a few seconds behind Glase's): 6cbd23b's ownPaid (pos-send-reads.ts) takes a PAID
// without clientInvoiceId as the flow's when receipt.paymentDate — Glase's clock — is not before
// the oldest lost send's sentAt — the agent's clock (ctx.now). The two clocks are compared as if
// they were one. When a sale's first sendInvoice is lost and was never processed, the terminal's
// current invoice (§9 A12) is still the PREVIOUS sale's, PAID; its paymentDate, stamped by a Glase
// clock a few seconds ahead, falls after this flow's send: taken as this flow's payment, confirmed
// (it reads PAID again) and the product is released a second time for the previous customer's
// payment — nothing paid for this one (and with a kiosk controller a failed release would refund
// the previous customer's delivered sale).
import { expect, it } from "vitest";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import { POS } from "../core/pos-send-scenes.ts";
import { Driver, LOST, OK, SETTINGS, ctxAt } from "../core/helpers.ts";

it("S2: the previous sale's PAID (still the current invoice) is taken as this sale's — the product released for no payment", () => {
  const T0 = 1_800_000_000_000; // agent clock
  const d = Driver.of(startPos(POS, ctxAt(T0))) as Driver<PosState>;
  d.now = T0;
  const from = d.log.length;
  // The previous sale (another flow, done and gone) was paid 5 s before this sale's send by the
  // agent's clock; Glase's clock runs 8 s ahead, so its receipt says 3 s AFTER the send.
  const previous = OK({ status: "PAID", version: 3, ersReference: "E0", invoiceReference: "INV0", paidMinor: 2500, paymentDate: new Date(T0 + 3000).toISOString() });
  // This sale's sendInvoice: the answer is lost — Glase never processed it (nothing opened).
  d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
  expect(d.state.phase).toBe("resolving-send");
  // Every read of the terminal's current invoice shows the previous sale's invoice, PAID.
  for (let i = 0; i < 50 && d.since(from, "release").length === 0 && d.state.phase !== "finished"; i++) {
    if (d.state.pending?.op === "getPaymentStatus") d.answer(previous);
    else if (d.state.pending) break;
    else d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
  }
  // Nobody paid this sale: nothing may be released on E0.
  expect(d.since(from, "release")).toHaveLength(0);
  expect(d.state.ersReference).not.toBe("E0");
});

it("S2 control: the same with both clocks agreeing (paymentDate 5 s before the send) — nothing released", () => {
  const T0 = 1_800_000_000_000;
  const d = Driver.of(startPos(POS, ctxAt(T0))) as Driver<PosState>;
  d.now = T0;
  const from = d.log.length;
  const previous = OK({ status: "PAID", version: 3, ersReference: "E0", invoiceReference: "INV0", paidMinor: 2500, paymentDate: new Date(T0 - 5000).toISOString() });
  d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
  for (let i = 0; i < 50 && d.state.pending?.op !== "sendInvoice"; i++) {
    if (d.state.pending?.op === "getPaymentStatus") d.answer(previous);
    else d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
  }
  expect(d.since(from, "release")).toHaveLength(0);
});

it("S2b (mirror): the agent's clock 30 s ahead of Glase's — this sale's own PAID (no clientInvoiceId) is dropped again, as before 6cbd23b", () => {
  const T0 = 1_800_000_000_000;
  const d = Driver.of(startPos(POS, ctxAt(T0))) as Driver<PosState>;
  d.now = T0;
  const from = d.log.length;
  // The lost send did open INV1; the customer paid it 10 s after the send — Glase's clock says 20 s BEFORE it.
  const own = OK({ status: "PAID", version: 3, ersReference: "E1", invoiceReference: "INV1", paidMinor: 2500, paymentDate: new Date(T0 + 10_000 - 30_000).toISOString() });
  d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
  for (let i = 0; i < 50 && d.state.pending?.op !== "sendInvoice" && d.since(from, "release").length === 0; i++) {
    if (d.state.pending?.op === "getPaymentStatus") d.answer(own);
    else d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
  }
  const toldE1 = d.since(from, "alarm").some((x) => x.effect.type === "alarm" && x.effect.message.includes("E1"));
  expect(d.since(from, "release").length > 0 || toldE1).toBe(true);
});
