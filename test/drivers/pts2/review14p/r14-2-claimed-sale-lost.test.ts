// Review 14 of issue 14, R14-2: a sale the technician CLAIMED (PTS_OWNERSHIP_UNKNOWN → `ctl resolve
// FLOW claim`: "charged once at the controller's figures") is lost after one refused connection,
// on a firmware that DOES report UserId and an honouring controller that never rebooted.
// still-ours.ts excludes claimed records from the only proof it has for a record without
// `readBackUserId` (the trusted id it was sent as: `r.claimedAt === undefined`), and a claimed
// record never had a user check (never confirmed), so after any gap since its probe it is
// "unproven": PTS_TRANSACTION_LOST, closed — the technician's claim overruled, nothing charged.
// Real driver over loopback HTTP to the virtual PTS-2.
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "../helpers.ts";
import { refuseOneConnection } from "./r14-blip-helpers.ts";

const cleanup = closeAfterEach();

for (const blip of [false, true]) {
  it(`R14-2 ${blip ? "one refused connection after the claim" : "control, no blip"}: the claimed sale is charged at the controller's figures`, async () => {
    const twin = await startTwin({ userId: 1 });
    const { driver, events, store } = await openDriver(twin, { controllerUserId: 1 }); // a fresh install: id not yet corroborated
    cleanup(() => driver.close(), () => twin.close());
    twin.liftNozzle(1, 1);
    await events.waitFor((e) => e.type === "call" && e.point === 1);
    twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
    expect(await outcome(driver.authorize(sale("S1")))).toBe("PTS_OWNERSHIP_UNKNOWN");
    twin.deliver(1, 4_000); // the customer fills while the sale is parked
    await driver.resolveSale("S1", "ours"); // the technician: the agent's user, our customer
    const first = await driver.saleRecord("S1").then((r) => `${r?.state} ${r?.milli}`, (e: { code?: string }) => e.code ?? "error");
    const refused = blip ? await refuseOneConnection(twin, () => driver.pollOnce()) : "none";
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
      first,
      refused,
      read,
      s1Ends: events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : "")),
      lostAt: after.lostAt !== undefined,
      faults: faults(events.events),
    };
    console.log(`R14-2 measured (blip ${blip})`, JSON.stringify(measured));
    expect({ read: measured.read, s1Ends: measured.s1Ends, lostAt: measured.lostAt, lost: measured.faults.filter((c) => c === "PTS_TRANSACTION_LOST") }).toEqual({ read: "finished 8000 ml 15192", s1Ends: ["8000 ml 15192"], lostAt: false, lost: [] });
  });
}
