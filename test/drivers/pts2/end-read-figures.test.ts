// Review 14t, T2: the end of a sale whose UserId was read back comes from the transaction read. A
// read below the figures the poll's own end status showed under the same number is never settled
// silently: alarmed (PTS_SALE_MISMATCH), no end, the flow asks again.
import { expect, it } from "vitest";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin, waitUntil } from "./helpers.ts";

const cleanup = closeAfterEach();

it("an end read lower than the poll's end status is alarmed and not settled", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events } = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
  twin.deliver(1, 3_000);
  await driver.pollOnce();
  twin.hangUp(1);
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => {
    const o = real(d);
    if (!o.ok) return o;
    return { ok: true, data: { ...(o.data as Record<string, unknown>), Volume: 1, Amount: 0.01 } } as typeof o;
  };
  await driver.pollOnce();
  await waitUntil(() => faults(events.events).includes("PTS_SALE_MISMATCH"), 3000);
  expect(events.events.filter((e) => e.type === "end")).toEqual([]);
  await expect(driver.saleRecord("S1")).rejects.toMatchObject({ code: "DEVICE_PROTOCOL" });
  twin.pumps.transactionInfo = real; // the controller answers right again: the end is the poll's
  const rec = await driver.saleRecord("S1");
  expect(rec?.state).toBe("finished");
  expect(rec?.milli).toBe(3_000);
});
