// Review 14v (rv14) W4 (W3's root, without the flow): an authorization whose answer was lost and
// whose resend is refused (39 duplicated / 41 / 42) is read back, the pump's status is read, and —
// nothing found — the record is REFUSED by authorize.ts finish(), which writes `closedAt` in the
// same write. pump-tracker.ts watches a resolved-absent number ("void" or "refused") "for a while in
// case it shows up after all" (closeUnsettledAfterMs; docs/pts2.md "A number the agent gave up …
// is read back first … stopped, closed and alarmed PTS_UNOWNED_DELIVERY") — but only OPEN records
// reach the tracker, so a refused one is never watched. R12-3 covered a late first send that lands
// before the last read-back; one that lands a moment after it authorizes the pump under our
// controller user with no record open: the customer fills the whole dose, unstopped, unalarmed,
// while the flow cancels (authorize failed → sale read: refused → null → cancel).
import { expect, it } from "vitest";
import type { TxRecord } from "../../drivers/pts2/transactions.ts";
import { asAgent, closeAfterEach, faults, openDriver, outcome, received, sale, startTwin } from "../drivers/pts2/helpers.ts";

const cleanup = closeAfterEach();

it("w4: a lost-answer authorization refused after its read-backs is still watched, and stopped and alarmed when it lands late", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events, store } = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  const realAuth = twin.pumps.authorize.bind(twin.pumps);
  let held: Record<string, unknown> | undefined;
  let sends = 0;
  twin.pumps.authorize = (d) => {
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && held === undefined) {
      held = d; // still on the wire (its answer is dropped below)
      sends++;
      return { ok: true, data: { Pump: 1, Transaction: d.Transaction } };
    }
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && ++sends === 2) return { ok: false, code: 39 }; // a firmware that has seen the first request's header
    return realAuth(d);
  };
  await driver.pollOnce();
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const auth = await outcome(driver.authorize(sale("S1", 1)));
  const s1 = (await store.get("tx/S1")) as TxRecord;
  const rec = await driver.saleRecord("S1"); // the flow: authorize failed → the sale read → null → cancel
  // The first send lands now, a moment after the last read-back; the customer lifts and fills.
  asAgent(twin, () => realAuth(held!));
  twin.liftNozzle(1, 1);
  let delivered = 0;
  for (let i = 0; i < 10; i++) {
    await driver.pollOnce().catch(() => undefined);
    delivered += twin.deliver(1, 2_000);
    await new Promise((r) => setTimeout(r, 30));
  }
  const m = { auth, phase: s1.phase, closed: s1.closedAt !== undefined, rec: rec ?? null, delivered, userId: twin.pumps.records.get(`1:${String(held!.Transaction)}`)?.userId, stops: received(twin, "PumpStop").length + received(twin, "PumpEmergencyStop").length, faults: faults(events.events) };
  // FAILS: {"phase":"refused","closed":true,"delivered":20000,"userId":1,"stops":0,"faults":[]} —
  // 20 L under the agent's own user after a refusal, charged to nobody, no alarm.
  expect({ stopped: m.stops > 0, alarmed: m.faults.includes("PTS_UNOWNED_DELIVERY") }, JSON.stringify(m)).toEqual({ stopped: true, alarmed: true });
});
