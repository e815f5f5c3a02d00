// A POS flow watches every invoice it may have sent to its end (agent/core/pos-late-send.ts, issue 9
// new-G): its superseding sendInvoice hangs, the customer pays the first invoice meanwhile — the
// late invoice must not open unwatched after the flow ended.
import { describe, expect, it } from "vitest";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import { Driver, LOST, OK, SETTINGS } from "./helpers.ts";

const POS = { flowId: "k1", point: 9, terminalId: "T9", currency: "SEK", stationName: "K", amountMinor: 2500 };
const PAID1 = OK({ status: "PAID", version: 3, ersReference: "E1", clientInvoiceId: "k1", invoiceReference: "INV1" });
const ISSUED = OK({ status: "ISSUED", version: 1 });

const readsCurrent = (d: Driver<PosState>) => d.state.pending?.op === "getPaymentStatus" && d.call().op === "getPaymentStatus" && (d.call() as { invoiceReference?: string }).invoiceReference === undefined;
const untilPending = (d: Driver<PosState>, ms = 60_000) => d.runTimers(d.now + ms, () => d.state.pending !== undefined);

/** The first invoice's answer lost, its windows over, the superseding sendInvoice lost too; then PAID on the first, released and printed. */
function paidWhileSupersedeHangs(): Driver<PosState> {
  const d = Driver.of(startPos(POS, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<PosState>;
  d.answer(LOST); // sendInvoice #1: no answer
  expect(d.state.phase).toBe("resolving-send");
  d.answer(ISSUED); // the current invoice is open: ours, reference unknown
  expect(d.state.refUnknown).toBe(true);
  // Poll it (open) through both windows; then the superseding sendInvoice goes out.
  for (let i = 0; i < 200 && d.state.pending?.op !== "sendInvoice"; i++) {
    if (d.state.pending) d.answer(ISSUED);
    else d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
  }
  expect(d.state.pending?.op).toBe("sendInvoice");
  d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST); // the superseding one hangs: it may still open an invoice
  expect(readsCurrent(d)).toBe(true);
  d.answer(PAID1); // the customer paid the first one
  expect(d.state.phase).toBe("confirming");
  untilPending(d);
  d.answer(PAID1);
  expect(d.state.phase).toBe("releasing");
  d.feed({ type: "released", ok: true });
  expect(d.state.phase).toBe("printing");
  return d;
}

describe("POS: a late invoice of the flow's own is watched to its end (new-G)", () => {
  it("reads the current invoice while releasing, and does not end while the superseding send may land", () => {
    const d = paidWhileSupersedeHangs();
    expect(d.timers.has("poll")).toBe(true);
    d.feed({ type: "printed", ok: true });
    expect(d.state.phase).not.toBe("finished");
    expect(readsCurrent(d)).toBe(true);
  });

  it("the late invoice opens: it is superseded and cancelled; the flow ends paid, nothing more released", () => {
    const d = paidWhileSupersedeHangs();
    d.feed({ type: "printed", ok: true });
    d.answer(ISSUED); // the late invoice landed, open
    let sends = 0;
    for (let i = 0; i < 200 && d.state.phase !== "finished"; i++) {
      if (!d.state.pending) untilPending(d);
      else if (d.state.pending.op === "sendInvoice") d.answer(OK({ invoiceReference: `INV${3 + sends++}` }));
      else if (d.state.pending.op === "cancelInvoice") d.answer(OK());
      else d.answer(ISSUED);
    }
    expect(d.state.phase).toBe("finished");
    expect(d.state.outcome).toBe("paid");
    expect(sends).toBe(1);
    expect(d.log.some((x) => x.effect.type === "glase" && x.effect.call.op === "cancelInvoice" && x.effect.call.invoiceReference === "INV3")).toBe(true);
    expect(d.log.filter((x) => x.effect.type === "release")).toHaveLength(1);
  });

  it("the late invoice was paid by the next customer: read, alarm paid-twice once, nothing released, ends paid", () => {
    const d = paidWhileSupersedeHangs();
    const paid2 = OK({ status: "PAID", version: 2, ersReference: "E2", clientInvoiceId: "k1", invoiceReference: "INV2", paidMinor: 2500 });
    untilPending(d, 2000);
    d.answer(paid2); // read while printing
    d.feed({ type: "printed", ok: true });
    for (let i = 0; i < 100 && d.state.phase !== "finished"; i++) {
      if (!d.state.pending) untilPending(d);
      else d.answer(paid2);
    }
    expect(d.state.outcome).toBe("paid");
    expect(d.now).toBeGreaterThanOrEqual(2 * SETTINGS.glaseCallTimeoutMs);
    expect(d.log.filter((x) => x.effect.type === "alarm" && x.effect.code === "paid-twice")).toHaveLength(1);
    expect(d.log.filter((x) => x.effect.type === "release")).toHaveLength(1);
  });

  it("nothing lands: the flow ends paid once the lost send can no longer be processed", () => {
    const d = paidWhileSupersedeHangs();
    const sentAt = d.state.sentAt!;
    d.feed({ type: "printed", ok: true });
    for (let i = 0; i < 100 && d.state.phase !== "finished"; i++) {
      if (!d.state.pending) untilPending(d);
      else d.answer(PAID1);
    }
    expect(d.state.outcome).toBe("paid");
    expect(d.now).toBeGreaterThanOrEqual(sentAt + 2 * SETTINGS.glaseCallTimeoutMs);
    expect(d.log.some((x) => x.effect.type === "alarm" && x.effect.code === "paid-twice")).toBe(false);
    expect(d.log.some((x) => x.effect.type === "display" && x.at > sentAt + SETTINGS.glaseCallTimeoutMs && x.effect.text !== "Paid - thank you")).toBe(false);
  });

  it("a flow whose sends all answered ends at once after the receipt, as before", () => {
    const d = Driver.of(startPos(POS, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<PosState>;
    d.answer(OK({ invoiceReference: "INV1" }));
    d.answerPaid(PAID1);
    d.feed({ type: "released", ok: true }).feed({ type: "printed", ok: true });
    expect(d.state.phase).toBe("finished");
    expect(d.state.outcome).toBe("paid");
  });
});
