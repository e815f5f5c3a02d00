// Review 14s #1 (R1 left half-done by 477d860): readBack() and the authorizing sale read now pin
// `readBackUserId`, but liveElsewhere's adoption (live-elsewhere.ts:98, the R8-2 path: the answer to a
// renumbered PumpAuthorize lost, our authorization found live under the controller's own number) still
// writes only { transaction, phase: "authorized" } — no readBackUserId, though info.userId proved it.
// pump-tracker.ts:224 then takes its end unread. The same reboot inside one lost poll answer as
// review14r/r1 (no definite failure, so no gap), the controller forgets and its own counter gives the
// number out again: the POS's 3 L under our adopted number is billed as our sale's end.
// Control: the same run adopted by the plain read-back (our number honoured) — read, lost, nothing billed.
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();

for (const renumbering of [true, false]) {
  it(`s1 ${renumbering ? "adopted under the controller's own number (liveElsewhere)" : "(control) adopted by read-back under our number"}: a reboot the agent does not see — the POS's 3 L is not our sale's end`, async () => {
    const twin = await startTwin({ userId: 1, forgetOnPowerCut: true, ...(renumbering ? { renumberFrom: 41 } : {}) });
    const { driver, events, store } = await openDriver(twin, { pollIntervalMs: 60_000 });
    cleanup(() => driver.close(), () => twin.close());
    await driver.pollOnce();
    twin.liftNozzle(1, 1);
    await driver.pollOnce();
    twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
    expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
    const s1 = (await store.get("tx/S1")) as TxRecord;
    expect(s1.phase).toBe("authorized");
    twin.deliver(1, 5_000); // our customer's 5 L
    await driver.pollOnce();
    // A reboot the agent does not see (review14q q4/q5: inside one lost answer, or with the agent's
    // own box): here simply between two polls, no request on the wire — no failure, no gap.
    await twin.powerCut();
    if (renumbering) twin.pumps.renumberFrom = s1.transaction; // its own counter, lost with its records, starts again
    await twin.powerOn();
    const cut = "unseen";
    twin.hangUp(1);
    const pos = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99, Transaction: s1.transaction });
    expect(pos.ok && pos.data.Transaction).toBe(s1.transaction);
    twin.liftNozzle(1, 1);
    twin.deliver(1, 3_000); // the POS's cash customer
    twin.hangUp(1);
    await waitUntil(() => twin.pumps.records.get(`1:${s1.transaction}`)?.state === "EndOfTransaction");
    await driver.pollOnce();
    await driver.pollOnce();
    const measured = {
      cut,
      transaction: s1.transaction,
      readBackUserId: ((await store.get("tx/S1")) as TxRecord).readBackUserId,
      posUserId: twin.pumps.records.get(`1:${s1.transaction}`)?.userId,
      s1Ends: events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : "")),
      faults: faults(events.events),
    };
    console.log("s1 measured", JSON.stringify(measured));
    expect(measured.s1Ends).toEqual([]);
  });
}
