// Review 14s #2 (477d860 R3): a parked sale the controller forgets is now lost (loseRecord: lostAt,
// closedAt), but its phase stays `authorizing` with `ownershipUnknownAt`. technician-verdict.ts:402-419
// checks neither lostAt nor closedAt, so the technician who follows the PTS_OWNERSHIP_UNKNOWN alarm
// ("check the sale on the controller, then ctl resolve FLOW claim (ours: charged at the controller's
// figures)") gets a SUCCESS — and nothing is charged: the engine's retry reads lostError again, the
// flow parks, the reservation lapses and our customer's 4 L are free. A claim that cannot charge must
// be refused (CONFLICT naming PTS_TRANSACTION_LOST), as a closed confirmed record's is.
// Control: a parked sale the controller still knows — the claim is taken and charged.
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin } from "../helpers.ts";

const cleanup = closeAfterEach();

for (const forgotten of [true, false]) {
  it(`s2 ${forgotten ? "a parked sale lost (controller forgot it)" : "(control) a parked sale still known"}: ctl resolve claim either charges it or is refused — never a silent no-op`, async () => {
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
    if (forgotten) {
      await twin.powerCut();
      await twin.powerOn();
    }
    const first = await driver.saleRecord("S1").then((r) => (r === undefined ? "undefined" : `${r.state} ${r.milli}`), (e: { code?: string }) => `error ${e.code}`);
    const claim = await driver.resolveSale("S1", "ours").then(() => "accepted", (e: { code?: string }) => `refused ${e.code}`);
    const afterClaim = await driver.saleRecord("S1").then((r) => (r === undefined ? "undefined" : `${r.state} ${r.milli}`), (e: { code?: string; message?: string }) => `error ${e.code}`);
    const rec = (await store.get("tx/S1")) as TxRecord;
    const measured = { first, claim, afterClaim, lostAt: rec.lostAt !== undefined, closedAt: rec.closedAt !== undefined, claimedAt: rec.claimedAt !== undefined, faults: faults(events.events) };
    console.log("s2 measured", JSON.stringify(measured));
    // A claim the driver accepts must be one that charges our customer's fill.
    if (claim === "accepted") expect(afterClaim).toBe("finished 4000");
  });
}
