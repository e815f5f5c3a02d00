// The book's bound with kept money alarms open (review 9 final #1, #2): kept alarms never count
// against MAX_OPEN nor are evicted; an alarm is never evicted by its own raise, and listeners hear
// "raised" before any "cleared"; over the bound an event alarm goes before a parked flow's. A
// flow's resolution (clearFlow, ctl kiosk-resolve) and clearCode leave kept alarms for their ack.
import { expect, it } from "vitest";
import { AlarmBook } from "../../agent/alarms/book.ts";

const kept = (book: AlarmBook, n: number) => {
  for (let i = 0; i < n; i++) book.raise({ origin: "engine", code: "paid-unclaimed", flowId: `W${i}`, message: `refund it: ctl refund E${i} 1.00` });
};

it("600 kept alarms leave room for 500 others; the 501st other evicts the oldest other, after its raise is told", () => {
  const book = new AlarmBook(() => 1000);
  kept(book, 600);
  for (let i = 0; i < 500; i++) book.raise({ origin: "engine", code: "send-unresolved", point: 1, flowId: `F${i}`, message: "m" });
  expect(book.list()).toHaveLength(1100);
  const changes: string[] = [];
  book.subscribe((c) => changes.push(`${c.kind}:${c.alarm.flowId}`));
  book.raise({ origin: "engine", code: "send-unresolved", point: 1, flowId: "F500", message: "m" });
  expect(changes).toEqual(["raised:F500", "cleared:F0"]);
  expect(book.list()).toHaveLength(1100);
  expect(book.list().filter((a) => a.code === "paid-unclaimed")).toHaveLength(600);
});

it("over the bound an event alarm is evicted before an older parked flow's alarm", () => {
  const book = new AlarmBook(() => 1000);
  book.flowChanged("P1", true, false);
  const parked = book.raise({ origin: "engine", code: "commit-unconfirmed", point: 3, flowId: "P1", message: "parked" });
  for (let i = 0; i < 500; i++) book.raise({ origin: "engine", code: "send-unresolved", point: 1, flowId: `F${i}`, message: "m" });
  const ids = book.list().map((a) => a.id);
  expect(ids).toContain(parked.id);
  expect(book.list().some((a) => a.flowId === "F0")).toBe(false);
  expect(book.list()).toHaveLength(500);
});

it("clearFlow keeps a kept money alarm (its ack clears it) and clears the caller's own codes", () => {
  const book = new AlarmBook(() => 1000);
  const twice = book.raise({ origin: "engine", code: "paid-twice", point: 4, flowId: "K1", message: "refund it: ctl refund E2 3.50" });
  book.raise({ origin: "engine", code: "release-unknown", point: 4, flowId: "K1", message: "kiosk sale K1: the controller cannot tell" });
  book.raise({ origin: "engine", code: "release-result-missing", point: 4, flowId: "K1", message: "kiosk sale K1: no result" });
  book.clearFlow("K1", new Set(["release-result-missing", "release-unknown"]));
  expect(book.list().map((a) => a.code)).toEqual(["paid-twice"]);
  book.clearFlow("K1");
  book.clearCode("engine", "paid-twice");
  expect(book.list().map((a) => a.id)).toEqual([twice.id]);
  book.ack(twice.id);
  expect(book.list()).toEqual([]);
});
