// Review 14q #5: a reboot that fits inside ONE lost answer is no gap. Only a definite failure (the
// request never reached the controller) counts (driver.ts onFailure: `!err.indefinite`); a power
// cut while a request is on the wire ends it as a reset / a timeout after writing — indefinite —
// and a controller back before the next connection attempt (an MCU-based PTS-2 with a brief power
// blip, or a reboot shorter than requestTimeoutMs + pollIntervalMs) leaves no definite failure at
// all. S1's record is gone on the controller, the POS prepays under its number, and the running
// agent (no restart) reports the POS customer's 3 L as S1's end — although S1's readBackUserId (1)
// contradicts the POS's UserId (2): the poll's end is reported without a read (pump-tracker.ts:221).
// Real driver over loopback HTTP to the virtual PTS-2 (counting controller that forgets on a power cut).
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("q5: power cut while a poll is on the wire, controller back at once — the POS's 3 L under S1's lost number is not S1's end", async () => {
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
  const { driver, events, store } = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
  const s1 = (await store.get("tx/S1")) as TxRecord;
  twin.deliver(1, 5_000);
  await driver.pollOnce();
  twin.inject({ type: "slow", ms: 300 });
  const inFlight = driver.pollOnce().then(() => "answered", (e: { context?: { kind?: string; indefinite?: boolean } }) => `${e.context?.kind} indefinite=${e.context?.indefinite}`);
  await pause(100);
  await twin.powerCut(); // mid-request
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
    storedGap: await store.get("meta/unreachableAt"),
    readBackUserId: ((await store.get("tx/S1")) as TxRecord).readBackUserId,
    posUserId: twin.pumps.records.get(`1:${s1.transaction}`)?.userId,
    s1Ends: events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : "")),
    faults: faults(events.events),
    order: events.events.filter((e) => e.type === "end" || e.type === "fault").map((e) => (e.type === "fault" ? e.code : `end ${e.type === "end" ? e.transactionId : ""}`)),
  };
  console.log("q5 measured", JSON.stringify(measured));
  expect(measured.s1Ends).toEqual([]);
});
