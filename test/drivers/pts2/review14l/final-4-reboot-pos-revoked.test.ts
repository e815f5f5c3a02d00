// FINAL-4 (HIGH): sale-record.ts:77 (039d6c0) sends an AUTHORIZED record not found on a flagged
// controller into liveElsewhere, which judges whatever the pump holds NOW as that record's sale.
// After a controller power cut that lost S1's record (and, FINAL-3, flagged the controller), the
// pump's next sale is the attendant POS's prepay: on a fresh install (our controller user id not yet
// corroborated) nothing proves it either way, the controller is flagged, so live-elsewhere parks S1
// on the POS's number and revokes the POS's prepay (PumpStop) — live-elsewhere.ts's own header says it
// must never judge "whatever the pump holds next (after a controller reboot, the POS's sale)".
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { busyReadsAfterAuthorize, closeAfterEach, faults, openDriver, outcome, received, sale, startTwin } from "../helpers.ts";

const cleanup = closeAfterEach();

it("after a power cut lost our sale, the POS's prepay on that pump is not revoked nor taken as our sale", async () => {
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
  const { driver, events, store } = await openDriver(twin, { controllerUserId: undefined }); // fresh install
  cleanup(() => driver.close(), () => twin.close());
  // After our authorization of pump 1 is confirmed, its transaction reads are answered "busy" (41): S1's user check stays pending.
  const busy = busyReadsAfterAuthorize(twin, (d) => d.Pump === 1 && twin.pumps.requestUser === 1);
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 1);
  expect(await outcome(driver.authorize(sale("S1", 1)))).toBe("ok");
  expect(((await store.get("tx/S1")) as TxRecord).userCheckPending).toBe(true);
  await twin.powerCut();
  await twin.powerOn();
  busy.on = false;
  twin.liftNozzle(2, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 2);
  await outcome(driver.authorize(sale("S2", 2))); // runs S1's pending check (FINAL-3 flags here)
  // The attendant's POS prepays pump 1 (its own controller user, its own number).
  twin.hangUp(1);
  twin.pumps.pumps.get(1)!.nextTransaction = 50; // the controller numbers on from its own counter
  const pos = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99 });
  expect(pos.ok).toBe(true);
  const stopsBefore = received(twin, "PumpStop").length;
  const read = await driver.saleRecord("S1").then(() => "read", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");
  const s1 = (await store.get("tx/S1")) as TxRecord;
  const posTx = pos.ok ? (pos.data.Transaction as number) : -1;
  // On this code: S1 parked on the POS's number (PTS_OWNERSHIP_UNKNOWN), PumpStop sent, the POS's prepay ended.
  expect({ s1OnPosNumber: s1.transaction === posTx, posStops: received(twin, "PumpStop").length - stopsBefore, posState: twin.pumps.pumps.get(1)!.current?.state, read, faults: faults(events.events) })
    .toMatchObject({ s1OnPosNumber: false, posStops: 0, posState: "WaitingNozzleUpForAuthorization" });
});
