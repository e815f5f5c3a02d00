// A fill through the real PTS-2 driver against the virtual controller over loopback HTTP: the
// nozzle lift is the customer's call with the nozzle's grade, PumpAuthorize carries an Amount dose
// (the limit) at the configured price on the lifted nozzle under a recorded transaction number,
// progress and end carry the controller's figures, and PumpCloseTransaction frees the pump once
// the flow says settled.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../drivers/dispenser/contract.ts";
import { closeAfterEach, openDriver, received, startTwin } from "./helpers.ts";

const cleanup = closeAfterEach();
type End = Extract<DispenserEvent, { type: "end" }>;
const isEnd = (e: DispenserEvent): e is End => e.type === "end";

it("full fill: call with grade, authorize with an amount dose, progress, end with the controller's figures, close once settled", async () => {
  const twin = await startTwin();
  const { driver, events, store } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());

  twin.liftNozzle(1, 2); // diesel nozzle
  const call = await events.waitFor((e) => e.type === "call" && e.point === 1);
  expect(call).toMatchObject({ type: "call", point: 1, gradeId: "D" });

  await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "P1-flow-a", gradeId: "D" });
  const [auth] = received(twin, "PumpAuthorize");
  expect(auth).toMatchObject({ Pump: 1, Nozzle: 2, Type: "Amount", Dose: 500, Price: 20.49, AutoCloseTransaction: false });
  const tx = auth!.Transaction as number;
  expect(await store.get("tx/P1-flow-a")).toMatchObject({ pump: 1, transaction: tx, phase: "authorized" });

  twin.deliver(1, 10_000);
  await events.waitFor((e) => e.type === "progress" && e.transactionId === "P1-flow-a" && e.milli === 10_000);
  twin.deliver(1, 2_345);
  twin.hangUp(1);
  const end = await events.waitFor(isEnd);
  // 12.345 L × 20.49 = 252.949… → 252.95, computed independently of the driver.
  expect(end).toMatchObject({ point: 1, transactionId: "P1-flow-a", gradeId: "D", milli: 12_345, amountMinor: 25295, unitPriceMinor: 2049, reason: "nozzle-down" });
  expect(await driver.saleRecord("P1-flow-a")).toMatchObject({ state: "finished", milli: 12_345, amountMinor: 25295, limitMinor: 50000 });

  // The pump stays at end of transaction until the flow settled.
  expect(twin.pumps.pumps.get(1)!.current?.state).toBe("EndOfTransaction");
  await driver.settled("P1-flow-a");
  expect(received(twin, "PumpCloseTransaction")).toEqual([{ Pump: 1, Transaction: tx }]);
  expect(twin.pumps.pumps.get(1)!.current).toBeUndefined();
  expect(events.count(isEnd)).toBe(1);
  await driver.settled("P1-flow-a"); // idempotent
  expect(received(twin, "PumpCloseTransaction")).toHaveLength(1);
});

it("limit vs preset: the Amount dose stops the pump at the reserved limit (reason limit); a customer who stops earlier pays what was metered", async () => {
  const twin = await startTwin();
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());

  twin.liftNozzle(2, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 2);
  await driver.authorize({ point: 2, limitMinor: 10000, currency: "SEK", transactionId: "P2-limit", gradeId: "95" });
  twin.deliver(2, 1_000_000); // the customer keeps the trigger pressed
  const end = await events.waitFor(isEnd);
  // 100.00 SEK at 18.99: 5.266 L → 100.00 (5.267 L would be 100.02).
  expect(end).toMatchObject({ transactionId: "P2-limit", milli: 5_266, amountMinor: 10000, reason: "limit" });
  await driver.settled("P2-limit");

  // A nozzle still in hand after the sale is no new call; hung up and lifted again, it is.
  twin.hangUp(2);
  await events.waitFor((e) => e.type === "nozzle" && e.point === 2 && !e.up);
  twin.liftNozzle(2, 1);
  await events.waitFor(() => events.count((x) => x.type === "call" && x.point === 2) === 2);
  await driver.authorize({ point: 2, limitMinor: 10000, currency: "SEK", transactionId: "P2-short", gradeId: "95" });
  twin.deliver(2, 2_000);
  twin.hangUp(2);
  const short = await events.waitFor((e): e is End => isEnd(e) && e.transactionId === "P2-short");
  expect(short).toMatchObject({ milli: 2_000, amountMinor: 3798, reason: "nozzle-down" });
});

it("nozzle hung up with nothing delivered: the end carries zero; an authorization never lifted is revoked by stop (reason stopped)", async () => {
  const twin = await startTwin();
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());

  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  await driver.authorize({ point: 1, limitMinor: 20000, currency: "SEK", transactionId: "P1-nothing" });
  await events.waitFor((e) => e.type === "nozzle" && e.up); // already in hand
  twin.hangUp(1);
  expect(await events.waitFor(isEnd)).toMatchObject({ transactionId: "P1-nothing", milli: 0, amountMinor: 0, reason: "nozzle-down" });
  await driver.settled("P1-nothing");

  // Authorized for a customer who walked away: the flow stops it.
  await driver.authorize({ point: 2, limitMinor: 20000, currency: "SEK", transactionId: "P2-walked", gradeId: "D" });
  expect(received(twin, "PumpAuthorize").at(-1)).toMatchObject({ Pump: 2, Nozzle: 2 }); // the nozzle of the grade asked for
  await driver.stop(2);
  expect(await events.waitFor((e): e is End => isEnd(e) && e.transactionId === "P2-walked")).toMatchObject({ milli: 0, amountMinor: 0, reason: "stopped" });
  expect(await driver.saleRecord("P2-walked")).toMatchObject({ state: "finished", amountMinor: 0 });
});
