// Review 14 of issue 14, R14-3: the gap a reboot fits in lives only in memory (driver.ts
// `unreachableAt`). The agent SAW the controller unreachable (a power cut on the controller alone)
// and was then killed/restarted before its next read of S1 (systemd watchdog, an OOM kill, an
// update). The restarted driver sees no gap, so the poll reports the POS's fill under S1's lost
// number as S1's end without reading it (pump-tracker.ts:221-223) — R13-3's harm back, although
// the durable `readBackUserId` (1) would contradict the POS's UserId (2) at any read.
// Not docs/pts2.md's limit "a reboot wholly inside an agent restart": here the agent saw the gap.
// Fixed: the gap is kept in the driver store (drivers/pts2/reach-gap.ts, `meta/unreachableAt`).
// Real driver over loopback HTTP to the virtual PTS-2 (counting controller, its default).
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, restartDriver, sale, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();

it("R14-3: gap seen, agent restarted before its next read — the POS's 3 L under S1's lost number is not S1's end", async () => {
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
  const first = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => twin.close());
  await first.driver.pollOnce();
  twin.liftNozzle(1, 1);
  await first.driver.pollOnce();
  expect(await outcome(first.driver.authorize(sale("S1")))).toBe("ok");
  const s1 = (await first.store.get("tx/S1")) as TxRecord;
  twin.deliver(1, 5_000);
  await first.driver.pollOnce();
  await twin.powerCut();
  const cut = await first.driver.pollOnce().then(() => "answered", () => "unreachable"); // the gap, seen
  // Written by itself, not at a clean close: a SIGKILL from here on still leaves it in the store.
  await waitUntil(async () => typeof (await first.store.get("meta/unreachableAt")) === "number");
  await twin.powerOn();
  twin.hangUp(1);
  const pos = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99, Transaction: s1.transaction });
  expect(pos.ok && pos.data.Transaction).toBe(s1.transaction);
  twin.liftNozzle(1, 1);
  twin.deliver(1, 3_000); // the POS's cash customer
  twin.hangUp(1);
  await waitUntil(() => twin.pumps.records.get(`1:${s1.transaction}`)?.state === "EndOfTransaction");
  const again = await restartDriver(twin, first, { pollIntervalMs: 60_000 }); // killed before it read S1 again
  cleanup(() => again.driver.close());
  await again.driver.pollOnce();
  await again.driver.pollOnce();
  const measured = {
    cut,
    readBackUserId: ((await again.store.get("tx/S1")) as TxRecord).readBackUserId,
    posUserId: twin.pumps.records.get(`1:${s1.transaction}`)?.userId,
    s1Ends: again.events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : "")),
    faults: faults(again.events.events),
  };
  console.log("R14-3 measured", JSON.stringify(measured));
  expect(measured.s1Ends).toEqual([]);
});
