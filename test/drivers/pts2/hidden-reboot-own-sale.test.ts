// Review 14t, T3, the other side: after a request that may have met a reboot (a lost answer, no gap
// recorded) our own sale is read once; its UserId confirmed, its fill is its progress again and
// the flow's stop goes out — the doubt costs one read, not the sale.
import { expect, it } from "vitest";
import { closeAfterEach, openDriver, outcome, received, sale, startTwin } from "./helpers.ts";

const cleanup = closeAfterEach();

it("our sale read back after an indefinite failure is reported and stopped as ours", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events } = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
  twin.deliver(1, 1_000);
  await driver.pollOnce();
  const reads = () => received(twin, "PumpGetTransactionInformation").length;
  let readsAtFailure = -1;
  let readsAtProgress = -1;
  driver.onEvent((e) => {
    if (e.type === "link" && !e.up) readsAtFailure = reads();
    if (e.type === "progress" && e.milli === 2_000) readsAtProgress = reads();
  });
  twin.inject({ type: "drop-answer" }); // the poll's answer lost: indefinite, no gap recorded
  twin.deliver(1, 1_000);
  await driver.pollOnce().catch(() => undefined);
  await driver.pollOnce(); // doubted: read first, progress only once the read confirmed the UserId
  await driver.pollOnce();
  expect(readsAtFailure).toBeGreaterThan(0);
  expect(readsAtProgress).toBeGreaterThan(readsAtFailure);
  const before = received(twin, "PumpStop").length;
  await driver.stop(1);
  expect(received(twin, "PumpStop").length).toBeGreaterThan(before);
});
