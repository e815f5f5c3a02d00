// The terminal's lost-send watch, pure (agent/core/send-watch.ts): what it does with each read of the
// terminal's current invoice, its superseding invoice, its horizon, a restart.
import { describe, expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import type { GlaseOutcome } from "../../agent/core/inputs.ts";
import { type LostSend, type SendWatchState, startSendWatch } from "../../agent/core/send-watch.ts";
import { CODE, Driver, LOST, OK, SETTINGS } from "./helpers.ts";

const LOST_SEND: LostSend = { origin: "K9-a", kind: "pos", point: 9, amountMinor: 990, sentAt: 0, collected: "E-OWN" };
const start = (lost: LostSend[] = [LOST_SEND], busy = false) =>
  Driver.of(startSendWatch({ flowId: "WK9-a", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost, busy }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<SendWatchState>;
const read = (d: Driver<SendWatchState>, outcome: GlaseOutcome) => d.feed({ type: "glase", op: "getPaymentStatus", ref: d.state.watchRef!, outcome });
const alarms = (d: Driver<SendWatchState>, code: string) => d.log.map((l) => l.effect).filter((e): e is Extract<Effect, { type: "alarm" }> => e.type === "alarm" && e.code === code);
const PAID_LATE = OK({ status: "PAID", ersReference: "E-LATE", clientInvoiceId: "K9-a", paidMinor: 990, invoiceReference: "INV2" });

describe("lost-send watch", () => {
  it("reads the current invoice without a reference at the poll cadence", () => {
    const d = start();
    expect(d.effects.find((e) => e.type === "glase")).toMatchObject({ ref: d.state.watchRef, call: { op: "getPaymentStatus", version: 0 } });
    read(d, CODE(54));
    d.runTimers(d.now + SETTINGS.pollIntervalMs);
    expect(d.state.watchRef).toBeDefined();
  });

  it("the flow's own payment is not a late one; a late PAID is read and told once with the exact refund line, and the watch ends", () => {
    const d = start();
    read(d, OK({ status: "PAID", ersReference: "E-OWN", clientInvoiceId: "K9-a" }));
    expect(alarms(d, "paid-unclaimed")).toEqual([]);
    expect(d.state.phase).toBe("watching");
    d.runTimers(d.now + SETTINGS.pollIntervalMs);
    read(d, PAID_LATE);
    expect(alarms(d, "paid-unclaimed").map((a) => a.message)).toEqual([expect.stringContaining("ctl refund E-LATE 9.90")]);
    expect(d.state.phase).toBe("finished");
    expect(d.state.outcome).toBe("resolved");
  });

  it("with two lost sends, each late PAID is told once; the same PAID read again is not told twice", () => {
    const d = start([LOST_SEND, { ...LOST_SEND, sentAt: 10 }]);
    read(d, PAID_LATE);
    d.runTimers(d.now + SETTINGS.pollIntervalMs);
    read(d, PAID_LATE);
    expect(alarms(d, "paid-unclaimed")).toHaveLength(1);
    expect(d.state.lost).toHaveLength(1);
  });

  it("an open invoice on an idle terminal is superseded by a reservation-mode invoice of its own and that is cancelled", () => {
    const d = start();
    read(d, OK({ status: "ISSUED", version: 1 }));
    const send = d.call();
    expect(send.op).toBe("sendInvoice");
    expect(send.op === "sendInvoice" && [send.invoice.paymentMode, send.invoice.clientInvoiceId, send.invoice.totalAmount]).toEqual(["RESERVATION_REQUIRED_PRELIMINARY_AMOUNT", "WK9-a", { currency: "SEK", minor: 990 }]);
    d.answer(OK({ invoiceReference: "INV3" }));
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "INV3" });
    d.answer(CODE(51)); // a customer confirming it right now: cancelled again later
    d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "INV3" });
    d.answer(OK());
    expect(d.state.phase).toBe("finished");
  });

  it("while a flow holds the terminal an open invoice is that flow's: only read", () => {
    const d = start([LOST_SEND], true);
    read(d, OK({ status: "ISSUED", version: 1 }));
    expect(d.state.pending).toBeUndefined();
    d.feed({ type: "terminal", busy: false });
    d.runTimers(d.now + SETTINGS.pollIntervalMs);
    read(d, OK({ status: "ISSUED", version: 1 }));
    expect(d.call().op).toBe("sendInvoice");
  });

  it("reads go on while its superseding send hangs; a lost superseding send is watched like any lost send", () => {
    const d = start([LOST_SEND, { ...LOST_SEND, sentAt: 5 }]);
    read(d, OK({ status: "ISSUED", version: 1 }));
    expect(d.state.phase).toBe("superseding");
    d.runTimers(d.now + SETTINGS.pollIntervalMs);
    expect(d.state.watchRef).toBeDefined(); // a read is out beside the send
    read(d, PAID_LATE);
    expect(alarms(d, "paid-unclaimed")).toHaveLength(1);
    d.answer(LOST);
    // The landed one may still be open (the superseder unanswered): still watched, beside our own send.
    expect(d.state.lost.map((l) => l.origin)).toEqual(["WK9-a", "K9-a"]);
    expect(d.state.phase).toBe("watching");
  });

  it("its superseding send yields to a flow holding the terminal (review 4 N): marked so, and when withheld the lost send is watched on", () => {
    const d = start();
    read(d, OK({ status: "ISSUED", version: 1 }));
    const send = d.effects.find((e) => e.type === "glase" && e.call.op === "sendInvoice");
    expect(send).toMatchObject({ yieldsToHolder: true });
    d.feed({ type: "terminal", busy: true });
    d.feed({ type: "withheld", ref: d.state.pending!.ref });
    expect(d.state.phase).toBe("watching");
    expect(d.state.pending).toBeUndefined();
    expect(d.state.lost.map((l) => l.origin)).toEqual(["K9-a"]); // not taken as closed: the late one may be paid before the flow's send supersedes it
    // A withheld input for another call changes nothing.
    d.feed({ type: "withheld", ref: "WK9-a-999" });
    expect(d.state.phase).toBe("watching");
    // Idle again, the late invoice still open: superseded now.
    d.feed({ type: "terminal", busy: false });
    d.runTimers(d.now + SETTINGS.pollIntervalMs);
    read(d, OK({ status: "ISSUED", version: 1 }));
    expect(d.call().op).toBe("sendInvoice");
  });

  it("a refused superseding send leaves its lost send watched: the watch of the last one does not end with the late invoice open", () => {
    const d = start();
    read(d, OK({ status: "ISSUED", version: 1 }));
    d.answer(CODE(49));
    expect(d.state.phase).toBe("watching");
    expect(d.state.lost.map((l) => l.origin)).toEqual(["K9-a"]);
  });

  it("ends after lostSendWatchMs with an alarm naming the flow, amount and send time", () => {
    const d = start();
    const horizon = 60_000;
    d.settings = { ...SETTINGS, lostSendWatchMs: horizon };
    for (let i = 0; i < 1000 && d.state.phase !== "finished"; i++) {
      if (d.state.watchRef) read(d, CODE(54));
      d.runTimers(d.now + SETTINGS.pollIntervalMs);
    }
    expect(d.state.phase).toBe("finished");
    expect(d.now).toBeGreaterThanOrEqual(horizon);
    expect(alarms(d, "lost-send-unresolved").map((a) => a.message)).toEqual([expect.stringMatching(/flow K9-a \(9\.90 SEK, sent 1970-01-01T00:00:00\.000Z\)/)]);
  });

  it("after a restart while superseding, the superseding send is watched as lost and reads resume", () => {
    const d = start();
    read(d, OK({ status: "ISSUED", version: 1 }));
    d.feed({ type: "recover" });
    expect(d.state.phase).toBe("watching");
    expect(d.state.lost.map((l) => l.kind)).toEqual(["pos", "watch"]); // the landed one too: its superseder's outcome is unknown
    expect(d.state.watchRef).toBeDefined();
  });

  it("a refused superseding send keeps the landed lost send and supersedes again no sooner than a poll interval later; answered with a reference, it is off", () => {
    const d = start();
    read(d, OK({ status: "ISSUED", version: 1 }));
    d.answer(CODE(33));
    expect(d.state.lost.map((l) => l.origin)).toEqual(["K9-a"]);
    expect(d.state.phase).toBe("watching");
    expect(d.state.nextSupersedeAt).toBeGreaterThanOrEqual(d.now + SETTINGS.pollIntervalMs);
    d.runTimers(d.now + SETTINGS.pollIntervalMs, () => d.state.watchRef !== undefined && d.now >= (d.state.nextSupersedeAt ?? 0));
    read(d, OK({ status: "ISSUED", version: 1 }));
    expect(d.call().op).toBe("sendInvoice");
    d.answer(OK({ invoiceReference: "INV3" }));
    expect(d.state.lost).toEqual([]);
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "INV3" });
  });

  it("a late PAID of an origin whose landed invoice was already superseded is still told (the ms race)", () => {
    const d = start();
    read(d, OK({ status: "ISSUED", version: 1 }));
    d.answer(OK({ invoiceReference: "INV3" }));
    read(d, PAID_LATE); // paid between our read and our superseder: it stands, read
    expect(alarms(d, "paid-unclaimed").map((a) => a.message)).toEqual([expect.stringContaining("ctl refund E-LATE 9.90")]);
  });

  it("a PAID without clientInvoiceId: with the terminal's sales known (journal), an unclaimed one gets the refund line and a known one no alarm; unknown, no refund line", () => {
    const known = Driver.of(startSendWatch({ flowId: "WK9-a", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost: [LOST_SEND], busy: false, claimed: ["E-B"] }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<SendWatchState>;
    read(known, OK({ status: "PAID", ersReference: "E-B", paidMinor: 990 }));
    expect(alarms(known, "paid-unclaimed")).toEqual([]);
    known.runTimers(known.now + SETTINGS.pollIntervalMs);
    read(known, OK({ status: "PAID", ersReference: "E-X", paidMinor: 990 }));
    expect(alarms(known, "paid-unclaimed").map((a) => a.message)).toEqual([expect.stringContaining("ctl refund E-X 9.90")]);
    const unknown = start();
    read(unknown, OK({ status: "PAID", ersReference: "E-X", paidMinor: 990 }));
    expect(alarms(unknown, "paid-unclaimed").map((a) => a.message)).toEqual([expect.not.stringContaining("ctl refund")]);
    // The journal's recent sales fed after a restart: known from then on.
    unknown.feed({ type: "terminal", busy: false, claimed: ["E-B"] });
    unknown.runTimers(unknown.now + SETTINGS.pollIntervalMs);
    read(unknown, OK({ status: "PAID", ersReference: "E-Y", paidMinor: 990 }));
    expect(alarms(unknown, "paid-unclaimed").at(-1)!.message).toContain("ctl refund E-Y 9.90");
  });

  it("a PAID without clientInvoiceId read while a flow holds the terminal is no alarm if that flow ends claiming it", () => {
    const d = start([LOST_SEND], true);
    read(d, OK({ status: "PAID", ersReference: "E-C", paidMinor: 990 }));
    d.feed({ type: "terminal", busy: false, claimed: "E-C" });
    expect(d.log.map((l) => l.effect).filter((e) => e.type === "alarm")).toEqual([]);
    expect(d.state.suspects).toBeUndefined();
  });
});
