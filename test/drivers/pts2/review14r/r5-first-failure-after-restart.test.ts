// Review 14r #5 (LOW): after load() the store's value is `written`, but `reachedAt` starts at
// -Infinity (reach-gap.ts:25, :36), so needsWrite() (reach-gap.ts:73-75) is false for every failure
// of a freshly started process until its first answer. A process started while the controller is
// down (within 30 s of the stored failure) keeps its first outage in memory only; a sale the
// previous process proved after the stored failure is then "proven after the gap" to the process
// that follows a kill. Docs: "the first failure of each outage written at once".
import { expect, it } from "vitest";
import { createLogger } from "../../../../base/log.ts";
import { MemoryDriverStore } from "../../../../drivers/driver-store.ts";
import { ReachGap } from "../../../../drivers/pts2/reach-gap.ts";

it("r5: the first failure seen by a restarted process, before any answer, is written at once", async () => {
  const store = new MemoryDriverStore();
  const log = createLogger("test.pts2");
  let now = 1_000_000;
  const p1 = new ReachGap(store, log, () => now);
  await p1.load();
  p1.unreachable(); // a blip at t0, written
  await p1.durable();
  now += 1_000;
  p1.reached(); // the controller answers; S1 is proven ours at t0 + 2 s
  const s1ProvenAt = now + 1_000;
  now += 5_000;
  await p1.durable(); // clean restart (an update)
  const p2 = new ReachGap(store, log, () => now);
  await p2.load();
  now += 4_000; // the new process starts while the controller is rebooting: refused
  p2.unreachable();
  await new Promise((r) => setTimeout(r, 10));
  const stored = (await store.get("meta/unreachableAt")) as number; // what a SIGKILL now leaves
  console.log("r5 measured", JSON.stringify({ inMemory: p2.unreachableAt, stored, s1ProvenAt }));
  expect(stored >= s1ProvenAt).toBe(true);
});
