// Review 2 of issue 9, findings A, E, F (pure machine): Glase may apply a request whose answer was
// lost at any later time (§4.1: clientRequestTimeout must be 0 — no server-side bound), and a
// definite code the contract does not define as "not processed" proves nothing either. So once a
// commit may have happened the status is read at the cadence until the reservation can no longer
// be paid; a cancel answered 50 collects the payment; one refused reservation poll ends nothing.
import { describe, expect, it } from "vitest";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import type { GlaseOutcome } from "../../agent/core/inputs.ts";
import { CODE, Driver, LOST, OK, SETTINGS, ctxAt } from "./helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const START = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };
const T = SETTINGS.glaseCallTimeoutMs;
/** Sent at 0: the reservation lapses at 300 s, the commit deadline is 270 s. */
const LAPSE = SETTINGS.commitReservationTimeoutS * 1000;
const DEADLINE = LAPSE - SETTINGS.commitSafetyMarginS * 1000;
const PAID = OK({ status: "PAID", ersReference: "ERS1", version: 4 });
const end = (milli: number, amountMinor: number) => ({ type: "end", gradeId: "95", milli, amountMinor, unitPriceMinor: 1899, reason: "nozzle-down" }) as const;

function reserved(): Driver<PreliminaryState> {
  const d = Driver.of(startPreliminary(START, ctxAt(0)));
  d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "ISSUED", version: 1 }));
  d.advance(2000).fire("poll").answer(OK({ status: "RESERVED", version: 2 }));
  return d.feed({ type: "authorized", ok: true });
}

/** The sale ended at `at`; updateInvoice accepted; the commit's answer is `commit`. */
function committed(at: number, commit: GlaseOutcome): Driver<PreliminaryState> {
  const d = reserved();
  d.now = at;
  d.feed(end(2000, 3798)).answer(OK());
  expect(d.call().op).toBe("commitReservation");
  return d.answer(commit);
}

/** Answers every status read with `o` until `until` (timers fired in order); returns the reads' times. */
function readsUntil(d: Driver<PreliminaryState>, until: number, o: GlaseOutcome): number[] {
  const at: number[] = [];
  for (let i = 0; i < 10_000 && d.now < until && d.state.phase !== "parked" && d.state.phase !== "finished"; i++) {
    if (d.state.pending?.op === "getPaymentStatus") {
      at.push(d.now);
      d.answer(o);
    } else if (d.runTimers(until, () => d.state.pending !== undefined) === 0) break;
  }
  return at;
}

const commits = (d: Driver) => d.since(0, "glase").filter((x) => x.effect.type === "glase" && x.effect.call.op === "commitReservation").length;
const alarmed = (d: Driver, code: string) => d.since(0, "alarm").some((x) => x.effect.type === "alarm" && x.effect.code === code);

describe("preliminary: a commit whose answer was lost may land at any later time (review 2 A)", () => {
  it("RESERVED read past two call timeouts and past the deadline: reads go on at the cadence, no new commit, alarm at once; the late PAID is collected", () => {
    const d = committed(DEADLINE - 5000, LOST);
    const reads = readsUntil(d, LAPSE, OK({ status: "RESERVED", version: 2 }));
    expect(d.state.phase).toBe("checking-commit");
    expect(commits(d)).toBe(1); // never committed again past the deadline
    expect(alarmed(d, "commit-unconfirmed")).toBe(true);
    // At the poll cadence (a PAID must be read within 20 s), not a backoff.
    const gaps = reads.slice(1).map((t, i) => t - reads[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(SETTINGS.pollIntervalMs);
    // The commit lands late: the next read sees PAID and the receipt is printed.
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(PAID);
    expect(d.state.phase).toBe("printing");
    expect(d.has("print")).toBe(true);
  });

  it("parks only once the reservation has surely lapsed plus a reversal window", () => {
    const d = committed(DEADLINE - 5000, LOST);
    readsUntil(d, LAPSE + 2 * T + 20_000 + 5000, OK({ status: "RESERVED", version: 2 }));
    expect(d.state.phase).toBe("parked");
    expect(d.now).toBeGreaterThanOrEqual(LAPSE + 2 * T + 20_000);
    expect(commits(d)).toBe(1);
  });

  it("a re-commit before the deadline that never reached Glase does not forget the earlier lost one", () => {
    const d = committed(DEADLINE - 25_000, LOST);
    // Reads RESERVED past 2T (before the deadline) ⇒ commit again, after a backoff; that one is refused at the socket.
    for (let i = 0; i < 100 && d.state.phase !== "committing"; i++) {
      if (d.state.pending) d.answer(OK({ status: "RESERVED", version: 2 }));
      else d.runTimers(d.now + 10_000, () => d.state.pending !== undefined);
    }
    expect(d.state.phase).toBe("committing");
    d.answer({ kind: "transport", indefinite: false });
    readsUntil(d, LAPSE, OK({ status: "RESERVED", version: 2 }));
    expect(d.state.phase).toBe("checking-commit"); // the first commit may still land
  });

  it("a technician's cancel answered 50 after a commit: the payment went through — read and collected, not parked (§6.14 B.4)", () => {
    const d = committed(DEADLINE - 5000, LOST);
    readsUntil(d, LAPSE + 2 * T + 25_000, OK({ status: "RESERVED", version: 2 }));
    expect(d.state.phase).toBe("parked");
    d.feed({ type: "technician", action: "cancel" });
    expect(d.call().op).toBe("cancelInvoice");
    d.answer(CODE(50));
    expect(d.state.phase).toBe("checking-commit");
    expect(d.call().op).toBe("getPaymentStatus");
    d.answer(PAID);
    expect(d.state.phase).toBe("printing");
  });
});

describe("preliminary: definite codes that are not 'not processed' (review 2 E, F)", () => {
  it.each([11, 20, 29, 33, 37])("(E) commit answered %i: alarm at once, the status is read and a PAID is collected", (code) => {
    const d = committed(100_000, CODE(code));
    expect(d.state.phase).toBe("checking-commit");
    expect(d.alarm("commit-rejected")).toBe(true);
    expect(d.call().op).toBe("getPaymentStatus");
    d.answer(PAID);
    expect(d.state.phase).toBe("printing");
  });

  it("(E) commit answered 33, the status then reads RESERVED: no park while the commit may still be applied", () => {
    const d = committed(100_000, CODE(33));
    readsUntil(d, LAPSE, OK({ status: "RESERVED", version: 2 }));
    expect(d.state.phase).not.toBe("parked");
  });

  it.each([33, 54])("(F) a reservation poll answered %i: alarm once, the poll goes on; the customer's RESERVED is served", (code) => {
    const d = Driver.of(startPreliminary(START, ctxAt(0)));
    d.answer(OK({ invoiceReference: "INV1" })).answer(CODE(code));
    expect(d.state.phase).toBe("awaiting-reservation");
    expect(d.alarm("glase-getPaymentStatus")).toBe(true);
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(CODE(code));
    expect(d.alarm("glase-getPaymentStatus")).toBe(false); // once
    d.runTimers(d.now + 5000, () => d.state.pending !== undefined);
    d.answer(OK({ status: "RESERVED", version: 2 }));
    expect(d.state.phase).toBe("authorizing");
  });

  it("(F) reads refused until the customer deadline: the invoice is cancelled before the flow ends", () => {
    const d = Driver.of(startPreliminary(START, ctxAt(0)));
    d.answer(OK({ invoiceReference: "INV1" }));
    readsUntil(d, SETTINGS.reservationWaitMs + 1, CODE(33));
    expect(d.state.phase).toBe("canceling");
    expect(d.call().op).toBe("cancelInvoice");
    d.answer(OK());
    expect(d.state.outcome).toBe("canceled");
  });
});

/** The pending call reads the terminal's current invoice (no reference, §6.4). */
const currentRead = (d: Driver) => {
  const c = d.call();
  return c.op === "getPaymentStatus" && c.invoiceReference === undefined;
};

describe("preliminary: the reservation is watched while the pump runs (review 2 B)", () => {
  const WATCH = 5 * SETTINGS.pollIntervalMs;
  const watchReads = (d: Driver, from = 0) => d.since(from, "glase").filter((x) => x.effect.type === "glase" && x.effect.call.op === "getPaymentStatus");
  const lastWatch = (d: Driver) => {
    const e = watchReads(d).at(-1)!.effect;
    return e.type === "glase" ? e : (undefined as never);
  };

  it("reads its invoice once per 5 poll intervals while delivering, without holding up the pump steps", () => {
    const d = reserved();
    const mark = d.log.length;
    d.feed({ type: "progress", milli: 100, amountMinor: 190 });
    for (let i = 0; i < 3; i++) {
      d.runTimers(d.now + WATCH, () => false);
      d.feed({ type: "progress", milli: 200 + i, amountMinor: 380 + i }); // the pump steps go on meanwhile
      d.feed({ type: "glase", op: "getPaymentStatus", ref: lastWatch(d).ref, outcome: OK({ status: "RESERVED", version: 2 }) });
    }
    const at = watchReads(d, mark).map((x) => x.at);
    expect(at.length).toBe(3);
    expect(at[1]! - at[0]!).toBe(WATCH);
    expect(d.state.phase).toBe("delivering");
    expect(d.state.pending).toBeUndefined(); // the watch is not the flow's pending call
    const w = lastWatch(d);
    expect(w.call).toMatchObject({ op: "getPaymentStatus", invoiceReference: "INV1" });
  });

  it("CANCELED under a running pump (a late invoice superseded it): stop at once, alarm, no commit; the terminal's current invoice is superseded and cancelled; parked with the metered amount", () => {
    const d = reserved();
    d.feed({ type: "progress", milli: 100, amountMinor: 190 });
    d.runTimers(d.now + WATCH, () => false);
    const w = lastWatch(d);
    d.feed({ type: "glase", op: "getPaymentStatus", ref: w.ref, outcome: OK({ status: "CANCELED", version: 3 }) });
    expect(d.has("stop")).toBe(true);
    expect(d.alarm("reservation-lost")).toBe(true);
    d.feed({ type: "stopped", ok: true }).feed({ type: "sale", record: { state: "finished", gradeId: "95", milli: 100, amountMinor: 190, unitPriceMinor: 1899 } });
    // Not an update/commit: the terminal's current invoice (the late one, reference unknown).
    expect(currentRead(d)).toBe(true);
    d.runTimers(d.now + 3 * T, () => false); // (the fresh send waits until the last send settled)
    d.answer(OK({ status: "RESERVED", version: 2 }));
    for (let i = 0; i < 20 && d.call().op !== "sendInvoice"; i++) {
      d.runTimers(d.now + 3 * T, () => false);
      d.answer(OK({ status: "RESERVED", version: 2 }));
    }
    expect(d.call().op).toBe("sendInvoice"); // supersedes the late one (§6.4)
    d.answer(OK({ invoiceReference: "INV3" }));
    d.answer(OK({ status: "RESERVED", version: 2 })); // even if someone reserves the closing invoice: cancelled, never served
    expect(d.call()).toMatchObject({ op: "cancelInvoice", invoiceReference: "INV3" });
    d.answer(OK());
    expect(d.state.phase).toBe("parked");
    expect(d.state.parkedReason).toBe("reservation-lost");
    expect(d.since(0, "authorize").length).toBe(1);
    expect(commits(d)).toBe(0);
  });

  it("after a lost send, CANCELED while awaiting the customer closes the terminal's current invoice before the flow ends", () => {
    const d = Driver.of(startPreliminary(START, ctxAt(0)));
    d.answer(LOST); // the first send may land at any time
    for (let i = 0; i < 50 && d.call().op !== "sendInvoice"; i++) {
      d.answer(OK({ status: "CANCELED", version: 1 }));
      d.runTimers(d.now + 3 * T, () => d.state.pending !== undefined);
    }
    d.answer(OK({ invoiceReference: "INV2" })).answer(OK({ status: "CANCELED", version: 2 })); // superseded by the late one
    expect(d.alarm("late-invoice")).toBe(true);
    expect(currentRead(d)).toBe(true);
  });

  it("after a restart in a pump phase the watch is armed again", () => {
    const d = reserved();
    d.feed({ type: "recover" });
    expect(d.timerStarted("watch")).toBe(true);
  });
});
