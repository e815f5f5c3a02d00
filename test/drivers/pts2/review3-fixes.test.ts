// Regression tests for the fixes of the third review of issue 14 beyond its own repros
// (review3.test.ts): the agent's controller user id is evidence only while the controller agrees
// with it (PTS_USER_MISMATCH) and nobody else uses it (PTS_USER_SHARED); both states outlive a
// restart and end when the technician fixes the configuration. Real driver over loopback HTTP
// against the virtual PTS-2, plus the pure OwnUser state.
import { expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { OwnUser } from "../../../drivers/pts2/own-user.ts";
import { ownershipOf } from "../../../drivers/pts2/ownership.ts";
import type { TxRecord } from "../../../drivers/pts2/transactions.ts";
import { closeAfterEach, openDriver, startTwin } from "./helpers.ts";

const cleanup = closeAfterEach();
type Fault = Extract<DispenserEvent, { type: "fault" }>;
const isFault = (e: DispenserEvent): e is Fault => e.type === "fault";
const log = createLogger("test.pts2");

it("a wrong controllerUserId, then fixed by the technician: the mismatch alarm once, and with the right id a lost answer is decided on UserId again (authorized, settled once)", async () => {
  const twin = await startTwin({ userId: 7 });
  const first = await openDriver(twin, { controllerUserId: 1 });
  for (const id of ["A", "A2"]) {
    twin.liftNozzle(1, 1);
    await first.events.waitFor((e) => e.type === "call");
    await first.driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
    twin.deliver(1, 1_000);
    twin.hangUp(1);
    await first.events.waitFor((e) => e.type === "end" && e.transactionId === id);
    await first.driver.settled(id);
  }
  expect(first.events.events.filter(isFault).map((e) => e.code)).toEqual(["PTS_USER_MISMATCH"]); // once, not per sale
  await first.driver.close();
  const { driver, events } = await openDriver(twin, { controllerUserId: 7 }, first.store);
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "B", gradeId: "95" });
  twin.deliver(1, 20_000);
  twin.hangUp(1);
  await events.waitFor((e) => e.type === "end" && e.transactionId === "B");
  expect(await driver.saleRecord("B")).toMatchObject({ state: "finished", milli: 20_000, amountMinor: 37980 });
  expect(events.events.filter(isFault)).toEqual([]);
});

it("OwnUser: a mismatch or a shared user makes UserId no evidence (unknown, never ours or foreign); kept across a restart; dropped when the id changes", async () => {
  const store = new MemoryDriverStore();
  const u = new OwnUser(store, 1, log);
  await u.load();
  expect(u.distrust()).toBeUndefined();
  expect(await u.confirmed(1)).toBeUndefined();
  expect(await u.confirmed(7)).toEqual({ configured: 1, confirmed: 7 });
  expect(await u.confirmed(7)).toBeUndefined(); // news once
  expect(u.distrust()).toMatch(/PTS_USER_MISMATCH/);
  const again = new OwnUser(store, 1, log);
  await again.load();
  expect(again.distrust()).toMatch(/PTS_USER_MISMATCH/); // a restart does not forget it
  expect(await again.confirmed(1)).toBeUndefined(); // the controller agrees again (its users table fixed)
  expect(again.distrust()).toBeUndefined();

  // Shared: only a taken number under OUR id that our book never held.
  expect(await again.takenNumber(1, 5, 2, false)).toBe(false); // the POS's own user: an ordinary taken number
  expect(await again.takenNumber(1, 5, 1, true)).toBe(false); // our own earlier sale under that number
  expect(await again.takenNumber(1, 5, undefined, false)).toBe(false); // no UserId: no evidence
  expect(await again.takenNumber(1, 5, 1, false)).toBe(true);
  expect(await again.takenNumber(1, 6, 1, false)).toBe(false); // news once
  const r = { flowId: "F", point: 1, pump: 1, transaction: 9, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 50000, phase: "authorizing", at: 0 } as TxRecord;
  const info = { pump: 1, transaction: 9, state: "Finished", milli: 1000, amountMinor: 1899 } as const;
  expect(ownershipOf(r, { ...info, userId: 1 }, again).ours).toBe("unknown");
  expect(ownershipOf(r, { ...info, userId: 2 }, again).ours).toBe("unknown");
  const restarted = new OwnUser(store, 1, log);
  await restarted.load();
  expect(restarted.distrust()).toMatch(/PTS_USER_SHARED/);
  const newUser = new OwnUser(store, 3, log); // the technician gave the agent a user of its own
  await newUser.load();
  expect(newUser.distrust()).toBeUndefined();
  // A new id is a claim until the controller confirms an authorization carrying it (review 4, R4-1).
  expect(ownershipOf(r, { ...info, userId: 3 }, newUser).ours).toBe("unknown");
  await newUser.confirmed(3);
  expect(ownershipOf(r, { ...info, userId: 3 }, newUser).ours).toBe(true);
});
