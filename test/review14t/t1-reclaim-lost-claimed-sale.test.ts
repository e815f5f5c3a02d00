// Review 14t #1 (MEDIUM, S2 fix incomplete): 62b681a refuses `ctl resolve FLOW claim` on a lost record
// (technician-verdict.ts lostAt check) — but the check comes AFTER the idempotent "ours already" return
// for `claimedAt !== undefined`. A claimed sale that S4 then loses (its first read came after a gap)
// keeps claimedAt: the technician, seeing the flow still parked, claims again and is told OK, while
// nothing can be charged (every read answers lostError). The exact symptom S2 fixed, reached through
// the other order (claim first, loss second).
import { expect, it } from "vitest";
import type { TxRecord } from "../../drivers/pts2/transactions.ts";
import { closeAfterEach, openDriver, outcome, sale, startTwin } from "../drivers/pts2/helpers.ts";

const cleanup = closeAfterEach();

it("t1: a second claim of a claimed sale that S4 lost is refused like any claim of a lost sale", async () => {
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true });
  const { driver, store } = await openDriver(twin, { controllerUserId: 1, pollIntervalMs: 60_000 }); // fresh install
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  expect(await outcome(driver.authorize(sale("S1")))).toBe("PTS_OWNERSHIP_UNKNOWN");
  twin.deliver(1, 4_000);
  await twin.powerCut(); // a refused connection: the gap the agent sees
  await driver.pollOnce().catch(() => undefined);
  await twin.powerOn();
  await driver.resolveSale("S1", "ours"); // the technician's claim
  const first = await driver.saleRecord("S1").then((r) => `${r?.state}`, (e: { code?: string }) => e.code ?? "error");
  const lost = (await store.get("tx/S1")) as TxRecord;
  expect(lost.lostAt).toBeDefined(); // S4: lost, for a person
  // The technician tries the claim again: it must be refused (S2), not silently accepted.
  const again = await outcome(driver.resolveSale("S1", "ours"));
  console.log("t1 measured", JSON.stringify({ first, lostAt: lost.lostAt, claimedAt: lost.claimedAt, again }));
  expect(again).toBe("CONFLICT");
});
