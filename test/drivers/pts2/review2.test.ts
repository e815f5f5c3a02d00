// Second hostile review of issue 14 (/work/team/reviews/issue14-review2.md). Every test here FAILS on
// rv14 (8e7219c) = the bug is reproduced. The real driver over loopback HTTP against the virtual PTS-2.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { closeAfterEach, openDriver, received, startTwin, waitUntil } from "./helpers.ts";

const cleanup = closeAfterEach();
type End = Extract<DispenserEvent, { type: "end" }>;
type Fault = Extract<DispenserEvent, { type: "fault" }>;
const isEnd = (e: DispenserEvent): e is End => e.type === "end";
const isFault = (e: DispenserEvent): e is Fault => e.type === "fault";

/**
 * The vendor SDK's PumpTransactionInformation (com.technotrade.pts2 PumpGetTransactionInformation
 * .parseJSON) knows State, DateTimeStart, DateTime, Nozzle, FuelGradeId, FuelGradeName, Volume,
 * TCVolume, Price, Amount, TotalVolume, TotalAmount, Tag, UserId — no OrderedType/OrderedDose.
 * The twin adds those two; a real controller gives the ownership rule only nozzle, price and start.
 */
function asRealFirmware(twin: Awaited<ReturnType<typeof startTwin>>): void {
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => {
    const o = real(d);
    if (!o.ok) return o;
    const { OrderedType: _t, OrderedDose: _d, ...rest } = o.data;
    return { ok: true, data: rest };
  };
}

it("N1 CRITICAL: a lost PumpAuthorize, then the attendant authorizes the same pump (controller auto-number = our number): the attendant's sale is settled as ours", async () => {
  const twin = await startTwin();
  asRealFirmware(twin);
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1); // our customer, nozzle 1
  await events.waitFor((e) => e.type === "call");
  // Our request never reaches the controller; the agent's link then stays bad for a while (every
  // PumpGetTransactionInformation refused as "busy" here stands for the link being down).
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let linkBad = false;
  let probes = 0;
  twin.pumps.transactionInfo = (d) => (linkBad ? { ok: false, code: 41 } : (++probes, (linkBad = probes >= 1), real(d)));
  const auth = await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "OURS", gradeId: "95" }).then(
    () => "ok",
    () => "failed",
  );
  expect(auth).toBe("failed"); // unresolved: the core now asks saleRecord until it can
  expect(twin.pumps.pumps.get(1)!.current).toBeUndefined(); // nothing of ours on the controller
  // The customer walks into the shop; the attendant's POS authorizes pump 1 (no Transaction: the
  // controller numbers it 1 = LastTransaction + 1 = the number the agent chose) and takes cash.
  expect(twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Volume", Dose: 30, Price: 18.99 })).toMatchObject({ ok: true, data: { Transaction: 1 } });
  twin.deliver(1, 25_000);
  twin.hangUp(1);
  linkBad = false; // the link is back: the core's checkSale retry runs
  const rec = await driver.saleRecord("OURS");
  // Must not be our sale: the attendant already charged it. Today: finished 25 L, 474.75 → committed to Glase.
  expect(rec).toBeUndefined();
  expect(events.events.filter(isEnd).filter((e) => e.transactionId === "OURS")).toEqual([]);
});

it("N1b: even with OrderedType/OrderedDose reported, an attendant preset of the same round amount (500.00) is indistinguishable and is settled as ours", async () => {
  const twin = await startTwin();
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let linkBad = false;
  twin.pumps.transactionInfo = (d) => (linkBad ? { ok: false, code: 41 } : ((linkBad = true), real(d)));
  await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "OURS2", gradeId: "95" }).catch(() => undefined);
  expect(twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 500, Price: 18.99 })).toMatchObject({ ok: true, data: { Transaction: 1 } });
  twin.deliver(1, 20_000);
  twin.hangUp(1);
  linkBad = false;
  expect(await driver.saleRecord("OURS2")).toBeUndefined(); // today: finished 20 L / 379.80
});

it("N2: a 'void' record stops (PumpStop) and closes another system's sale that the controller numbered like ours, and alarms it as 'charged to nobody'", async () => {
  const twin = await startTwin();
  const store = new MemoryDriverStore();
  // Agent killed after sending PumpAuthorize 1, which never arrived; on restart the read-back found
  // nothing: void (exactly what saleRecordOf writes). Watched for closeUnsettledAfterMs (2 min).
  await store.put("tx/V", { flowId: "V", point: 1, pump: 1, transaction: 1, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 50000, phase: "void", at: Date.now(), probedAt: Date.now() });
  // The attendant authorizes pump 1 for 20 litres (Volume preset; the controller numbers it 1).
  expect(twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Volume", Dose: 20, Price: 18.99 })).toMatchObject({ ok: true, data: { Transaction: 1 } });
  twin.liftNozzle(1, 1);
  twin.deliver(1, 3_000);
  const { driver, events } = await openDriver(twin, {}, store);
  cleanup(() => driver.close(), () => twin.close());
  const polls = driver.stats().polls;
  await waitUntil(() => driver.stats().polls >= polls + 10, 10_000, "ten polls");
  expect(received(twin, "PumpStop")).toEqual([]); // today: the attendant's customer is stopped at 3 L
  expect(events.events.filter(isFault).map((e) => e.code)).not.toContain("PTS_UNOWNED_DELIVERY");
});

it("N3: our own authorization that landed (answer lost) is read back with Price 0 before the nozzle is lifted: declared foreign, the pump stays authorized under a number nobody watches — free fuel, then a stuck pump", async () => {
  const twin = await startTwin();
  // A firmware that reports no price for a transaction that has not started filling (Price 0),
  // as the driver itself assumes for a fill's first status (e7ea934).
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => {
    const o = real(d);
    return o.ok && o.data.State === "WaitingNozzleUpForAuthorization" ? { ok: true, data: { ...o.data, Price: 0, Nozzle: 0 } } : o;
  };
  const { driver, events, store } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const auth = await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "MINE", gradeId: "95" }).then(
    () => "ok",
    (e: { code?: string }) => e.code,
  );
  // The controller holds our authorization 1 with our dose and price.
  expect(twin.pumps.pumps.get(1)!.current).toMatchObject({ transaction: 1, doseType: "Amount", dose: 50000 });
  expect(auth).toBe("ok"); // today: refused (39 duplicated) after a PTS_FOREIGN_TRANSACTION on our own sale
  expect(await store.get("tx/MINE")).toMatchObject({ transaction: 1 });
  twin.liftNozzle(1, 1);
  twin.deliver(1, 10_000);
  twin.hangUp(1);
  expect(await events.waitFor(isEnd, 5000)).toMatchObject({ transactionId: "MINE", milli: 10_000 });
});

it("N3b: after N3's false 'foreign', the customer fuels under our number: nobody is charged, no alarm names the fuel, and the pump is left at end of transaction — the next customer is refused", async () => {
  const twin = await startTwin();
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => {
    const o = real(d);
    return o.ok && o.data.State === "WaitingNozzleUpForAuthorization" ? { ok: true, data: { ...o.data, Price: 0, Nozzle: 0 } } : o;
  };
  const { driver, events } = await openDriver(twin, { closeUnsettledAfterMs: 1000 });
  cleanup(() => driver.close(), () => twin.close());
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "MINE", gradeId: "95" }).catch(() => undefined);
  twin.liftNozzle(1, 1);
  twin.deliver(1, 10_000);
  twin.hangUp(1);
  const polls = driver.stats().polls;
  await waitUntil(() => driver.stats().polls >= polls + 80, 15_000, "80 polls (> closeUnsettledAfterMs)");
  const told = events.events.some((e) => (e.type === "end" && e.transactionId === "MINE") || (e.type === "fault" && e.code === "PTS_UNOWNED_DELIVERY"));
  expect.soft(told).toBe(true); // today: 10 L (189.90) delivered, no end, no PTS_UNOWNED_DELIVERY
  expect.soft(twin.pumps.pumps.get(1)!.current?.state).not.toBe("EndOfTransaction"); // today: stuck, nobody closes it
  twin.liftNozzle(1, 1);
  const next = await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "NEXT", gradeId: "95" }).then(() => "ok", (e: { code?: string }) => e.code);
  expect(next).toBe("ok");
});

it("N4 (upgrade): an 'authorizing' record written before the fix (no probedAt) whose PumpAuthorize landed: after the upgrade our own fill is declared foreign and never charged", async () => {
  const twin = await startTwin();
  // The pre-fix driver recorded the flow, sent PumpAuthorize 1 (it landed), lost the answer; the
  // agent was then upgraded. The customer fuelled 10 L under our exact authorization.
  // Sent as the agent's controller user (a direct twin call is otherwise the attendant's POS, user 2).
  twin.pumps.requestUser = 1;
  expect(twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 500, Price: 18.99, Transaction: 1, AutoCloseTransaction: false })).toMatchObject({ ok: true });
  twin.pumps.requestUser = undefined;
  twin.liftNozzle(1, 1);
  twin.deliver(1, 10_000);
  twin.hangUp(1);
  const store = new MemoryDriverStore();
  await store.put("seq/1", 1);
  await store.put("tx/OLD", { flowId: "OLD", point: 1, pump: 1, transaction: 1, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 50000, phase: "authorizing", at: Date.now() });
  const { driver } = await openDriver(twin, {}, store);
  cleanup(() => driver.close(), () => twin.close());
  expect(await driver.saleRecord("OLD")).toMatchObject({ state: "finished", milli: 10_000, amountMinor: 18990 }); // today: undefined → flow cancels
});

it("N5: one controller grade the agent does not sell, priced with a third decimal (AdBlue 8.995), makes every pump unsellable — and no alarm says so", async () => {
  const twin = await startTwin({
    priceDigits: 3,
    grades: [
      { id: 1, name: "Blyfri 95", priceMinor: 18990 },
      { id: 2, name: "Diesel", priceMinor: 20490 },
      { id: 3, name: "AdBlue", priceMinor: 8995 },
    ],
  });
  const { driver, events } = await openDriver(twin); // SEK, priceDigits 2: grades 95 and D only
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  const auth = await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "G", gradeId: "95" }).then(
    () => "ok",
    (e: { code?: string }) => e.code,
  );
  const alarmed = events.events.some((e) => e.type === "fault");
  // Either the unused grade is ignored (sale goes on) or an alarm tells the technician.
  expect(auth === "ok" || alarmed).toBe(true); // today: DEVICE_PROTOCOL and no fault event at all
});

it("N6: the mismatch rule 'lower of the pump's Amount and volume × authorized price' charges 0 for a pump that reports Price 0 / Amount 0 (price not set, volume-only pump protocol): 10 L free, and the flow then cancels as 'nothing delivered'", async () => {
  const twin = await startTwin();
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "ZERO", gradeId: "95" });
  twin.pumps.pumps.get(1)!.current!.priceMinor = 0; // the pump runs without a price: Amount stays 0
  twin.deliver(1, 10_000);
  twin.hangUp(1);
  const end = await events.waitFor(isEnd);
  expect(end).toMatchObject({ transactionId: "ZERO", milli: 10_000 });
  expect(end.amountMinor).toBe(18990); // 10 L at the authorized 18.99; today: 0
});


it("N3c: priceMismatch charge-configured + a pump that sells at its own board price (the case 826cb8d tests) + a lost PumpAuthorize answer: our own authorization is read back as 'foreign' and abandoned — the customer fuels uncharged", async () => {
  const twin = await startTwin();
  twin.setPrice(1, 2500); // controller board price 25.00; the agent is configured at 18.99
  const real = twin.pumps.authorize.bind(twin.pumps);
  twin.pumps.authorize = (d) => real({ ...d, Price: undefined }); // the pump protocol ignores PumpAuthorize.Price
  const { driver, events } = await openDriver(twin, { priceMismatch: "charge-configured" });
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const auth = await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "OWNP", gradeId: "95" }).then(() => "ok", (e: { code?: string }) => e.code);
  twin.deliver(1, 10_000);
  twin.hangUp(1);
  const polls = driver.stats().polls;
  await waitUntil(() => driver.stats().polls >= polls + 20, 10_000, "20 polls");
  // With the answer, this sale is charged 189.90 and alarmed PTS_SALE_MISMATCH; without it:
  expect({ auth, end: events.events.filter(isEnd).map((e) => e.amountMinor) }).toEqual({ auth: "ok", end: [18990] }); // today: DEVICE_REJECTED, no end
});
