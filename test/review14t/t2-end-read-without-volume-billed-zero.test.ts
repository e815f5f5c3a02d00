// Review 14t #2 (HIGH harm, hostile/odd controller input): since fb5b9ce (Q5/Q4) every end of a sale
// whose UserId was read back is taken from PumpGetTransactionInformation, not from the poll's
// PumpEndOfTransactionStatus. decodeTransactionInformation reads an absent (or null) Volume / Amount as 0
// (decode-config.ts:101-102, meant for a sale still waiting for its nozzle), and sale-record.ts's
// EndOfTransaction case bills those zeros: the poll saw 3 L at the end, the flow is told 0 ml / 0 —
// it cancels the invoice as nothing delivered, and no alarm says so. An EndOfTransaction/Finished
// answer without its figures is not a readable end; it must be an error (asked again), never 0.
import { expect, it } from "vitest";
import type { TxRecord } from "../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "../drivers/pts2/helpers.ts";

const cleanup = closeAfterEach();

it("t2: a transaction read at the end without Volume/Amount is not billed as 0 ml", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events, store } = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
  const s1 = (await store.get("tx/S1")) as TxRecord;
  expect(s1.readBackUserId).toBe(1);
  twin.deliver(1, 3_000);
  await driver.pollOnce();
  twin.hangUp(1);
  // The firmware's transaction answer omits the figures (null), the status still carries them.
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => {
    const o = real(d);
    if (!o.ok) return o;
    const { Volume: _v, Amount: _a, ...rest } = o.data as Record<string, unknown>;
    return { ok: true, data: { ...rest, Volume: null, Amount: null } } as typeof o;
  };
  await driver.pollOnce(); // the poll sees the end (3 L) and reads the sale before it is ours
  await waitUntil(() => events.events.some((e) => e.type === "end"), 3000).catch(() => undefined);
  const ends = events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : ""));
  console.log("t2 measured", JSON.stringify({ ends, faults: faults(events.events), status: twin.pumps.records.get(`1:${s1.transaction}`)?.state }));
  expect(ends).not.toContain("0 ml 0");
});
