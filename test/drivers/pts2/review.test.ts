// Regression tests for the hostile review of issue 14 (/work/team/reviews/issue14-review.md),
// adapted from its repro file: each failed on the code before the fix (R1, R2, R5, R5b, R6 as the
// review wrote them; the others written with the fix and run against the code before it).
// The real driver over loopback HTTP against the virtual PTS-2.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import type { VirtualTx } from "../../../simulator/devices/virtual-pts2-pumps.ts";
import { closeAfterEach, openDriver, received, startTwin, waitUntil, asAgent } from "./helpers.ts";

const cleanup = closeAfterEach();
type End = Extract<DispenserEvent, { type: "end" }>;
type Fault = Extract<DispenserEvent, { type: "fault" }>;
const isEnd = (e: DispenserEvent): e is End => e.type === "end";
const faultOf = (code: string) => (e: DispenserEvent): e is Fault => e.type === "fault" && e.code === code;

/** A finished sale some other system (attendant POS, card reader) made under number `transaction`. */
const foreignSale = (transaction: number, over: Partial<VirtualTx> = {}): VirtualTx => ({
  pump: 1, transaction, nozzle: 1, nozzleUsed: 1, fuelGradeId: 1, priceMinor: 1899, doseType: "FullTank", dose: 0, milli: 30_000, amountMinor: 56970, state: "Finished", startedAt: 0, endedAt: 1, ...over,
});

const codeOf = (p: Promise<unknown>) => p.then(() => "resolved", (e: { code?: string }) => e.code);

it("finding 2 (R1): a PumpGetTransactionInformation answer about another transaction is an error, never our sale", async () => {
  const twin = await startTwin();
  const store = new MemoryDriverStore();
  const a = await openDriver(twin, { pollIntervalMs: 60_000 }, store);
  cleanup(() => a.driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await a.driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "F1", gradeId: "95" });
  twin.deliver(1, 1_000);
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => {
    const o = real(d);
    return o.ok ? { ok: true, data: { ...o.data, Transaction: 4242, State: "Finished", Volume: 20, Amount: 379.8 } } : o;
  };
  expect(await codeOf(a.driver.saleRecord("F1"))).toBe("DEVICE_PROTOCOL");
  expect(((await store.get("tx/F1")) as { ended?: unknown }).ended).toBeUndefined();
});

it("finding 3 (R2): end figures at another price and an unknown grade are charged at the authorized price at most, with PTS_SALE_MISMATCH", async () => {
  const twin = await startTwin();
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "F2", gradeId: "95" });
  const t = twin.pumps.pumps.get(1)!.current!;
  t.priceMinor = 2500; // the pump ignored PumpAuthorize.Price
  t.fuelGradeId = 7; // a grade the agent never configured
  twin.deliver(1, 10_000);
  twin.hangUp(1);
  const end = await events.waitFor(isEnd);
  expect(end).toMatchObject({ transactionId: "F2", gradeId: "95", milli: 10_000, unitPriceMinor: 1899, amountMinor: 18990 });
  expect(await events.waitFor(faultOf("PTS_SALE_MISMATCH"))).toMatchObject({ transactionId: "F2", point: 1 });
  expect(await driver.saleRecord("F2")).toMatchObject({ amountMinor: 18990, unitPriceMinor: 1899 });

  // A pump that ends *below* the authorized price's amount is charged its own (lower) amount.
  await driver.settled("F2");
  twin.liftNozzle(2, 1);
  await driver.authorize({ point: 2, limitMinor: 50000, currency: "SEK", transactionId: "F2b", gradeId: "95" });
  twin.pumps.pumps.get(2)!.current!.priceMinor = 1500;
  twin.deliver(2, 10_000);
  twin.hangUp(2);
  expect(await events.waitFor((e): e is End => isEnd(e) && e.transactionId === "F2b")).toMatchObject({ amountMinor: 15000, unitPriceMinor: 1500 });
});

it("finding 1 (R5): a lost PumpAuthorize + a number another system already used: the probe skips it, the foreign sale is never charged", async () => {
  const twin = await startTwin();
  const { driver, store } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  await store.put("seq/1", 41);
  twin.pumps.records.set("1:42", foreignSale(42));
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  await driver.authorize({ point: 1, limitMinor: 80000, currency: "SEK", transactionId: "R5", gradeId: "95" });
  expect(received(twin, "PumpAuthorize").map((d) => d.Transaction)).toEqual([43]); // 42 never sent
  expect(twin.pumps.pumps.get(1)!.current).toMatchObject({ transaction: 43, state: "WaitingNozzleUpForAuthorization" });
  const rec = await driver.saleRecord("R5");
  expect(rec).toMatchObject({ state: "authorized", amountMinor: 0 });
});

it("finding 1 (R5b): the poll alone never turns the foreign sale under our old number into our end", async () => {
  const twin = await startTwin();
  const { driver, store, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  await store.put("seq/1", 41);
  twin.pumps.records.set("1:42", foreignSale(42));
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  await driver.authorize({ point: 1, limitMinor: 80000, currency: "SEK", transactionId: "R5b", gradeId: "95" });
  const polls = driver.stats().polls;
  await waitUntil(() => driver.stats().polls >= polls + 10, 10_000, "ten polls");
  expect(events.events.filter(isEnd)).toEqual([]);
  // Our own sale then settles with its own figures.
  twin.liftNozzle(1, 1);
  twin.deliver(1, 2_000);
  twin.hangUp(1);
  expect(await events.waitFor(isEnd)).toMatchObject({ transactionId: "R5b", milli: 2_000, amountMinor: 3798 });
});

it("finding 1 (R6): killed after recording PumpAuthorize, never sent, number used by another system: restart finds nothing of ours", async () => {
  const twin = await startTwin();
  const store = new MemoryDriverStore();
  await store.put("seq/1", 42);
  await store.put("tx/R6", { flowId: "R6", point: 1, pump: 1, transaction: 42, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 80000, phase: "authorizing", at: Date.now() });
  twin.pumps.records.set("1:42", foreignSale(42));
  const { driver, events } = await openDriver(twin, {}, store);
  cleanup(() => driver.close(), () => twin.close());
  expect(await driver.saleRecord("R6")).toBeUndefined();
  expect(await events.waitFor(faultOf("PTS_FOREIGN_TRANSACTION"))).toMatchObject({ transactionId: "R6", point: 1 });
  expect(await store.get("tx/R6")).toMatchObject({ phase: "refused", foreign: true });
  expect(received(twin, "PumpStop")).toEqual([]); // never stops someone else's customer
});

it("finding 1: a number taken between our probe and our lost PumpAuthorize is read back as foreign (other nozzle): alarm, next number, never charged", async () => {
  const twin = await startTwin();
  const { driver, store, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  await store.put("seq/1", 41);
  // The probe of 42 sees nothing; then the POS takes 42 (nozzle 2, diesel) and our request is lost.
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let reads = 0;
  twin.pumps.transactionInfo = (d) => {
    if (d.Transaction === 42 && ++reads === 2) twin.pumps.records.set("1:42", foreignSale(42, { nozzle: 2, nozzleUsed: 2, fuelGradeId: 2, priceMinor: 2049, amountMinor: 61470 }));
    return real(d);
  };
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  await driver.authorize({ point: 1, limitMinor: 80000, currency: "SEK", transactionId: "RACE", gradeId: "95" });
  expect(await events.waitFor(faultOf("PTS_FOREIGN_TRANSACTION"))).toMatchObject({ transactionId: "RACE" });
  expect(await store.get("tx/RACE")).toMatchObject({ transaction: 43, phase: "authorized" });
  expect(await driver.saleRecord("RACE")).toMatchObject({ state: "authorized", amountMinor: 0 });
});

it("finding 5: fuel delivered under an authorization resolved as void is stopped and raises PTS_UNOWNED_DELIVERY with its figures", async () => {
  const twin = await startTwin();
  const store = new MemoryDriverStore();
  await store.put("tx/V1", { flowId: "V1", point: 1, pump: 1, transaction: 7, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 10000, phase: "void", at: Date.now(), probedAt: Date.now() });
  expect(asAgent(twin, () => twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 100, Price: 18.99, Transaction: 7 })).ok).toBe(true);
  twin.liftNozzle(1, 1);
  twin.deliver(1, 2_000);
  const { driver, events } = await openDriver(twin, {}, store);
  cleanup(() => driver.close(), () => twin.close());
  const fault = await events.waitFor(faultOf("PTS_UNOWNED_DELIVERY"));
  expect(fault).toMatchObject({ point: 1, transactionId: "V1" });
  await waitUntil(() => received(twin, "PumpStop").length > 0, 5000, "PumpStop");
  // Ended by the stop: closed, with the figures in the alarm, and nothing charged.
  await waitUntil(() => events.events.filter(faultOf("PTS_UNOWNED_DELIVERY")).some((e) => e.message.includes("2000 ml")), 5000, "alarm with figures");
  expect(events.events.filter(isEnd)).toEqual([]);
});

it("finding 7: a controller reboot that forgets its transactions raises PTS_TRANSACTION_LOST (once) and never cancels the fill; the pump stays usable", async () => {
  const twin = await startTwin({ forgetOnPowerCut: true });
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "LOST", gradeId: "95" });
  twin.deliver(1, 5_000);
  await events.waitFor((e) => e.type === "progress");
  await twin.powerCut();
  await twin.powerOn();
  expect(await codeOf(driver.saleRecord("LOST"))).toBe("DEVICE_PROTOCOL"); // not "nothing delivered"
  expect(await codeOf(driver.saleRecord("LOST"))).toBe("DEVICE_PROTOCOL");
  expect(events.events.filter(faultOf("PTS_TRANSACTION_LOST"))).toMatchObject([{ transactionId: "LOST", point: 1 }]);
  // A technician resolves the parked flow (settled): the lost record no longer holds the pump —
  // the next lift is a customer's call again. Renumbered from 1: the next number is probed and used.
  const downs = events.events.filter((e) => e.type === "nozzle" && !e.up).length;
  twin.hangUp(1);
  await driver.settled("LOST"); // (the lost record is closed already: nothing to revoke, no poll of its own)
  await waitUntil(() => events.events.filter((e) => e.type === "nozzle" && !e.up).length > downs, 10_000, "the hang-up seen by a poll");
  const calls = events.events.filter((e) => e.type === "call").length;
  twin.liftNozzle(1, 1);
  await waitUntil(() => events.events.filter((e) => e.type === "call").length > calls, 10_000, "a call after the lost record was settled");
  await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "AFTER", gradeId: "95" });
  twin.deliver(1, 1_000);
  twin.hangUp(1);
  expect(await events.waitFor((e): e is End => isEnd(e) && e.transactionId === "AFTER")).toMatchObject({ milli: 1_000, amountMinor: 1899 });
});

it("finding 8: after a 65535 wrap, numbers the controller still holds are skipped by the probe; the pump stays usable", async () => {
  const twin = await startTwin();
  const { driver, store } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  await store.put("seq/1", 65534);
  for (const n of [65535, 1, 2, 3, 4, 5, 6, 7]) twin.pumps.records.set(`1:${n}`, foreignSale(n));
  await driver.authorize({ point: 1, limitMinor: 10000, currency: "SEK", transactionId: "WRAP", gradeId: "95" });
  expect(await store.get("tx/WRAP")).toMatchObject({ transaction: 8, phase: "authorized" });
  expect(received(twin, "PumpAuthorize").map((d) => d.Transaction)).toEqual([8]);
});
