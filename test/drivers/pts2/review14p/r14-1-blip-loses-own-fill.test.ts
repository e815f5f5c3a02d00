// Review 14 of issue 14, R14-1: one refused connection mid-fill, on an ordinary controller that
// honours our numbers and never rebooted, loses our customer's own fill when the firmware's
// PumpTransactionInformation carries no UserId (optional in the vendor SDK; a firmware the driver
// otherwise supports: review2-fixes, PTS_OWNERSHIP_UNKNOWN). still-ours.ts takes the blip for "a
// reboot fits in", finds no UserId to prove the sale ours, and closes the record as lost
// (PTS_TRANSACTION_LOST, lostAt): the end is never the flow's, every read is an error, and no
// exit charges it (retry reads lostError again; claim is CONFLICT; mark-settled/cancel release the
// reservation). The expectation is the behaviour before 531d8eb: the end at the pump's figures.
// Real driver over loopback HTTP to the virtual PTS-2.
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "../helpers.ts";
import { refuseOneConnection, withoutUserId } from "./r14-blip-helpers.ts";

const cleanup = closeAfterEach();

for (const blip of [false, true]) {
  it(`R14-1 ${blip ? "one refused connection mid-fill" : "control, no blip"}: our customer's own 10 L on a controller without UserId is settled at the pump's figures`, async () => {
    const twin = await startTwin({ userId: 1 });
    withoutUserId(twin);
    const { driver, events, store } = await openDriver(twin); // id 1 corroborated (a station that has sold before)
    cleanup(() => driver.close(), () => twin.close());
    twin.liftNozzle(1, 1);
    await events.waitFor((e) => e.type === "call" && e.point === 1);
    expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
    twin.deliver(1, 5_000);
    await events.waitFor((e) => e.type === "progress" && e.transactionId === "S1");
    const refused = blip ? await refuseOneConnection(twin, () => driver.pollOnce()) : "none";
    twin.deliver(1, 5_000);
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
      read,
      s1Ends: events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : "")),
      lostAt: after.lostAt !== undefined,
      closedInBook: after.closedAt !== undefined,
      claim: await outcome(driver.resolveSale("S1", "ours")),
      faults: faults(events.events),
      pumpEnd: twin.pumps.records.get(`1:${s1.transaction}`)?.state,
    };
    console.log(`R14-1 measured (blip ${blip})`, JSON.stringify(measured));
    expect({ read: measured.read, s1Ends: measured.s1Ends, lostAt: measured.lostAt, faults: measured.faults }).toEqual({ read: "finished 10000 ml 18990", s1Ends: ["10000 ml 18990"], lostAt: false, faults: [] });
  });
}
