// Review 14r #2: Q3's fix counts a claimed sale's gap from the claim (still-ours.ts:36,
// provenSince = max(…, claimedAt)), so a controller reboot the agent SAW between the park and the
// claim no longer counts at all. S1's PumpAuthorize answer is lost on a fresh install (id not yet
// corroborated) → PTS_OWNERSHIP_UNKNOWN; our customer fills 4 L; the controller loses power (the
// agent sees refused connections) and forgets; the POS prepays under S1's number (LastTransaction
// + 1) and its cash customer starts filling. The technician, who checked the sale before the cut
// (or checks "transaction N" after it, which is now the POS's), claims. The claim's first read
// pins the POS's UserId 2 as S1's own (sale-record.ts:144) and the POS customer's 3 L are billed to
// our customer. On a9cb4a8 the gap since the probe kept the UserId unpinned and the next read lost
// the record (PTS_TRANSACTION_LOST): the POS's sale was not charged.
// Real driver over loopback HTTP to the virtual PTS-2 (counting controller that forgets on a power cut).
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();

it("r2: a reboot seen BEFORE the claim — the POS's sale under the claimed number is not billed to our customer", async () => {
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
  const { driver, events, store } = await openDriver(twin, { controllerUserId: 1, pollIntervalMs: 60_000 }); // fresh install
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  expect(await outcome(driver.authorize(sale("S1")))).toBe("PTS_OWNERSHIP_UNKNOWN");
  const s1 = (await store.get("tx/S1")) as TxRecord;
  twin.deliver(1, 4_000); // our customer, while parked (the technician sees 4 L under S1's number)
  await driver.pollOnce().catch(() => undefined);
  await twin.powerCut(); // the station's power blips; the controller forgets its records
  const refused = await driver.pollOnce().then(() => "answered", (e: { context?: { kind?: string } }) => e.context?.kind ?? "error");
  await twin.powerOn();
  await driver.pollOnce();
  twin.hangUp(1);
  // The POS prepays under S1's number; its cash customer starts.
  const pos = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99, Transaction: s1.transaction });
  expect(pos.ok && pos.data.Transaction).toBe(s1.transaction);
  twin.liftNozzle(1, 1);
  twin.deliver(1, 1_000);
  await driver.pollOnce().catch(() => undefined);
  await driver.resolveSale("S1", "ours"); // the technician's claim
  const first = await driver.saleRecord("S1").then((r) => `${r?.state} ${r?.milli}`, (e: { code?: string }) => e.code ?? "error");
  twin.deliver(1, 2_000);
  twin.hangUp(1);
  await waitUntil(() => twin.pumps.records.get(`1:${s1.transaction}`)?.state === "EndOfTransaction");
  await driver.pollOnce();
  await new Promise((r) => setTimeout(r, 2_100)); // past the read-back throttle
  await driver.pollOnce();
  const read = await driver.saleRecord("S1").then((r) => `${r?.state} ${r?.milli} ml ${r?.amountMinor}`, (e: { code?: string }) => e.code ?? "error");
  const after = (await store.get("tx/S1")) as TxRecord;
  const measured = {
    refused,
    storedGap: (await store.get("meta/unreachableAt")) as number,
    claimedAt: after.claimedAt,
    first,
    read,
    readBackUserId: after.readBackUserId,
    posUserId: twin.pumps.records.get(`1:${s1.transaction}`)?.userId,
    s1Ends: events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : "")),
    faults: faults(events.events),
  };
  console.log("r2 measured", JSON.stringify(measured));
  expect(measured.s1Ends).toEqual([]);
});
