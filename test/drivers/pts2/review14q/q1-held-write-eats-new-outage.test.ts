// Review 14q #1: ReachGap's write throttle forgets a new outage when the controller answered while
// the first write of the previous outage was still in flight (drivers/pts2/reach-gap.ts:79, the
// `finally` of flush()). Sequence:
//   F1 refused (t0)  → flush(t0) starts, reachedSinceWrite := false; the journal write is slow
//   F2 refused (t0+) → same outage, not written (a write is in flight anyway)
//   the controller answers → reached(): reachedSinceWrite := true; S1 is read and proven (provenAt t1)
//   the t0 write ends → finally: at (F2) > written and reachedSinceWrite → flush(F2), which CLEARS
//                        reachedSinceWrite although the reach it records came after F2
//   power cut (t2 < F2 + 30 s) → unreachable(): reachedSinceWrite false, t2 − written < 30 s → not written
//   SIGKILL → the store says F2 < provenAt: the restarted agent sees no gap since S1 was proven, and
//   the poll reports the POS's 3 L under S1's lost number as S1's end (R14-3's harm, back).
// Real driver over loopback HTTP to the virtual PTS-2 (counting controller that forgets on a power cut).
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "../helpers.ts";
import { refuseOneConnection } from "../review14p/r14-blip-helpers.ts";
import { HeldGapStore, killedCopy } from "./q-helpers.ts";

const cleanup = closeAfterEach();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const slow of [false, true]) it(`q1 ${slow ? "the blip's gap write is slow" : "control, writes at once"}: a power cut after a reach is written (else a restarted agent bills the POS's fill to S1)`, async () => {
  const store = new HeldGapStore();
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
  const first = await openDriver(twin, { pollIntervalMs: 60_000 }, store);
  cleanup(() => first.driver.close(), () => twin.close());
  await first.driver.pollOnce();
  twin.liftNozzle(1, 1);
  await first.driver.pollOnce();
  expect(await outcome(first.driver.authorize(sale("S1")))).toBe("ok");
  const s1 = (await store.get("tx/S1")) as TxRecord;
  twin.deliver(1, 5_000);
  await first.driver.pollOnce();

  if (slow) store.hold(); // the journal is slow for a moment
  const f1 = await refuseOneConnection(twin, () => first.driver.pollOnce());
  await pause(5);
  const f2 = await refuseOneConnection(twin, () => first.driver.pollOnce());
  await pause(5);
  await first.driver.pollOnce(); // answered: a reach
  await first.driver.saleRecord("S1"); // S1 proven after that blip
  const provenAt = ((await store.get("tx/S1")) as TxRecord).provenAt;
  await pause(5);
  store.release();
  await pause(50);

  await twin.powerCut();
  const cut = await first.driver.pollOnce().then(() => "answered", () => "unreachable"); // the gap, seen
  await pause(200); // long enough for any write the driver decided to make
  const storedGap = await store.get("meta/unreachableAt");
  const killed = await killedCopy(store); // SIGKILL here

  await twin.powerOn();
  twin.hangUp(1);
  const pos = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99, Transaction: s1.transaction });
  expect(pos.ok && pos.data.Transaction).toBe(s1.transaction);
  twin.liftNozzle(1, 1);
  twin.deliver(1, 3_000); // the POS's cash customer
  twin.hangUp(1);
  await waitUntil(() => twin.pumps.records.get(`1:${s1.transaction}`)?.state === "EndOfTransaction");

  const again = await openDriver(twin, { pollIntervalMs: 60_000 }, killed);
  cleanup(() => again.driver.close());
  await again.driver.pollOnce();
  await again.driver.pollOnce();
  const measured = {
    slow,
    f1,
    f2,
    cut,
    provenAt,
    storedGap,
    gapWrites: store.gapWrites,
    s1Ends: again.events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : "")),
    faults: faults(again.events.events),
  };
  console.log("q1 measured", JSON.stringify(measured));
  expect(typeof storedGap === "number" && typeof provenAt === "number" && storedGap >= provenAt).toBe(true);
  expect(measured.s1Ends).toEqual([]);
});
