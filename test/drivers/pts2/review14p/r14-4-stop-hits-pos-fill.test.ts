// Review 14 of issue 14, R14-4: "the other sale never stopped" holds for an IDLE pump only
// (pump-tracker.ts:133). On a FILLING pump the tracker asks for the read (pump-tracker.ts:177) but
// still runs the stop follow-up of a record whose stop the flow had asked for (pump-tracker.ts:191-197),
// and tx-follow-ups.ts performs it even though the read just closed the record as lost. So after a
// power cut lost S1 (its stop pending: the pump had ignored PumpStop), the POS's cash customer filling
// under S1's number is emergency-stopped (PTS_STOP_IGNORED), though the driver itself has just said
// "that sale is not charged to this flow and not touched".
// Real driver over loopback HTTP to the virtual PTS-2 (counting controller, its default).
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, received, sale, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();

it.skip("(open, review 14 R14-4 LOW) R14-4: after a power cut, the POS's fill under S1's lost number is not stopped by S1's pending stop", async () => {
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
  const { driver, events, store } = await openDriver(twin, { pollIntervalMs: 60_000, stopTimeoutMs: 100 });
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
  const s1 = (await store.get("tx/S1")) as TxRecord;
  twin.deliver(1, 2_000);
  await driver.pollOnce();
  twin.ignoreStop(1, true); // the pump does not act on PumpStop (it happens: PTS_STOP_IGNORED exists for it)
  await driver.stop(1);
  const stopAskedAt = Date.now();
  await twin.powerCut();
  await driver.pollOnce().catch(() => undefined); // the gap, seen
  await twin.powerOn();
  twin.ignoreStop(1, false);
  twin.hangUp(1);
  const pos = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99, Transaction: s1.transaction });
  expect(pos.ok && pos.data.Transaction).toBe(s1.transaction);
  twin.liftNozzle(1, 1);
  twin.deliver(1, 1_000); // the POS's cash customer is filling
  const before = received(twin, "PumpStop").length + received(twin, "PumpEmergencyStop").length;
  await waitUntil(() => Date.now() - stopAskedAt >= 150); // the condition under test: stopTimeoutMs has passed
  await driver.pollOnce();
  await driver.pollOnce();
  const measured = {
    stopsAtPos: received(twin, "PumpStop").length + received(twin, "PumpEmergencyStop").length - before,
    posState: twin.pumps.records.get(`1:${s1.transaction}`)?.state,
    lostAt: ((await store.get("tx/S1")) as TxRecord).lostAt !== undefined,
    faults: faults(events.events),
  };
  console.log("R14-4 measured", JSON.stringify(measured));
  expect({ stopsAtPos: measured.stopsAtPos, posState: measured.posState }).toEqual({ stopsAtPos: 0, posState: "Filling" });
});
