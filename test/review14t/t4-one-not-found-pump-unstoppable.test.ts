// Review 14t #4 (MEDIUM, beyond the accepted r4 residual): one "not found" for a live confirmed sale
// closes it as lost (fb5b9ce Q6, r4 accepted: our sale is then a person's to settle). But closed, the
// record is out of openToStop (driver.ts) and settled() returns early for a closed record: the flow's
// stop, its securing re-stops and a technician's cancel all send nothing. If the "not found" was a
// glitch (r4's premise) our authorization stays live on the pump — our customer, or the next driver,
// fuels on to the 500 SEK dose with nobody able to stop it through the agent, and the end is charged
// to nobody. PTS_TRANSACTION_LOST says "not stopped" — right for the POS's sale under a reused number,
// wrong for a sale the controller merely answered "not found" for once while our authorization waits.
import { expect, it } from "vitest";
import type { TxRecord } from "../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, received, sale, startTwin } from "../drivers/pts2/helpers.ts";

const cleanup = closeAfterEach();

it("t4: after one 'not found' of our live sale, the flow's stop still stops the pump", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events, store } = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
  const s1 = (await store.get("tx/S1")) as TxRecord;
  twin.deliver(1, 1_000);
  await driver.pollOnce();
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let once = true;
  twin.pumps.transactionInfo = (d) => (once && d.Pump === 1 && d.Transaction === s1.transaction ? ((once = false), { ok: false, code: 22 }) : real(d)) as ReturnType<typeof real>;
  const blip = await driver.saleRecord("S1").then((r) => `${r?.state}`, (e: { code?: string }) => `error ${e.code}`);
  const stopsBefore = received(twin, "PumpStop").length;
  await driver.stop(1); // the flow gives up (fault, lapse, technician stop)
  await driver.settled("S1"); // a technician cancels the flow
  twin.deliver(1, 20_000); // the pump runs on
  const measured = {
    blip,
    stopsSent: received(twin, "PumpStop").length - stopsBefore,
    pump: twin.pumps.pumps.get(1)?.current?.state,
    milli: twin.pumps.records.get(`1:${s1.transaction}`)?.milli,
    faults: faults(events.events),
  };
  console.log("t4 measured", JSON.stringify(measured));
  expect(measured.stopsSent).toBeGreaterThan(0);
});
