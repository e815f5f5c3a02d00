// Review 14w X1: a given-up number's `liveVerdict: "ours"` is durable and trusted for the rest of the
// watch — never re-read, whatever happened to the controller since. A late landing verified ours
// while it waits; the controller reboots before the revoke (a controller that loses its records, as
// R13-3/V3 take seriously) and numbers from 1 again; the attendant's POS prepays pump 1 and gets the
// very number. The watch (still open, closeUnsettledAfterMs) takes the POS's customer's fill as our
// late landing: PumpStop on the POS's sale, PTS_UNOWNED_DELIVERY "charged to nobody" for a sale the
// POS customer pays at the till (the alarm's action: "collect from the customer") — charged twice.
// (Given-up records skip the unproven/unconfirmed re-read that LIVE ones get after a gap.)
import { expect, it } from "vitest";
import { MemoryDriverStore } from "../../drivers/driver-store.ts";
import type { TxRecord } from "../../drivers/pts2/transactions.ts";
import { SimClock } from "../../simulator/clock.ts";
import type { VirtualPts2 } from "../../simulator/devices/virtual-pts2.ts";
import { asAgent, closeAfterEach, faults, outcome, received, sale, startTwin } from "../drivers/pts2/helpers.ts";
import { openDriverWith } from "../drivers/pts2/review14q/q-helpers.ts";

const cleanup = closeAfterEach();
const WINDOW = 60_000;

/** W4's authorization: the first send's answer lost (the request still on the wire), the resend refused 39. */
function lostThenRefused(twin: VirtualPts2): { held: () => Record<string, unknown> } {
  const realAuth = twin.pumps.authorize.bind(twin.pumps);
  let held: Record<string, unknown> | undefined;
  let sends = 0;
  twin.pumps.authorize = (d) => {
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && held === undefined) {
      held = d;
      sends++;
      return { ok: true, data: { Pump: 1, Transaction: d.Transaction } };
    }
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && ++sends === 2) return { ok: false, code: 39 };
    return realAuth(d);
  };
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  return { held: () => ((twin.pumps.authorize = realAuth), held!) };
}

it("x1: a POS sale under a given-up number verified ours before a controller reboot is stopped and alarmed as our unowned delivery", async () => {
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true, numberFromOneAfterPowerCut: true });
  const clock = new SimClock();
  const store = new MemoryDriverStore();
  const { driver, events } = await openDriverWith(twin, clock, { pollIntervalMs: 60_000, closeUnsettledAfterMs: WINDOW, stopTimeoutMs: 1_000 }, store);
  cleanup(() => driver.close(), () => twin.close(), async () => clock.dispose());
  await driver.pollOnce();
  const late = lostThenRefused(twin);
  expect(await outcome(driver.authorize(sale("S1")))).not.toBe("ok");
  expect(await driver.saleRecord("S1")).toBeUndefined();
  await driver.settled("S1");
  const held = late.held();
  asAgent(twin, () => twin.pumps.authorize(held)); // the late landing, waiting for a nozzle
  await driver.pollOnce(); // idle on the given-up number: verified — ours
  expect(((await store.get("tx/S1")) as TxRecord).liveVerdict).toBe("ours");
  // The controller reboots before the revoke, losing its records, numbering from 1 again.
  await twin.powerCut();
  await twin.powerOn();
  // The attendant's POS prepays pump 1 (user 2): the controller gives it number 1 — the given-up one.
  const pos = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99 });
  expect(pos).toMatchObject({ ok: true, data: { Transaction: held.Transaction } });
  twin.liftNozzle(1, 1);
  twin.deliver(1, 3_000);
  const stopsBefore = received(twin, "PumpStop").length;
  for (let i = 0; i < 3; i++) await driver.pollOnce().catch(() => undefined);
  // FAILS: the POS customer's fill is stopped and alarmed PTS_UNOWNED_DELIVERY ("charged to nobody").
  expect({ stops: received(twin, "PumpStop").length - stopsBefore, unowned: faults(events.events).filter((c) => c === "PTS_UNOWNED_DELIVERY").length }).toEqual({ stops: 0, unowned: 0 });
});
