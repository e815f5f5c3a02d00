// Review 14r #4: since fb5b9ce one "not found" answer for a confirmed sale closes it as lost for good
// (sale-record.ts:97 loseRecord: lostAt + closedAt). Whatever made the controller say it once — a
// firmware still writing the transaction, a busy sales database, a reply to a request it mis-parsed —
// the sale that goes on under our number is no longer ours: its progress and end are never reported,
// every read answers lostError (sale-record.ts:65), `ctl resolve` refuses a closed record
// (technician-verdict.ts:28) and `retry` only reads lostError again, so our customer's fill cannot be
// charged through the agent at all; the pump stands at its end, which the agent never closes
// (pump-tracker.ts:203 stuckPast). On a9cb4a8 the same single answer raised PTS_TRANSACTION_LOST,
// and the next read found the sale and settled it at the controller's figures.
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();

// Open (MEDIUM residual, accepted): keeping a "not found" sale open is review14q q6 — the POS's next
// sale under its number billed to our customer on firmware without UserId. Of the two, losing our
// sale for a person to settle (PTS_TRANSACTION_LOST, the flow parks) is the safe side; no firmware
// is known to answer a one-off "not found" for a live transaction.
it.skip("(open, residual: review14q q6 is the worse side) r4: a single 'not found' for a live confirmed sale — the sale is still settled once the controller answers it again", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events, store } = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
  const s1 = (await store.get("tx/S1")) as TxRecord;
  twin.deliver(1, 2_000);
  await driver.pollOnce();
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let once = true;
  twin.pumps.transactionInfo = (d) => (once && d.Pump === 1 && d.Transaction === s1.transaction ? ((once = false), { ok: false, code: 22 }) : real(d)) as ReturnType<typeof real>;
  const blip = await driver.saleRecord("S1").then((r) => `${r?.state} ${r?.milli}`, (e: { code?: string }) => `error ${e.code}`);
  twin.deliver(1, 3_000); // our customer goes on filling under our number
  twin.hangUp(1);
  await waitUntil(() => twin.pumps.records.get(`1:${s1.transaction}`)?.state === "EndOfTransaction");
  await driver.pollOnce();
  await driver.pollOnce();
  const read = await driver.saleRecord("S1").then((r) => `${r?.state} ${r?.milli} ml ${r?.amountMinor}`, (e: { code?: string }) => `error ${e.code}`);
  const after = (await store.get("tx/S1")) as TxRecord;
  const measured = {
    blip,
    read,
    lostAt: after.lostAt !== undefined,
    closedAt: after.closedAt !== undefined,
    pumpState: twin.pumps.pumps.get(1)?.current?.state,
    s1Ends: events.events.filter((e) => e.type === "end" && e.transactionId === "S1").map((e) => (e.type === "end" ? `${e.milli} ml ${e.amountMinor}` : "")),
    faults: faults(events.events),
  };
  console.log("r4 measured", JSON.stringify(measured));
  expect(read).toBe("finished 5000 ml 9495");
});
