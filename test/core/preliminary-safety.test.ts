// Sequences of issue 9 that settled the wrong amount, left a reservation to lapse, stopped reading a
// PAID or looped: each test drives the pure preliminary machine through the exact sequence.
import { describe, expect, it } from "vitest";
import type { GlaseCall } from "../../agent/core/effects.ts";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { CODE, DOWN, Driver, LOST, OK, SETTINGS, ctxAt } from "./helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const START = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };

function begin(at = 0): Driver<PreliminaryState> {
  const d = Driver.of(startPreliminary(START, ctxAt(at)));
  d.now = at;
  return d;
}

/** Reserved (RESERVED read `reservedAfterMs` after the send) and authorized. */
function reserved(reservedAfterMs = 2000): Driver<PreliminaryState> {
  const d = begin().answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "ISSUED", version: 1 }));
  d.advance(reservedAfterMs).fire("poll").answer(OK({ status: "RESERVED", version: 2 }));
  expect(d.state.phase).toBe("authorizing");
  return d.feed({ type: "authorized", ok: true });
}

const end = (milli: number, amountMinor: number, reason: "nozzle-down" | "stopped" | "limit" = "nozzle-down") =>
  ({ type: "end", gradeId: "95", milli, amountMinor, unitPriceMinor: 1899, reason }) as const;

function glaseCalls(d: Driver, from = 0): GlaseCall[] {
  return d.since(from, "glase").map((x) => (x.effect.type === "glase" ? x.effect.call : (undefined as never)));
}

describe("preliminary: settle the final figure, in time", () => {
  it("(2) link lost longer than the stall, STOP and sale reads fail, link back with the sale still delivering ⇒ stop again and commit the final figure", () => {
    const d = reserved();
    d.feed({ type: "progress", milli: 2000, amountMinor: 3798 });
    d.fire("stall"); // no progress: the link is down, the pump may still run
    expect(d.has("stop")).toBe(true);
    d.feed({ type: "stopped", ok: false }).feed({ type: "sale", record: null, failed: true });
    d.fire("retry");
    const mark = d.log.length;
    // Link back: the board never got the STOP, the sale is still running.
    d.feed({ type: "sale", record: { state: "delivering", milli: 5000, amountMinor: 9495, gradeId: "95", unitPriceMinor: 1899 } });
    expect(glaseCalls(d, mark)).toEqual([]);
    d.runTimers(d.now + 10_000, () => d.since(mark, "stop").length > 0);
    expect(d.since(mark, "stop").length).toBeGreaterThan(0);
    d.feed({ type: "stopped", ok: true }).feed(end(8000, 15192, "stopped"));
    const upd = d.call();
    expect(upd.op === "updateInvoice" && upd.invoice.totalAmount?.minor).toBe(15192);
    d.answer(OK());
    expect(d.call()).toMatchObject({ op: "commitReservation", amountMinor: 15192 });
  });

  it("(2) a sale record read after a stop that still says delivering is not settled; a finished one is", () => {
    const d = reserved();
    d.fire("nozzle"); // customer never lifts: stop
    d.feed({ type: "stopped", ok: true }).feed({ type: "sale", record: { state: "authorized", milli: 0, amountMinor: 0 } });
    expect(d.state.phase).not.toBe("canceling"); // still authorized on the board: a cancel now would give free fuel
    d.runTimers(d.now + 10_000, () => d.has("stop"));
    expect(d.has("stop")).toBe(true);
    d.feed({ type: "stopped", ok: true }).feed({ type: "sale", record: { state: "finished", milli: 0, amountMinor: 0, reason: "stopped" } });
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "INV1" });
  });

  it("(3) a long delivery is stopped in time to update and commit before the reservation lapses, counted from when sendInvoice was sent", () => {
    // RESERVED is read 50 s after the send: counting from RESERVED would stop 50 s too late.
    const d = reserved(50_000);
    const lapse = SETTINGS.commitReservationTimeoutS * 1000; // from the send at t=0
    const mark = d.log.length;
    let milli = 0;
    while (d.now < lapse && d.since(mark, "stop").length === 0) {
      milli += 1000;
      d.advance(5000).feed({ type: "progress", milli, amountMinor: Math.round((milli * 1899) / 1000) });
      d.runTimers(d.now, () => d.since(mark, "stop").length > 0);
    }
    const stop = d.since(mark, "stop")[0];
    expect(stop, "the delivery was never stopped before the lapse").toBeDefined();
    expect(stop!.at).toBeLessThanOrEqual(lapse - 2 * SETTINGS.commitSafetyMarginS * 1000);
    d.feed({ type: "stopped", ok: true }).feed(end(milli, Math.round((milli * 1899) / 1000), "stopped"));
    d.answer(OK()).answer(OK()).answer(OK({ status: "PAID", version: 4, ersReference: "E1" }));
    expect(d.now).toBeLessThan(lapse - SETTINGS.commitSafetyMarginS * 1000);
    expect(d.state.phase).toBe("printing");
  });

  it("(3) RESERVED read with no time left to deliver and settle ⇒ cancel, never authorize", () => {
    const d = begin().answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "ISSUED", version: 1 }));
    d.advance((SETTINGS.commitReservationTimeoutS - SETTINGS.commitSafetyMarginS) * 1000).fire("poll").answer(OK({ status: "RESERVED", version: 2 }));
    expect(d.has("authorize")).toBe(false);
    expect(d.call().op).toBe("cancelInvoice");
  });

  it("(7) updateInvoice sends the invoice as it was sent (paymentMode, acknowledgmentMode, issueDate, commitReservationTimeout) with the final rows and total", () => {
    const d = begin();
    const sent = d.call();
    if (sent.op !== "sendInvoice") throw new Error("no sendInvoice");
    d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "ISSUED", version: 1 }));
    d.advance(3000).fire("poll").answer(OK({ status: "RESERVED", version: 2 })).feed({ type: "authorized", ok: true });
    d.advance(90_000).feed(end(20_000, 37980));
    const upd = d.call();
    if (upd.op !== "updateInvoice") throw new Error(`expected updateInvoice, got ${upd.op}`);
    const { invoiceRows: _r, totalAmount: _t, ...sentRest } = sent.invoice;
    const { invoiceRows, totalAmount, ...updRest } = upd.invoice;
    expect(updRest).toEqual(sentRest);
    expect(totalAmount?.minor).toBe(37980);
    expect(invoiceRows?.reduce((a, r) => a + r.itemTotalAmount!.minor, 0)).toBe(37980);
  });
});

describe("preliminary: reading PAID after a commit", () => {
  function committed(): Driver<PreliminaryState> {
    const d = reserved().feed(end(1000, 1899));
    d.answer(OK());
    expect(d.call().op).toBe("commitReservation");
    d.answer(OK());
    expect(d.call().op).toBe("getPaymentStatus");
    return d;
  }

  it("(8) after an accepted commit, failed status reads are retried at the poll cadence, never backed off", () => {
    const d = committed();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      d.answer(i % 2 ? DOWN : LOST);
      const t = d.effects.find((e) => e.type === "startTimer");
      delays.push(t?.type === "startTimer" ? t.delayMs : Infinity);
      d.advance(delays.at(-1)!).fire(t?.type === "startTimer" ? t.name : "retry");
    }
    expect(Math.max(...delays)).toBeLessThanOrEqual(SETTINGS.pollIntervalMs);
  });

  it.each([
    ["RESERVED", OK({ status: "RESERVED", version: 3 })],
    ["PAID without ersReference", OK({ status: "PAID", version: 4 })],
  ])("(8) an accepted commit that keeps reading %s gets an alarm, keeps reading at the poll cadence — past the commit deadline, until its reservation has surely lapsed — then parks", (_n, answer) => {
    const d = committed();
    const mark = d.log.length;
    const lapsed = SETTINGS.commitReservationTimeoutS * 1000 + 2 * SETTINGS.glaseCallTimeoutMs;
    while (d.state.phase === "checking-commit" && d.now < lapsed + 60_000) {
      d.answer(answer);
      if (d.state.phase !== "checking-commit") break; // d.now is when it parked
      d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    }
    const alarms = d.since(mark, "alarm");
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms[0]!.at).toBeLessThanOrEqual(60_000 + d.log[mark]!.at);
    expect(d.state.phase).toBe("parked");
    expect(d.now).toBeGreaterThanOrEqual(lapsed);
    expect(glaseCalls(d, mark).filter((c) => c.op === "commitReservation")).toEqual([]);
  });

  it("(8) a commit answered 96 while the status reads RESERVED backs off instead of spinning", () => {
    const d = reserved().feed(end(1000, 1899)).answer(OK());
    const mark = d.log.length;
    const t0 = d.now;
    for (let i = 0; i < 40 && d.state.phase !== "parked"; i++) {
      const op = d.call().op;
      d.answer(op === "commitReservation" ? CODE(96) : OK({ status: "RESERVED", version: 2 }));
      d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    }
    const commits = glaseCalls(d, mark).filter((c) => c.op === "commitReservation").length;
    const elapsedS = (d.now - t0) / 1000;
    expect(commits / Math.max(1, elapsedS)).toBeLessThan(1); // fewer than one commit per second
  });

  it("(12) a PAID amount that differs from the committed amount raises an alarm", () => {
    const d = committed();
    d.answer(OK({ status: "PAID", version: 4, ersReference: "E1", paidMinor: 2500 }));
    expect(d.alarm("paid-amount-mismatch")).toBe(true);
  });
});

describe("preliminary: technician", () => {
  it("(9) a technician stop racing a RESERVED answer cancels the invoice instead of authorizing the stopped point", () => {
    const d = begin().answer(OK({ invoiceReference: "INV1" }));
    expect(d.call().op).toBe("getPaymentStatus");
    d.feed({ type: "technician", action: "stop" });
    d.answer(OK({ status: "RESERVED", version: 2 }));
    expect(d.has("authorize")).toBe(false);
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "INV1" });
  });

  it("(10) retry of a flow parked before metering resumes the phase it parked in (reads the sale record), never a commit without amount", () => {
    const d = reserved();
    d.fire("nozzle").feed({ type: "stopped", ok: false }).feed({ type: "sale", record: null, failed: true });
    d.advance(SETTINGS.commitReservationTimeoutS * 1000).fire("retry").feed({ type: "sale", record: null, failed: true });
    expect(d.state.phase).toBe("parked");
    const mark = d.log.length;
    d.feed({ type: "technician", action: "retry" });
    expect(d.has("saleRecord")).toBe(true);
    d.feed({ type: "sale", record: { state: "finished", milli: 1000, amountMinor: 1899, gradeId: "95", unitPriceMinor: 1899, reason: "stopped" } });
    d.answer(OK());
    for (const c of glaseCalls(d, mark)) if (c.op === "commitReservation") expect(c.amountMinor).toBe(1899);
    expect(d.call()).toMatchObject({ op: "commitReservation", amountMinor: 1899 });
  });

  it("(12) a parked flow raises its alarm again when it is recovered after a restart", () => {
    const d = reserved().feed(end(1000, 1899)).answer(OK()).answer(CODE(96)).answer(OK({ status: "CANCELED" }));
    expect(d.state.phase).toBe("parked");
    d.feed({ type: "recover" });
    expect(d.alarm("reservation-lapsed")).toBe(true);
  });
});

describe("preliminary: a sendInvoice whose outcome is unknown leaves no invoice unwatched", () => {
  const sends = (d: Driver) => glaseCalls(d).filter((c) => c.op === "sendInvoice").length;
  const T = SETTINGS.glaseCallTimeoutMs;

  it("(new-A) the fresh sendInvoice waits until the lost one can no longer be processed (a late one would supersede it under a customer who reserved it)", () => {
    const d = begin().answer(LOST);
    let sentAgainAt: number | undefined;
    for (let i = 0; i < 200 && sentAgainAt === undefined; i++) {
      if (d.state.pending?.op === "getPaymentStatus") d.answer(CODE(54));
      else if (d.state.pending?.op === "sendInvoice") sentAgainAt = d.now;
      else d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    }
    expect(sentAgainAt).toBeGreaterThanOrEqual(2 * T);
    expect(sends(d)).toBe(2);
  });

  it("(new-A) status reads that keep failing never end the flow while an invoice of ours may hold a reservation; at its lapse: offline, with an alarm", () => {
    const d = begin().answer(LOST);
    const lapse = SETTINGS.commitReservationTimeoutS * 1000 + 2 * T;
    while (d.state.phase !== "finished" && d.now < lapse + 120_000) {
      if (d.state.pending) d.answer(DOWN);
      else d.runTimers(d.now + 60_000, () => d.state.pending !== undefined || d.state.phase === "finished");
    }
    expect(d.state.outcome).toBe("offline");
    expect(d.now).toBeGreaterThanOrEqual(lapse);
    expect(d.log.some((x) => x.effect.type === "alarm" && x.effect.code === "send-unresolved")).toBe(true);
    expect(sends(d)).toBe(1);
  });

  it.each([
    ["a technician stop", (d: Driver) => d.feed({ type: "technician", action: "stop" })],
    ["the customer timeout", (d: Driver) => d.fire("customer")],
  ])("(new-A) %s while resolving a lost send does not walk away from the open invoice: it is superseded, then cancelled", (_n, act) => {
    const d = begin().answer(LOST);
    d.answer(DOWN); // the read fails: nothing is pending while the flow waits to read again
    expect(d.state.pending).toBeUndefined();
    act(d);
    expect(d.state.phase).not.toBe("finished");
    while (d.state.pending?.op !== "sendInvoice") {
      if (d.state.pending) d.answer(OK({ status: "RESERVED", version: 2 }));
      else d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    }
    d.answer(OK({ invoiceReference: "INV2" })).answer(OK({ status: "ISSUED", version: 1 }));
    expect(d.call()).toEqual({ op: "cancelInvoice", invoiceReference: "INV2" });
    expect(d.has("authorize")).toBe(false);
  });
});

describe("preliminary: a stop that did not take is sent again as soon as the board can hear it", () => {
  /** Delivering, stopped (lapse timer) while the link is down: stop and sale reads fail for a long while. */
  function stoppedBlind(): Driver<PreliminaryState> {
    const d = reserved();
    d.feed({ type: "progress", milli: 1000, amountMinor: 1899 });
    d.fire("lapse");
    expect(d.has("stop")).toBe(true);
    d.feed({ type: "stopped", ok: false });
    for (let i = 0; i < 12; i++) {
      d.feed({ type: "sale", record: null, failed: true });
      d.runTimers(d.now + 60_000, () => d.has("saleRecord"));
    }
    return d;
  }

  it.each([
    ["the link comes back", (d: Driver) => d.feed({ type: "link", up: true })],
    ["the board reports progress of the sale (it is reachable)", (d: Driver) => d.feed({ type: "progress", milli: 1500, amountMinor: 2849 })],
  ])("(new-C) %s ⇒ stop again at once, not after the backoff grown during the outage", (_n, act) => {
    const d = stoppedBlind();
    const mark = d.log.length;
    act(d);
    expect(d.since(mark, "stop").map((x) => x.at)).toEqual([d.now]);
    d.feed({ type: "stopped", ok: true }).feed(end(1600, 3038, "stopped"));
    expect(d.call()).toMatchObject({ op: "updateInvoice" });
  });
});

describe("preliminary: a commit that may have made the invoice PAID is read until it is known", () => {
  it("(8) status reads failing at the commit deadline after an accepted commit go on at the poll cadence (parking would leave a PAID unread: reversed), with an alarm", () => {
    const d = reserved();
    d.advance((SETTINGS.commitReservationTimeoutS - SETTINGS.commitSafetyMarginS) * 1000 - 10_000 - d.now);
    d.feed(end(1000, 1899)).answer(OK()); // updateInvoice
    d.answer(OK()); // commit accepted, 10 s before the commit deadline
    const mark = d.log.length;
    while (d.now < (SETTINGS.commitReservationTimeoutS - SETTINGS.commitSafetyMarginS) * 1000 + 15_000) {
      d.answer(CODE(90));
      d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
    }
    expect(d.state.phase).toBe("checking-commit");
    const reads = d.since(mark, "glase").map((x) => x.at);
    expect(Math.max(...reads.slice(1).map((t, i) => t - reads[i]!))).toBeLessThanOrEqual(SETTINGS.pollIntervalMs);
    expect(d.since(mark, "alarm").map((x) => x.effect.type === "alarm" && x.effect.code)).toContain("commit-unconfirmed");
    d.answer(OK({ status: "PAID", version: 3, ersReference: "E1", paidMinor: 1899 }));
    expect(d.state.phase).toBe("printing");
  });
});
