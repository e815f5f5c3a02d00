// Review 14v V3: a sale whose end is journaled but not yet closed (its flow still settling) is
// matched to whatever the pump later does under its NUMBER. The T3/R13-3 doubt gates
// (still-ours.ts unprovenAfterGap / unconfirmedSince) both require `ended === undefined`, so once
// S1 has ended nothing makes the tracker read the sale first. Site power cut after S1 was stopped by
// its flow and ended (commit still out): the controller forgets its records, the POS prepays under
// the same number and its cash customer fills. The agent restarts (its stop clock is in memory:
// gone), polls, and pump-tracker.ts's filling branch takes S1's record for the fill: a PumpStop
// (stopRequestedAt set, "stop not yet effective") cuts the POS's customer, and the POS's litres are
// reported as S1's progress.
import { expect, it } from "vitest";
import type { TxRecord } from "../../drivers/pts2/transactions.ts";
import { closeAfterEach, openDriver, outcome, received, restartDriver, sale, startTwin } from "../drivers/pts2/helpers.ts";

const cleanup = closeAfterEach();

it("v3: after a reboot, an ended S1's stale record does not stop (nor report) the POS's fill under the reused number", async () => {
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
  const first = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => twin.close());
  await first.driver.pollOnce();
  twin.liftNozzle(1, 1);
  await first.driver.pollOnce();
  expect(await outcome(first.driver.authorize(sale("S1")))).toBe("ok");
  twin.deliver(1, 5_000);
  await first.driver.pollOnce();
  await first.driver.stop(1); // the flow's stop (lapse / customer's stop button)
  await first.driver.pollOnce().catch(() => undefined);
  expect((await first.driver.saleRecord("S1"))?.state).toBe("finished");
  const s1 = (await first.store.get("tx/S1")) as TxRecord;
  expect(s1.ended?.milli).toBe(5_000);
  expect(s1.stopRequestedAt).toBeDefined();
  // Site power cut before the commit is answered: agent and controller go down.
  await first.driver.close();
  await twin.powerCut();
  await twin.powerOn();
  twin.hangUp(1);
  const pos = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99, Transaction: s1.transaction });
  expect(pos.ok).toBe(true);
  twin.liftNozzle(1, 1);
  twin.deliver(1, 1_500);
  const stopsBefore = received(twin, "PumpStop").length + received(twin, "PumpEmergencyStop").length;
  const second = await restartDriver(twin, first, { pollIntervalMs: 60_000 });
  cleanup(() => second.driver.close());
  await second.driver.pollOnce().catch(() => undefined);
  await second.driver.pollOnce().catch(() => undefined);
  const progress = second.events.events.filter((e) => e.type === "progress" && e.transactionId === "S1");
  const posTx = twin.pumps.records.get(`1:${s1.transaction}`);
  const measured = { stops: received(twin, "PumpStop").length + received(twin, "PumpEmergencyStop").length - stopsBefore, progressForS1: progress.length, posUser: posTx?.userId, posState: posTx?.state };
  console.log("v3 measured", JSON.stringify(measured));
  // FAILS: the POS's customer is stopped by S1's record, and its fill is S1's progress.
  expect(measured.stops).toBe(0);
  expect(measured.progressForS1).toBe(0);
});
