// Review 9l (issue 9) MEDIUM: kept money alarms starve the book. agent/alarms/book.ts:112-116 — when
// the book holds more than MAX_OPEN = 500 entries it clears "the oldest entry that is not a kept
// money alarm". Kept alarms are never evicted and stay until `ctl ack` (an unattended station: days
// or weeks). Once 500 of them are open, the ONLY non-kept entry is the one just raised, so every new
// alarm — a parked flow's (commit-unconfirmed, refund-unknown, reservation-lost …), a station
// condition — is raised and cleared in the same call: `ctl alarms` never shows it, `ctl ack` says
// NOT_FOUND, and the alerting hook is told alarm-cleared BEFORE alarm-raised (book.ts clears it in
// raise() before telling the raise): a monitoring that keeps the last event shows it open, and no
// ack on the station can ever clear it there. A parked flow raises its alarm only when it parks and at a restart
// (flow.ts reraiseParked), so it stays invisible until the next restart — which evicts it again.
// Below 500 the same squeeze holds: with K kept alarms open, all other alarms share 500-K slots, so a
// chattering device evicts a parked flow's alarm (the money of a customer whose commit is unknown).
// Issue 9: "every flow ends finished, or parked with an alarm a technician can see".
import { expect, it } from "vitest";
import { AlarmBook, type AlarmChange } from "../../agent/alarms/book.ts";

function keptBacklog(book: AlarmBook, n: number): void {
  // Restored at start / raised over weeks: one per told payment, each waiting for its own ack.
  for (let i = 0; i < n; i++) {
    book.raise({ origin: "engine", code: "paid-amount-mismatch", point: 1 + (i % 8), flowId: `F${i}`, message: `point ${1 + (i % 8)}: invoice R${i} is PAID ${1000 + i} but ${999 + i} was committed` });
  }
}

it("with 500 kept money alarms open, a parked flow's alarm is still listed and acknowledgeable", () => {
  const book = new AlarmBook(() => 1000);
  keptBacklog(book, 500);
  const changes: AlarmChange[] = [];
  book.subscribe((c) => changes.push(c));
  // A flow parks: its invoice's commit outcome is unknown (the customer's money is at stake).
  book.flowChanged("P1", true, false);
  const parked = book.raise({ origin: "engine", code: "commit-unconfirmed", point: 3, flowId: "P1", message: "point 3: commitReservation of invoice R9 unanswered; parked" });
  const listed = book.list().some((a) => a.id === parked.id);
  console.log("parked alarm listed:", listed, "| hook saw:", changes.map((c) => `${c.kind}:${c.alarm.code}`).join(", "));
  expect(listed).toBe(true);
  expect(changes.map((c) => c.kind)).not.toContain("cleared");
});

it("with 499 kept money alarms open, a device's repeated faults do not evict a parked flow's alarm", () => {
  const book = new AlarmBook(() => 1000);
  keptBacklog(book, 499);
  book.flowChanged("P1", true, false);
  const parked = book.raise({ origin: "engine", code: "commit-unconfirmed", point: 3, flowId: "P1", message: "point 3: commitReservation unanswered; parked" });
  // One other alarm (a printer paper-out on point 5, flowless): the book is at 501.
  book.raise({ origin: "engine", code: "device-fault-PAPER_OUT", point: 5, message: "printer: paper out" });
  const listed = book.list().some((a) => a.id === parked.id);
  console.log("parked alarm listed after one more alarm:", listed, "| open:", book.list().length);
  expect(listed).toBe(true);
});
