// Review 10 of issue 14, R10-5: live-elsewhere.ts judges the pump's live sale as "the record with
// another number" — ALL of the record's standing goes with it, a technician's claim too. A claim
// says "the sale under THIS number is ours"; ownershipOf() honours it unless the UserId provably
// contradicts (a trusted id only). So a claimed record whose number the controller no longer knows
// (its reboot lost the records, PTS_TRANSACTION_LOST) adopts whatever is live on the pump — here
// the attendant's prepaid POS sale — and the flow charges our customer for the POS customer's fuel.
// On main the record was voided (nothing charged). Failed on lead6 4ceacd7; the title states the fixed behaviour.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../../contracts/dispenser.ts";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { POS_USER_ID } from "../../../../simulator/devices/virtual-pts2-pumps.ts";
import { closeAfterEach, openDriver, sale, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();

it("fresh install, answer lost → parked; the technician claims it; the controller reboots and forgets; the POS authorizes the pump (its number 7): the claim does not pass to 7 — voided as on main, nothing charged, the controller not flagged", async () => {
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
  const { driver, store, events } = await openDriver(twin, { controllerUserId: 1 }); // not yet corroborated
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const parked = await driver.authorize(sale("CLAIMED")).then(() => "ok", (e: { context?: { code?: string } }) => e.context?.code);
  expect(parked).toBe("PTS_OWNERSHIP_UNKNOWN");
  await driver.resolveSale("CLAIMED", "ours"); // checked on the controller: ours
  // The controller loses power and forgets its transactions; the attendant's POS authorizes the
  // pump for its prepaid cash customer, numbering it itself (7).
  await twin.powerCut();
  twin.pumps.authorize({ Pump: 1, Nozzle: 0, Type: "Amount", Dose: 200, Price: 18.99, Transaction: 7 });
  await twin.powerOn();
  // The flow reads its sale again (the poll's read-back does the same).
  const rec = await driver.saleRecord("CLAIMED").then((r) => r, () => "error");
  twin.liftNozzle(1, 1);
  twin.deliver(1, 10_000);
  twin.hangUp(1);
  await waitUntil(async () => (await driver.saleRecord("CLAIMED").catch(() => undefined))?.state !== "authorized");
  const r = (await store.get("tx/CLAIMED")) as TxRecord;
  const ends = events.events.filter((e): e is Extract<DispenserEvent, { type: "end" }> => e.type === "end" && e.transactionId === "CLAIMED");
  expect(twin.pumps.pumps.get(1)!.current ?? twin.pumps.pumps.get(1)!.last).toMatchObject({ transaction: 7, userId: POS_USER_ID });
  // The POS's sale must never become our flow's sale.
  expect({ first: rec === undefined ? "none (voided, as on main)" : typeof rec === "object" && rec !== null ? rec.state : rec, transaction: r.transaction, charged: ends.map((e) => e.milli) }).toEqual({ first: expect.not.stringMatching(/^authorized$/), transaction: 1, charged: [] });
});
