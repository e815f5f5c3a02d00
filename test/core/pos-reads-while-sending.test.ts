// A kiosk flow re-sends its invoice after a lost sendInvoice answer (pos-lost-send.ts). The lost
// one may still land at any time (§4.1 sets no bound), be paid, and then be hidden by any newer
// invoice of ours landing on the terminal — its reference came back with the lost answer, so it is
// readable only while it is the terminal's current invoice. Found by the model campaign (issue 9,
// `paid-orphan-not-read`, seed 464033627): the re-send's own 10-s wait had no reads at all, the
// customer paid the lost invoice in it, a second late send hid it, and Glase reversed it 20 s later.
// So while a re-send is out, the flow goes on reading the terminal's current invoice at the poll cadence.
import { describe, expect, it } from "vitest";
import { PAID_INV1 as PAID_LOST, POS, currentReads, resending } from "./pos-send-scenes.ts";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import { CODE, Driver, OK, SETTINGS } from "./helpers.ts";

describe("POS: the terminal's current invoice is read while a re-send is out (model: paid-orphan-not-read)", () => {
  it("reads at the poll cadence for the whole wait of the re-send", () => {
    const d = resending();
    const from = d.log.length;
    const start = d.now;
    // Each read answered at once: nothing is open on the terminal (54).
    for (let n = 0; d.now < start + SETTINGS.glaseCallTimeoutMs - 1 && n < 100; n++) {
      const seen = currentReads(d, from).length;
      d.runTimers(start + SETTINGS.glaseCallTimeoutMs - 1, () => currentReads(d, from).length > seen);
      const last = currentReads(d, from)[seen];
      if (last) d.feed({ type: "glase", op: "getPaymentStatus", ref: last.ref, outcome: CODE(54) });
    }
    const reads = currentReads(d, from);
    expect(reads.length).toBeGreaterThanOrEqual(Math.floor(SETTINGS.glaseCallTimeoutMs / SETTINGS.pollIntervalMs) - 1);
    const at = d.log.slice(from).filter((x) => x.effect.type === "glase" && x.effect.call.op === "getPaymentStatus").map((x) => x.at);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeLessThanOrEqual(SETTINGS.pollIntervalMs);
    expect(d.state.pending?.op).toBe("sendInvoice"); // the re-send is still what the flow waits for
  });

  it("the lost invoice read PAID meanwhile is the flow's payment: confirmed, released once, the re-send watched as lost", () => {
    const d = resending();
    const resentAt = d.now;
    const from = d.log.length;
    d.runTimers(d.now + 3 * SETTINGS.pollIntervalMs, () => currentReads(d, from).length > 0);
    const read = currentReads(d, from)[0]!;
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_LOST });
    expect(d.state.phase).toBe("confirming");
    expect(d.state.invoiceRef).toBe("INV1");
    // The re-send is now a lost send of the flow's: it may still open an invoice.
    expect(d.state.lostSends).toEqual([resentAt]);
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    expect(d.call()).toMatchObject({ op: "getPaymentStatus", invoiceReference: "INV1" });
    d.answer(PAID_LOST);
    expect(d.state.phase).toBe("releasing");
    expect(d.log.filter((x) => x.effect.type === "release")).toHaveLength(1);
  });

  it("a read that answers after the re-send did (the re-send opened INV2): the payment is still taken, INV2 closed", () => {
    const d = resending();
    const from = d.log.length;
    d.runTimers(d.now + 3 * SETTINGS.pollIntervalMs, () => currentReads(d, from).length > 0);
    const read = currentReads(d, from)[0]!;
    d.answer(OK({ invoiceReference: "INV2" })); // the re-send answered first
    expect(d.state.phase).toBe("polling");
    d.feed({ type: "glase", op: "getPaymentStatus", ref: read.ref, outcome: PAID_LOST });
    expect(d.state.phase).toBe("confirming");
    expect(d.state.invoiceRef).toBe("INV1");
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(PAID_LOST);
    expect(d.state.phase).toBe("releasing");
    d.feed({ type: "released", ok: true }).feed({ type: "printed", ok: true });
    // INV2 is open on the terminal, unpaid: closed before the flow ends (superseded, then cancelled).
    let sends = 0;
    for (let i = 0; i < 300 && d.state.phase !== "finished"; i++) {
      if (!d.state.pending) d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
      else if (d.state.pending.op === "sendInvoice") d.answer(OK({ invoiceReference: `INV${3 + sends++}` }));
      else if (d.state.pending.op === "cancelInvoice") d.answer(OK());
      else d.answer(OK({ status: "ISSUED", version: 1, clientInvoiceId: "k1" }));
    }
    expect(d.state.outcome).toBe("paid");
    expect(d.log.some((x) => x.effect.type === "glase" && x.effect.call.op === "cancelInvoice")).toBe(true);
    expect(d.log.filter((x) => x.effect.type === "release")).toHaveLength(1);
  });

  it("a first send (nothing of the flow's can land) is not read around", () => {
    const d = Driver.of(startPos(POS, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<PosState>;
    d.runTimers(SETTINGS.glaseCallTimeoutMs - 1);
    expect(currentReads(d, 0)).toHaveLength(0);
  });
});
