// Review 8 (issue 9): a `refundable` paid-unclaimed alarm for a pump sale that DELIVERED, taken by the
// refund desk as printed (no --force). Pure machines (preliminary, send-watch) + the real journal
// file + the daemon's own checkedRefund/RefundGuard.
// 1. Pump sale f1: its first sendInvoice loses its answer (a lost send, kept to the end); the
//    re-send (same clientInvoiceId f1) is reserved, 37.98 delivered, commit accepted.
// 2. Glase answers PAID without ersReference (issue 9 #8's hostile case) until the flow parks
//    commit-unconfirmed. The technician checks Glase (paid) and runs mark-settled; the closing read
//    is still PAID without ersReference → finished "settled-manually", no ersReference
//    (preliminary-cancel.ts:20; paidAtClose needs o.ersReference).
// 3. f1's lost send is handed to the terminal's watch (lostSendsOf: no `collected`). The watch reads
//    the terminal's current invoice — f1's own paid one, clientInvoiceId f1, now with E-P — and
//    paidLate (send-watch.ts:167) says "a late invoice of flow f1 … nothing was released for it —
//    refund it: ctl refund E-P 37.98", with `refundable` (send-watch.ts:110, new in 4d6d1b8).
//    Variant (second test): the closing reads are unreachable (a Glase outage) → finished with
//    reservation-may-be-open, no ersReference (preliminary-cancel.ts:21-23) — no hostile premise.
// 4. The technician runs exactly that. On b25f978 the desk refused it NOT_FOUND (no receipt).
//    On 8bb9389 RefundGuard.unclaimedPayment gives the payment and the refund of the delivered fuel starts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { startSendWatch, transitionSendWatch } from "../../agent/core/send-watch.ts";
import { flowKind } from "../../agent/flows/kinds/registry.ts";
import { recordOf } from "../../agent/flows/runner.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import { RefundGuard } from "../../agent/daemon/refund-guard.ts";
import { checkedRefund } from "../../agent/daemon/refund-request.ts";
import type { FlowState } from "../../agent/core/transition.ts";
import { DOWN, Driver, LOST, OK, SETTINGS, ctxAt } from "../core/helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const START = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };
const LAPSE = SETTINGS.commitReservationTimeoutS * 1000;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function scenario(closing: "paid-without-ers" | "unreadable") {
  const d = Driver.of(startPreliminary(START, ctxAt(0)));
  expect(d.call().op).toBe("sendInvoice");
  d.answer(LOST); // the first sendInvoice's answer is lost: a lost send
  // Resolving: the current invoice shows nothing open; once two call timeouts passed it re-sends.
  for (let i = 0; i < 200 && !(d.state.pending?.op === "sendInvoice"); i++) {
    if (d.state.pending?.op === "getPaymentStatus") d.answer(OK({ status: "CANCELED", version: 1 }));
    else if (d.runTimers(d.now + 60_000, () => d.state.pending !== undefined) === 0) break;
  }
  expect(d.call().op).toBe("sendInvoice");
  d.answer(OK({ invoiceReference: "INV1" })).answer(OK({ status: "ISSUED", version: 1 }));
  d.advance(2000).fire("poll").answer(OK({ status: "RESERVED", version: 2 }));
  d.feed({ type: "authorized", ok: true });
  d.now += 60_000;
  d.feed({ type: "end", gradeId: "95", milli: 2000, amountMinor: 3798, unitPriceMinor: 1899, reason: "nozzle-down" }).answer(OK());
  expect(d.call().op).toBe("commitReservation");
  d.answer(OK());
  for (let i = 0; i < 10_000 && d.state.phase !== "parked" && d.now < LAPSE + 200_000; i++) {
    if (d.state.pending?.op === "getPaymentStatus") d.answer(closing === "paid-without-ers" ? OK({ status: "PAID", version: 3 }) : DOWN);
    else if (d.runTimers(LAPSE + 200_000, () => d.state.pending !== undefined) === 0) break;
  }
  expect(d.state.phase).toBe("parked");
  const parkedAs = (d.state as PreliminaryState).parkedReason;
  d.feed({ type: "technician", action: "mark-settled" });
  expect(d.call().op).toBe("getPaymentStatus");
  if (closing === "paid-without-ers") d.answer(OK({ status: "PAID", version: 4 })); // still no ersReference
  else {
    // Glase's status reads are unreachable (an outage, no hostile premise): five closing reads fail
    // → finished settled-manually with reservation-may-be-open, no ersReference.
    for (let i = 0; i < 50 && d.state.phase !== "finished"; i++) {
      if (d.state.pending?.op === "getPaymentStatus") d.answer(DOWN);
      else if (d.runTimers(d.now + 120_000, () => d.state.pending !== undefined) === 0) break;
    }
  }
  const f1 = d.state as PreliminaryState;
  expect(f1.phase).toBe("finished");
  const lost = flowKind(f1 as FlowState).lostSendsOf!(f1 as FlowState);
  expect(lost.length).toBe(1); // the first send's lost answer, handed to the terminal's watch

  // The watch on T1 (terminal known: claims are f1's — none, f1 names no payment).
  const ctx = ctxAt(d.now + 1000);
  const w = startSendWatch({ flowId: "Wf1", terminalId: "T1", currency: "SEK", stationName: "Station", lost, busy: false, claimed: [] }, ctx);
  const input = { type: "glase" as const, op: "getPaymentStatus" as const, ref: w.state.watchRef!, outcome: OK({ status: "PAID", ersReference: "E-P", paidMinor: 3798, clientInvoiceId: "f1", version: 4 }) };
  const r = transitionSendWatch(w.state, input, ctx);
  const alarm = r.effects.find((e) => e.type === "alarm");

  // The watch's step is journaled as the runner does it (recordOf keeps the alarm).
  dir = mkdtempSync(join(tmpdir(), "r8-refundable-"));
  const journal = await openJournal({ path: join(dir, "journal.db") });
  await journal.append(recordOf(r.state as FlowState, input, r.effects, ctx.now));
  const started: unknown[] = [];
  const desk = {
    engine: () => ({ receiptOf: async () => undefined, startRefund: async (req: unknown) => (started.push(req), { flowId: "R1" }) }) as never,
    guard: new RefundGuard(journal),
    logger: { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined } as never,
  };
  // The technician types the alarm's own command: ctl refund E-P 37.98
  const answer = await checkedRefund(desk, { ersReference: "E-P", amountMinor: 3798 }).then(
    (x) => ({ started: x }),
    (e: { code?: string }) => ({ refused: e.code }),
  );
  await journal.close();
  console.log(closing, "| parked:", parkedAs, "| finished:", f1.outcome, "ers", f1.ersReference, "| alarm:", alarm && alarm.type === "alarm" ? alarm.message : undefined, "| desk:", JSON.stringify(answer), "| refunds started:", started.length);
  // The fuel was delivered and paid with E-P: no refund of it may start on this alarm's word.
  expect({ refundable: alarm && alarm.type === "alarm" ? alarm.refundable !== undefined : false, refundsStarted: started.length }).toEqual({ refundable: false, refundsStarted: 0 });
}

it("mark-settled, closing read PAID without ersReference: the desk does not refund the delivered sale on the watch's alarm", () => scenario("paid-without-ers"));
it("mark-settled during a status outage (closing reads unreachable): the desk does not refund the delivered sale on the watch's alarm", () => scenario("unreadable"));
