// Review 14w X2: the watch of a given-up number runs closeUnsettledAfterMs from the record's `at`
// (its creation, before the first send: pump-tracker.ts idle branch `ctx.now - r.at`), not from the
// moment it was given up. Whatever time the resolution took is taken off the watch: an authorization
// whose answer was lost and whose read-back could not be made (W3) is resolved "void" only when the
// flow's sale read gets through — here one window later (the link flapping; or the agent restarted and
// recovery read it) — and the first idle poll after that closes it at once. Its PumpAuthorize landing
// late (as W3/R12-3) then fills under our user unwatched: not stopped, not alarmed, charged to nobody.
import { expect, it } from "vitest";
import { MemoryDriverStore } from "../../drivers/driver-store.ts";
import type { TxRecord } from "../../drivers/pts2/transactions.ts";
import { SimClock } from "../../simulator/clock.ts";
import { asAgent, closeAfterEach, faults, outcome, received, sale, startTwin } from "../drivers/pts2/helpers.ts";
import { openDriverWith } from "../drivers/pts2/review14q/q-helpers.ts";

const cleanup = closeAfterEach();
const WINDOW = 5_000;

it("x2: a void resolved a window after the record was written is closed by the next idle poll — its late landing fills free", async () => {
  const twin = await startTwin({ userId: 1 });
  const clock = new SimClock();
  const store = new MemoryDriverStore();
  const { driver, events } = await openDriverWith(twin, clock, { pollIntervalMs: 60_000, closeUnsettledAfterMs: WINDOW, stopTimeoutMs: 1_000 }, store);
  cleanup(() => driver.close(), () => twin.close(), async () => clock.dispose());
  await driver.pollOnce();
  const realAuth = twin.pumps.authorize.bind(twin.pumps);
  let held: Record<string, unknown> | undefined;
  twin.pumps.authorize = (d) => {
    if (twin.pumps.requestUser === 1 && held === undefined) {
      held = d; // still on the wire
      twin.inject({ type: "drop-request", packetType: "PumpGetTransactionInformation" }); // its read-back cut too
      return { ok: true, data: { Pump: 1, Transaction: d.Transaction } };
    }
    return realAuth(d);
  };
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  expect(await outcome(driver.authorize(sale("S1")))).not.toBe("ok");
  expect(((await store.get("tx/S1")) as TxRecord).phase).toBe("authorizing");
  clock.advance(WINDOW); // the sale read gets through only now
  expect(await driver.saleRecord("S1")).toBeUndefined(); // "not found" → void; the flow cancels
  await driver.settled("S1");
  await driver.pollOnce(); // idle: the freshly given-up record is closed at once
  asAgent(twin, () => realAuth(held!)); // the late landing, a moment after the give-up
  twin.liftNozzle(1, 1);
  let delivered = 0;
  for (let i = 0; i < 5; i++) {
    delivered += twin.deliver(1, 2_000);
    await driver.pollOnce().catch(() => undefined);
  }
  const m = { closedBeforeLanding: ((await store.get("tx/S1")) as TxRecord).closedAt !== undefined, delivered, stops: received(twin, "PumpStop").length, unowned: faults(events.events).filter((c) => c === "PTS_UNOWNED_DELIVERY").length };
  // FAILS: {closedBeforeLanding: true, delivered: 10000, stops: 0, unowned: 0} — 10 L free, unalarmed.
  expect({ stopped: m.stops > 0, alarmed: m.unowned > 0 }, JSON.stringify(m)).toEqual({ stopped: true, alarmed: true });
});
