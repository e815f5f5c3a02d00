// Regression test for the fix of review 6, R6-2 beyond its pure repro (review6-units.test.ts): a
// technician's claim alone no longer proves a sale ours to the stop gate and the tracker's
// progress — the read-back that applies the contradiction rule does. An honest claim must still
// work end to end: the read turns it `authorized`, its fill is reported and a stop reaches the pump.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import type { TxRecord } from "../../../drivers/pts2/transactions.ts";
import { closeAfterEach, openDriver, received, startTwin, waitUntil } from "./helpers.ts";

const cleanup = closeAfterEach();
const sale = (id: string) => ({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const failure = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");
const progressOf = (events: DispenserEvent[], id: string) => events.filter((e) => e.type === "progress" && e.transactionId === id);

it("R6-2 (driver): a claimed sale filling is proven by its read-back, then reported and stoppable — the claim alone is not evidence", async () => {
  const twin = await startTwin({ userId: 1 });
  const d = await openDriver(twin, { controllerUserId: 1 }); // fresh install: the id not corroborated yet
  cleanup(() => d.driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await d.events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  expect(await failure(d.driver.authorize(sale("B")))).toBe("PTS_OWNERSHIP_UNKNOWN");
  twin.deliver(1, 5_000);
  await d.driver.resolveSale("B", "ours");
  expect(((await d.store.get("tx/B")) as TxRecord).phase).toBe("authorizing"); // claimed, not yet read back
  expect(await d.driver.saleRecord("B")).toMatchObject({ state: "delivering", milli: 5_000 }); // the read applies ownership.ts
  expect(((await d.store.get("tx/B")) as TxRecord).phase).toBe("authorized");
  twin.deliver(1, 1_000);
  await waitUntil(() => progressOf(d.events.events, "B").some((e) => e.type === "progress" && e.milli === 6_000));
  await d.driver.stop(1);
  expect(received(twin, "PumpStop").length).toBeGreaterThan(0);
});
