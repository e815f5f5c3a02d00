// Review 14u U3 (HIGH): b044522's trade-off withholds the flow's PumpStop while the doubt read of a
// filling sale fails ("our own customer's fill is bounded by the dose PumpAuthorize set to the
// reserved limit"). The dose bounds the AMOUNT, not the TIME: the lapse stop exists because the
// reservation expires (commitReservationTimeout after the send). S1 fills; one poll answer is lost
// (doubt, no gap); from then on the controller answers statuses but every
// PumpGetTransactionInformation is busy (41). The flow's lapse stop (stopAt, two safety margins
// before the lapse) resolves without a packet, and every re-stop (stopping/checking-sale, guard's
// secure timer after the park) is withheld the same way while the nozzle is in hand: the customer
// fills on past the commit deadline and the lapse — then nothing can be committed on the
// reservation, and the whole fill is unpaid, though it was our own proven sale all along.
import { expect, it } from "vitest";
import { closeAfterEach, openDriver, outcome, received, sale, startTwin } from "../drivers/pts2/helpers.ts";

const cleanup = closeAfterEach();

it("u3: the flow's lapse stop of its own filling sale goes out although the doubt read keeps failing", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver } = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
  twin.deliver(1, 1_000);
  await driver.pollOnce();
  // From now on the controller answers statuses, not transaction reads.
  const realInfo = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => (d.Pump === 1 ? { ok: false, code: 41 } : realInfo(d)) as ReturnType<typeof realInfo>;
  twin.inject({ type: "drop-answer" }); // one poll answer lost: indefinite, no gap recorded
  twin.deliver(1, 1_000);
  await driver.pollOnce().catch(() => undefined);
  await driver.pollOnce();
  const before = received(twin, "PumpStop").length;
  // The flow's stop at stopAt, then its re-stops while it reads the sale and after it parks.
  for (let i = 0; i < 5; i++) {
    await driver.stop(1).catch(() => undefined);
    twin.deliver(1, 1_000);
    await driver.pollOnce().catch(() => undefined);
  }
  // FAILS: no PumpStop at all — the pump fills on past the lapse on our proven sale.
  expect(received(twin, "PumpStop").length).toBeGreaterThan(before);
});
