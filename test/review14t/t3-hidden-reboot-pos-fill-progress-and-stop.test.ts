// Review 14t #3 (MEDIUM): fb5b9ce (Q5/Q4) reads a sale whose UserId was read back before its END is
// taken — but not before its PROGRESS is reported nor before the flow's stop goes out. After a reboot
// the agent did not see (a power cut while a poll was on the wire, as review14q q5), the POS prepays
// under S1's lost number: the poll reports the POS customer's running litres as S1's progress
// (pump-tracker.ts filling branch: only userCheckPending/unproven trigger a read), and S1's flow stop
// (driver.ts stop: only unprovenAfterGap reads first) sends PumpStop — pump-wide — cutting the POS's
// cash customer. Both are what the tracker's header promises never happens ("a sale some other system
// authorized on the pump is never reported as ours", stop-gate.ts "never" stop another's fill).
import { expect, it } from "vitest";
import type { TxRecord } from "../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin } from "../drivers/pts2/helpers.ts";

const cleanup = closeAfterEach();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("t3: after a reboot hidden in one lost answer, the POS's fill under S1's number is neither S1's progress nor stopped by S1", async () => {
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
  const { driver, events, store } = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
  const s1 = (await store.get("tx/S1")) as TxRecord;
  twin.deliver(1, 5_000);
  await driver.pollOnce();
  twin.inject({ type: "slow", ms: 300 });
  const inFlight = driver.pollOnce().then(() => "answered", (e: { context?: { kind?: string; indefinite?: boolean } }) => `${e.context?.kind} indefinite=${e.context?.indefinite}`);
  await pause(100);
  await twin.powerCut(); // mid-request: no definite failure, no gap
  twin.inject({ type: "slow", ms: 0 });
  await twin.powerOn();
  // The POS is quicker than the agent's next status poll (its prepay was waiting at the counter).
  twin.hangUp(1);
  const pos = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99, Transaction: s1.transaction });
  twin.liftNozzle(1, 1);
  twin.deliver(1, 1_500); // the POS's cash customer, filling
  const cut = await inFlight;
  expect(pos.ok && pos.data.Transaction).toBe(s1.transaction);
  await driver.pollOnce();
  const progress = events.events.filter((e) => e.type === "progress" && e.transactionId === "S1").map((e) => (e.type === "progress" ? e.milli : -1)).filter((m) => m === 1_500); // the POS's litres
  await driver.stop(1).catch(() => undefined); // S1's flow gives up (lapse, watch, technician stop)
  const posState = twin.pumps.records.get(`1:${s1.transaction}`)?.state;
  const measured = { cut, storedGap: await store.get("meta/unreachableAt"), posUserId: twin.pumps.records.get(`1:${s1.transaction}`)?.userId, progress, posState, faults: faults(events.events) };
  console.log("t3 measured", JSON.stringify(measured));
  expect({ progress, posState }).toEqual({ progress: [], posState: "Filling" });
});
