// Review 14s #5 (docs/pts2.md:527 broken): the doc still promises "a claimed sale's UserId is pinned at its
// first read without a gap since the claim" (fb5b9ce), which 477d860 reverted in code (still-ours.ts:255) —
// review14q/q3's blip case, skipped there, run here as the doc's own claim. Either the doc says Q3 is a
// residual (a gap before the claim loses the claimed sale, PTS_TRANSACTION_LOST) or the code keeps the promise.
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "../helpers.ts";
import { refuseOneConnection } from "../review14p/r14-blip-helpers.ts";

const cleanup = closeAfterEach();

for (const blip of [false, true]) {
  // Open (MEDIUM residual, accepted): counting the gap from the claim fixed this and billed the POS's
  // sale in review14r/r2 (a reboot seen before the claim); of the two, losing our sale for a person
  // to settle is the safe side — so with a gap before the claim the claimed sale is lost (parked).
  it.runIf(blip)(`q3 ${blip ? "(open, residual: review14r r2 is the worse side) one refused connection between the park and the claim" : "control, no blip"}: the claimed sale is charged at the controller's figures`, async () => {
    const twin = await startTwin({ userId: 1 });
    const { driver, events, store } = await openDriver(twin, { controllerUserId: 1 }); // a fresh install: id not yet corroborated
    cleanup(() => driver.close(), () => twin.close());
    twin.liftNozzle(1, 1);
    await events.waitFor((e) => e.type === "call" && e.point === 1);
    twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
    expect(await outcome(driver.authorize(sale("S1")))).toBe("PTS_OWNERSHIP_UNKNOWN");
    twin.deliver(1, 4_000); // the customer fills while the sale is parked
    const refused = blip ? await refuseOneConnection(twin, () => driver.pollOnce()) : "none"; // the flaky link, before the technician acts
    await driver.pollOnce();
    await driver.resolveSale("S1", "ours"); // the technician: the agent's user, our customer
    const first = await driver.saleRecord("S1").then((r) => `${r?.state} ${r?.milli}`, (e: { code?: string }) => e.code ?? "error");
    twin.deliver(1, 4_000);
    await driver.pollOnce();
    twin.hangUp(1);
    const s1 = (await store.get("tx/S1")) as TxRecord;
    await waitUntil(() => twin.pumps.records.get(`1:${s1.transaction}`)?.state === "EndOfTransaction");
    await driver.pollOnce();
    await driver.pollOnce();
    const read = await driver.saleRecord("S1").then((r) => `${r?.state} ${r?.milli} ml ${r?.amountMinor}`, (e: { code?: string }) => e.code ?? "error");
    const after = (await store.get("tx/S1")) as TxRecord;
    const measured = {
      refused,
      first,
      read,
      readBackUserId: after.readBackUserId,
      s1Ends: events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : "")),
      lostAt: after.lostAt !== undefined,
      faults: faults(events.events),
    };
    console.log(`q3 measured (blip ${blip})`, JSON.stringify(measured));
    expect({ read: measured.read, s1Ends: measured.s1Ends, lostAt: measured.lostAt, lost: measured.faults.filter((c) => c === "PTS_TRANSACTION_LOST") }).toEqual({ read: "finished 8000 ml 15192", s1Ends: ["8000 ml 15192"], lostAt: false, lost: [] });
  });
}
