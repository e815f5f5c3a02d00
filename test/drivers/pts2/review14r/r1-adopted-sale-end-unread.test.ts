// Review 14r #1: Q5/Q4's "a sale whose UserId was read back is read before its end" only looks at
// `readBackUserId` (pump-tracker.ts:224), which only the user check after a CONFIRMED answer sets
// (user-check.ts:61). A sale whose PumpAuthorize answer was lost and that the read-back adopted
// ("there": our trusted UserId read back, authorize.ts:155 finish) has its UserId read back too —
// but never pinned. The same reboot inside one lost answer as review14q/q5 (no definite failure,
// so no gap) then bills the POS's 3 L under S1's lost number as S1's end, unread.
// Real driver over loopback HTTP to the virtual PTS-2 (counting controller that forgets on a power cut).
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const lostAnswer of [true, false]) {
  it(`r1 ${lostAnswer ? "adopted after a lost PumpAuthorize answer" : "(control) confirmed"}: reboot inside a lost poll answer — the POS's 3 L under S1's number is not S1's end`, async () => {
    const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
    const { driver, events, store } = await openDriver(twin, { pollIntervalMs: 60_000 });
    cleanup(() => driver.close(), () => twin.close());
    await driver.pollOnce();
    twin.liftNozzle(1, 1);
    await driver.pollOnce();
    if (lostAnswer) twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
    expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
    const s1 = (await store.get("tx/S1")) as TxRecord;
    expect(s1.phase).toBe("authorized");
    twin.deliver(1, 5_000); // our customer's 5 L
    await driver.pollOnce();
    twin.inject({ type: "slow", ms: 300 });
    const inFlight = driver.pollOnce().then(() => "answered", (e: { context?: { kind?: string; indefinite?: boolean } }) => `${e.context?.kind} indefinite=${e.context?.indefinite}`);
    await pause(100);
    await twin.powerCut(); // mid-request: a reset, indefinite — no gap
    twin.inject({ type: "slow", ms: 0 });
    await twin.powerOn();
    const cut = await inFlight;
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
      adopted: lostAnswer,
      readBackUserId: ((await store.get("tx/S1")) as TxRecord).readBackUserId,
      posUserId: twin.pumps.records.get(`1:${s1.transaction}`)?.userId,
      s1Ends: events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : "")),
      faults: faults(events.events),
    };
    console.log("r1 measured", JSON.stringify(measured));
    expect(measured.s1Ends).toEqual([]);
  });
}
