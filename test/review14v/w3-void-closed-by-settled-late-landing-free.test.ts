// Review 14v (rv14) W3: an authorization resolved "void" is watched so that, should it land late,
// it is read, stopped, closed and alarmed PTS_UNOWNED_DELIVERY (pump-tracker.ts idle branch keeps a
// void record open for closeUnsettledAfterMs; docs/pts2.md "A number the agent gave up"). But the
// flow answers the void read by cancelling (nothing authorized), and the flow's finish calls
// driver.settled() (agent/daemon/compose.ts:230) — which closes a void record AT ONCE
// (driver.ts settled(): `phase === "refused" || "void"` → closedAt now). From then on the record is
// in no pump's open set: the late PumpAuthorize lands, the customer fills under OUR controller user,
// and the tracker sees "someone else's sale" — no verify, no stop, no alarm. Fuel up to the full
// dose (the reservation, already released by the cancel) is delivered and charged to nobody.
// Sequence: PumpAuthorize's answer lost and not applied yet (slow on the wire, as R12-3); its
// read-back cannot be made (connection cut) so authorize() fails with the record unresolved; the
// flow reads the sale ("not found" → void → undefined), cancels, finishes → settled(); the late
// request lands; the customer lifts and fills 20 L.
import { expect, it } from "vitest";
import { asAgent, closeAfterEach, faults, openDriver, outcome, received, sale, startTwin } from "../drivers/pts2/helpers.ts";

const cleanup = closeAfterEach();

async function scene(flowSettles: boolean) {
  const twin = await startTwin({ userId: 1 });
  const { driver, events } = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  const realAuth = twin.pumps.authorize.bind(twin.pumps);
  let held: Record<string, unknown> | undefined;
  twin.pumps.authorize = (d) => {
    if (twin.pumps.requestUser === 1 && held === undefined) {
      held = d; // still on the wire: it reaches the controller later
      twin.inject({ type: "drop-request", packetType: "PumpGetTransactionInformation" }); // the read-back after it is cut too
      return { ok: true, data: { Pump: 1, Transaction: d.Transaction } };
    }
    return realAuth(d);
  };
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const auth = await outcome(driver.authorize(sale("S1")));
  // The flow: authorized ok:false → checkSale → the sale read: "not found" → void → null → cancel.
  const rec = await driver.saleRecord("S1");
  if (flowSettles) await driver.settled("S1"); // the flow finished (canceled, nothing delivered)
  // The late PumpAuthorize lands; the customer lifts and fills.
  asAgent(twin, () => realAuth(held!));
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  let delivered = 0;
  for (let i = 0; i < 10; i++) {
    delivered += twin.deliver(1, 2_000);
    await driver.pollOnce().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 30));
  }
  return { auth, rec: rec ?? null, delivered, stops: received(twin, "PumpStop").length + received(twin, "PumpEmergencyStop").length, faults: faults(events.events).filter((c) => c === "PTS_UNOWNED_DELIVERY") };
}

it("w3 control: without the flow's settled() the void record's watch stops the late landing", async () => {
  const m = await scene(false);
  expect(m.auth).not.toBe("ok");
  expect(m.rec).toBeNull();
  expect(m.stops, JSON.stringify(m)).toBeGreaterThan(0);
  expect(m.delivered, JSON.stringify(m)).toBeLessThan(20_000);
});

it("w3: after the flow's cancel → settled(), a late-landing void authorization is still stopped and alarmed", async () => {
  const m = await scene(true);
  expect(m.auth).not.toBe("ok");
  expect(m.rec).toBeNull();
  // FAILS: {"delivered":20000,"stops":0,"faults":[]} — 20 L under our user, charged to nobody, no alarm.
  expect({ stopped: m.stops > 0, alarmed: m.faults.length > 0 }, JSON.stringify(m)).toEqual({ stopped: true, alarmed: true });
});
