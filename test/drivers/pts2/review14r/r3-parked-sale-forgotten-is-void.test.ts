// Review 14r #3 (same family as Q6, not introduced by fb5b9ce): a sale PARKED PTS_OWNERSHIP_UNKNOWN
// was parked because the controller DID hold a transaction under its number (ownership.ts needs an
// answer to say "unknown"). When a power cut then makes the controller forget it, the next read
// (sale-record.ts:81-92: phase `authorizing`, liveElsewhere skips parked/claimed records → "none")
// resolves it "void" — the branch meant for "an unanswered PumpAuthorize that never arrived" — and
// saleRecord answers undefined: the flow cancels the reservation as nothing delivered
// (agent/core/preliminary-pump.ts secured → cancel "not-authorized"). Our customer's 4 L, which the
// technician saw and claims, are given away, with no PTS_TRANSACTION_LOST (Q6's fix covers only
// confirmed records). Expected: lost, an error, an alarm — as a confirmed record is since fb5b9ce.
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin } from "../helpers.ts";

const cleanup = closeAfterEach();

for (const claimFirst of [false, true]) {
  it(`r3 parked sale forgotten by the controller${claimFirst ? " (claimed before the read)" : ""}: not answered "no sale" (the flow would cancel our customer's 4 L)`, async () => {
    const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
    const { driver, events, store } = await openDriver(twin, { controllerUserId: 1, pollIntervalMs: 60_000 }); // fresh install
    cleanup(() => driver.close(), () => twin.close());
    await driver.pollOnce();
    twin.liftNozzle(1, 1);
    await driver.pollOnce();
    twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
    expect(await outcome(driver.authorize(sale("S1")))).toBe("PTS_OWNERSHIP_UNKNOWN");
    twin.deliver(1, 4_000); // our customer
    twin.hangUp(1);
    await twin.powerCut();
    await driver.pollOnce().catch(() => undefined); // refused: the agent sees the gap
    await twin.powerOn();
    if (claimFirst) await driver.resolveSale("S1", "ours"); // the technician saw 4 L under S1's number before the cut
    const read = await driver.saleRecord("S1").then((r) => (r === undefined ? "undefined (no sale: the flow cancels)" : `${r.state} ${r.milli}`), (e: { code?: string }) => `error ${e.code}`);
    const after = (await store.get("tx/S1")) as TxRecord;
    const measured = { read, phase: after.phase, faults: faults(events.events) };
    console.log("r3 measured", JSON.stringify(measured));
    expect(read).not.toMatch(/^undefined/);
  });
}
