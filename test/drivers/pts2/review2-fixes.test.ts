// Regression tests for the fixes of the second review of issue 14 beyond its own repros
// (review2.test.ts): ownership that cannot be proven parks (never settles, never cancels), the
// agent learns its controller user from its own confirmed sales, an unreadable grade the agent
// sells is an alarm, and the mismatch rule's self-consistency. Real driver over loopback HTTP
// against the virtual PTS-2, plus pure units.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import { INITIAL_VIEW, type TrackerContext, observePump } from "../../../drivers/pts2/pump-tracker.ts";
import { endedFigures } from "../../../drivers/pts2/sale-figures.ts";
import { TransactionBook, type TxRecord } from "../../../drivers/pts2/transactions.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { closeAfterEach, openDriver, startTwin } from "./helpers.ts";

const cleanup = closeAfterEach();
type Fault = Extract<DispenserEvent, { type: "fault" }>;
const isFault = (e: DispenserEvent): e is Fault => e.type === "fault";

/** A firmware whose PumpTransactionInformation has no UserId. */
function withoutUserId(twin: Awaited<ReturnType<typeof startTwin>>): void {
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => {
    const o = real(d);
    if (!o.ok) return o;
    const { UserId: _u, ...rest } = o.data;
    return { ok: true, data: rest };
  };
}

it("no UserId in the read-back after a lost answer: PTS_OWNERSHIP_UNKNOWN once, the sale record stays an error (parks) — never settled, never 'nothing there'", async () => {
  const twin = await startTwin();
  withoutUserId(twin);
  const { driver, events, store } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const auth = await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "U", gradeId: "95" }).then(() => "ok", (e: { context?: { code?: string } }) => e.context?.code);
  expect(auth).toBe("PTS_OWNERSHIP_UNKNOWN");
  twin.deliver(1, 10_000);
  twin.hangUp(1);
  for (let i = 0; i < 3; i++) await expect(driver.saleRecord("U")).rejects.toMatchObject({ context: { code: "PTS_OWNERSHIP_UNKNOWN" } });
  expect(await store.get("tx/U")).toMatchObject({ phase: "authorizing" });
  expect(events.events.filter(isFault).filter((e) => e.code === "PTS_OWNERSHIP_UNKNOWN")).toHaveLength(1);
  expect(events.events.filter((e) => e.type === "end")).toEqual([]);
});

it("without controllerUserId the agent learns its user from its own confirmed sale, keeps it across a restart, and then resolves a lost answer as ours", async () => {
  const twin = await startTwin({ userId: 7 });
  const first = await openDriver(twin, { controllerUserId: undefined });
  twin.liftNozzle(1, 1);
  await first.events.waitFor((e) => e.type === "call");
  await first.driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "A", gradeId: "95" });
  expect(await first.store.get("meta/userId")).toBe(7);
  twin.deliver(1, 1_000);
  twin.hangUp(1);
  await first.events.waitFor((e) => e.type === "end");
  await first.driver.settled("A");
  await first.driver.close();
  const again = await openDriver(twin, { controllerUserId: undefined }, first.store);
  cleanup(() => again.driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await again.events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  await again.driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "B", gradeId: "95" });
  expect(await again.store.get("tx/B")).toMatchObject({ phase: "authorized" });
});

it("a grade the agent sells whose controller price cannot be decoded raises PTS_GRADES_UNREADABLE naming the grade", async () => {
  const twin = await startTwin({ priceDigits: 3, grades: [{ id: 1, name: "Blyfri 95", priceMinor: 18995 }, { id: 2, name: "Diesel", priceMinor: 20490 }] });
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  const f = await events.waitFor((e): e is Fault => isFault(e) && e.code === "PTS_GRADES_UNREADABLE", 5000);
  expect(f.message).toContain("grade 1");
});

it("mismatch rule: an Amount that is not the pump's own Price × Volume is ignored (volume × authorized price); a consistent lower pump amount is kept", () => {
  const r = { flowId: "F", point: 1, pump: 1, transaction: 5, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 50000, phase: "authorized", at: 0 } as TxRecord;
  const units = { moneyDigits: 2, priceDigits: 2 };
  const f = { transaction: 5, nozzle: 1, fuelGradeId: 1, milli: 10_000 };
  expect(endedFigures(r, { ...f, priceMinor: 1799, amountMinor: 100 }, 0, units).amountMinor).toBe(18990); // inconsistent
  expect(endedFigures(r, { ...f, priceMinor: 0, amountMinor: 0 }, 0, units).amountMinor).toBe(18990);
  expect(endedFigures(r, { ...f, priceMinor: 1799, amountMinor: 17990 }, 0, units).amountMinor).toBe(17990); // consistent, lower
  expect(endedFigures({ ...r, limitMinor: 10000 }, { ...f, priceMinor: 0, amountMinor: 0 }, 0, units).amountMinor).toBe(10000); // capped
});

it("a pump standing at end of a transaction no open sale of ours holds raises PTS_PUMP_STUCK once after closeUnsettledAfterMs — never closed by us", () => {
  const ctx = (now: number): TrackerContext => ({ point: 1, records: [], gradeOfNozzle: () => "95", gradeOfFuelGrade: () => "95", now, stopConfirmedAt: () => undefined, stopTimeoutMs: 5000, closeUnsettledAfterMs: 60_000 });
  const end = { kind: "end" as const, pump: 1, transaction: 9, nozzle: 1, fuelGradeId: 1, milli: 10_000, priceMinor: 1899, amountMinor: 18990 };
  const a = observePump(INITIAL_VIEW, end, ctx(0));
  expect(a.events.filter((e) => e.type === "fault")).toEqual([]);
  const b = observePump(a.view, end, ctx(59_999));
  expect(b.events.filter((e) => e.type === "fault")).toEqual([]);
  const c = observePump(b.view, end, ctx(60_000));
  expect(c.events.filter((e) => e.type === "fault")).toMatchObject([{ code: "PTS_PUMP_STUCK", point: 1 }]);
  expect(c.actions).toEqual([]);
  expect(observePump(c.view, end, ctx(90_000)).events).toEqual([]);
});

it("records keep their price digits: a record of an older driver (no priceDigits = money digits) loaded at priceDigits 3 compares in thousandths", async () => {
  const store = new MemoryDriverStore();
  const base = { point: 1, pump: 1, transaction: 1, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, limitMinor: 50000, phase: "authorized", at: 0 };
  await store.put("tx/OLD", { ...base, flowId: "OLD", priceMinor: 1899 });
  await store.put("tx/NEW", { ...base, flowId: "NEW", transaction: 2, priceMinor: 18990, priceDigits: 3 });
  const book = new TransactionBook(store, () => 0);
  await book.load(1000, { moneyDigits: 2, priceDigits: 3 });
  expect(book.byFlow("OLD")).toMatchObject({ priceMinor: 18990, priceDigits: 3 });
  expect(book.byFlow("NEW")).toMatchObject({ priceMinor: 18990, priceDigits: 3 });
  const back = new TransactionBook(store, () => 0);
  await back.load(1000, { moneyDigits: 2, priceDigits: 2 });
  expect(book.byFlow("NEW")!.priceMinor).toBe(18990);
  expect(back.byFlow("NEW")).toMatchObject({ priceMinor: 1899, priceDigits: 2 });
});

it("review 3 (R3-1/R3-2): at the authorized price, an Amount of 0 or one that is not Price × Volume is a mismatch — volume × price charged, PTS_SALE_MISMATCH kept", () => {
  const r = { flowId: "F", point: 1, pump: 1, transaction: 5, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 50000, phase: "authorized", at: 0 } as TxRecord;
  const units = { moneyDigits: 2, priceDigits: 2 };
  const f = { transaction: 5, nozzle: 1, fuelGradeId: 1, milli: 10_000, priceMinor: 1899 };
  const zero = endedFigures(r, { ...f, amountMinor: 0 }, 0, units);
  expect(zero.amountMinor).toBe(18990);
  expect(zero.mismatch?.why).toMatch(/not the pump's price × volume/);
  const low = endedFigures(r, { ...f, amountMinor: 100 }, 0, units);
  expect(low.amountMinor).toBe(18990);
  expect(low.mismatch).toBeDefined();
  // A consistent sale at our price is no mismatch (±1 minor unit of the pump's own rounding).
  expect(endedFigures(r, { ...f, amountMinor: 18990 }, 0, units).mismatch).toBeUndefined();
  expect(endedFigures(r, { ...f, amountMinor: 18991 }, 0, units).mismatch).toBeUndefined();
  expect(endedFigures(r, { ...f, milli: 0, amountMinor: 0 }, 0, units)).toMatchObject({ amountMinor: 0 });
});
