// Review 9 fixes beyond the reviewer's repros: the doubt R9-1 records survives a restart, and on a
// station that LEARNED its id (no controllerUserId) the contradicting id is not learned from the
// sales that follow. Real driver over loopback HTTP to the virtual PTS-2, one store across restarts.
import { expect, it } from "vitest";
import { MemoryDriverStore } from "../../../../contracts/driver-store.ts";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { agentLoginIsNowUser, closeAfterEach, faults, openDriver, outcome, posTakesProbedNumber, restartDriver, sale, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();

it("R9-1 across a restart: the contradicted id stays in doubt, so the restarted agent parks a lost answer instead of declaring it foreign", async () => {
  const twin = await startTwin({ userId: 1 });
  cleanup(() => twin.close());
  const first = await openDriver(twin); // id 1 corroborated
  agentLoginIsNowUser(twin, 3);
  twin.liftNozzle(2, 1);
  await first.events.waitFor((e) => e.type === "call" && e.point === 2);
  expect(await outcome(first.driver.authorize(sale("S1", 2)))).toBe("PTS_OWNERSHIP_UNKNOWN");

  const again = await restartDriver(twin, first);
  cleanup(() => again.driver.close());
  twin.liftNozzle(1, 1);
  await again.events.waitFor((e) => e.type === "call" && e.point === 1);
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const auth = await outcome(again.driver.authorize(sale("S2", 1)));
  const rec = (await again.store.get("tx/S2")) as TxRecord;
  expect({ auth, phase: rec.phase, foreign: rec.foreign === true, faults: faults(again.events.events).filter((c) => c === "PTS_FOREIGN_TRANSACTION") })
    .toEqual({ auth: "PTS_OWNERSHIP_UNKNOWN", phase: "authorizing", foreign: false, faults: [] });
});

it("R9-1, a learned id: the sales confirmed after the contradiction under the other id are parked, and that id is not learned (a lost answer after them still parks)", async () => {
  const twin = await startTwin({ userId: 1 });
  cleanup(() => twin.close());
  const store = new MemoryDriverStore();
  await store.put("meta/userId", 1); // learned from earlier sales, corroborated
  await store.put("meta/userVerified", { userId: 1 });
  const { driver, events } = await openDriver(twin, { controllerUserId: undefined }, store);
  cleanup(() => driver.close());
  agentLoginIsNowUser(twin, 3);
  const results: string[] = [];
  for (const [id, point] of [["S1", 2], ["S2", 1]] as const) {
    twin.liftNozzle(point, 1);
    await events.waitFor((e) => e.type === "call" && e.point === point);
    results.push(await outcome(driver.authorize(sale(id, point))));
  }
  expect({ results, learned: await store.get("meta/userId") }).toEqual({ results: ["PTS_OWNERSHIP_UNKNOWN", "PTS_OWNERSHIP_UNKNOWN"], learned: 1 });
  // Pump 1 cleared (as R8-1c: the flow stops, the attendant closes the end by hand); then S3's answer is lost.
  await driver.stop(1).catch(() => undefined);
  await driver.settled("S2").catch(() => undefined);
  twin.deliver(1, 1_000);
  twin.hangUp(1);
  twin.pumps.closeTransaction({ Pump: 1, Transaction: twin.pumps.pumps.get(1)!.current!.transaction });
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 1);
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  expect(await outcome(driver.authorize(sale("S3", 1)))).toBe("PTS_OWNERSHIP_UNKNOWN");
  expect(faults(events.events)).not.toContain("PTS_FOREIGN_TRANSACTION");
});

it("R9-1, the doubt clears: after the POS's sale under our just-probed number (parked), a sale sent afterwards and confirmed under our id ends the doubt — the next lost answer is decided ours again, not parked", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events } = await openDriver(twin); // id 1 corroborated
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 1);
  // The POS (user 2) takes the number our probe found free, before our send (confirmed-foreign.test.ts).
  const undoPos = posTakesProbedNumber(twin);
  expect(await outcome(driver.authorize(sale("POS", 1)))).toBe("PTS_OWNERSHIP_UNKNOWN");
  undoPos();
  // S2 on pump 2: sent while in doubt, confirmed, read back as user 1 — the doubt ends.
  twin.liftNozzle(2, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 2);
  expect(await outcome(driver.authorize(sale("S2", 2)))).toBe("ok");
  twin.deliver(2, 1_000);
  twin.hangUp(2);
  await waitUntil(() => twin.pumps.pumps.get(2)!.current?.state === "EndOfTransaction");
  await driver.saleRecord("S2");
  await driver.settled("S2");
  await waitUntil(() => twin.pumps.pumps.get(2)!.current === undefined);
  await events.waitFor((e) => e.type === "nozzle" && e.point === 2 && !e.up);
  // S3 on pump 2, its answer lost: read back under user 1, trusted again → ours.
  twin.liftNozzle(2, 1);
  await events.waitFor(() => events.count((e) => e.type === "call" && e.point === 2) === 2);
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  expect(await outcome(driver.authorize(sale("S3", 2)))).toBe("ok");
  expect(faults(events.events).filter((c) => c === "PTS_FOREIGN_TRANSACTION")).toEqual([]);
});
