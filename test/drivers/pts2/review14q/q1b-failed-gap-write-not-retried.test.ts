// Review 14q #1b: a failed gap write is NOT "written again at the next failure" (the promise of the
// log line pts_gap_record_failed, reach-gap.ts:77) when the outage before it was written less than
// 30 s earlier: flush() cleared reachedSinceWrite before the write (reach-gap.ts:72), the failed
// write leaves `written` at the previous outage's time, so every later failure of this outage fails
// all three tests of unreachable() (reach-gap.ts:54) for up to 30 s. Sequence:
//   refused (t0) → written t0; the controller answers; S1 read and proven (provenAt t1 > t0)
//   power cut: refused (t2) → write fails once (SQLITE_BUSY); refused, refused, … → nothing written
//   SIGKILL → the store says t0 < provenAt: the restarted agent sees no gap since S1 was proven, and
//   the poll reports the POS's 3 L under S1's lost number as S1's end.
// Control: the same run with the write not failing.
// Real driver over loopback HTTP to the virtual PTS-2 (counting controller that forgets on a power cut).
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "../helpers.ts";
import { refuseOneConnection } from "../review14p/r14-blip-helpers.ts";
import { HeldGapStore, killedCopy } from "./q-helpers.ts";

const cleanup = closeAfterEach();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const fail of [false, true]) {
  it(`q1b ${fail ? "the power cut's first gap write fails once" : "control, writes succeed"}: the outage is in the store before a SIGKILL (the POS's 3 L is not S1's end)`, async () => {
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

    await refuseOneConnection(twin, () => first.driver.pollOnce()); // a blip, written
    await pause(5);
    await first.driver.pollOnce();
    await first.driver.saleRecord("S1"); // S1 proven after the blip
    const provenAt = ((await store.get("tx/S1")) as TxRecord).provenAt;
    await pause(5);

    if (fail) store.failNext();
    await twin.powerCut();
    const polls: string[] = [];
    for (let i = 0; i < 4; i++) {
      polls.push(await first.driver.pollOnce().then(() => "answered", () => "unreachable"));
      await pause(20);
    }
    await pause(200);
    const storedGap = await store.get("meta/unreachableAt");
    const killed = await killedCopy(store); // SIGKILL here, the controller still off

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
      fail,
      polls,
      provenAt,
      storedGap,
      gapWrites: store.gapWrites,
      s1Ends: again.events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : "")),
      faults: faults(again.events.events),
    };
    console.log("q1b measured", JSON.stringify(measured));
    expect(typeof storedGap === "number" && typeof provenAt === "number" && storedGap >= provenAt).toBe(true);
    expect(measured.s1Ends).toEqual([]);
  });
}
