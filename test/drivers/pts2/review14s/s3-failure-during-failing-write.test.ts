// Review 14s #3 (LOW): reach-gap.ts:101-105 — "a failed write waits for the next failure". But a
// failure of a NEW outage (after a reach and a sale's proof) that arrives while the failing write is
// in flight is swallowed: flush() returns early (:83), and the failed write's finally skips the
// re-flush (:105). If that was the outage's last failure, it lives in memory only; a SIGKILL then
// leaves the stored gap before the sale's proof.
import { expect, it } from "vitest";
import { createLogger } from "../../../../base/log.ts";
import { MemoryDriverStore } from "../../../../drivers/driver-store.ts";
import { ReachGap } from "../../../../drivers/pts2/reach-gap.ts";

it("s3: a new outage's failure during a write that fails is written (at the latest at the write's end)", async () => {
  const inner = new MemoryDriverStore();
  let failNext = false;
  let release: () => void = () => undefined;
  const store = Object.create(inner) as MemoryDriverStore;
  store.put = async (k: string, v: unknown) => {
    if (failNext) {
      failNext = false;
      await new Promise<void>((r) => (release = r)); // SQLITE_BUSY after a busy timeout
      throw new Error("SQLITE_BUSY");
    }
    return inner.put(k, v);
  };
  const log = createLogger("test.pts2");
  let now = 1_000_000;
  const g = new ReachGap(store, log, () => now);
  await g.load();
  g.unreachable(); // outage 1, written
  await g.durable();
  now += 1_000;
  g.reached();
  now += 1_000;
  g.unreachable(); // outage 2, written
  await g.durable();
  now += 1_000;
  g.reached(); // controller back
  failNext = true;
  g.unreachable(); // outage 3: its write hangs, then fails
  now += 1_000;
  g.reached();
  const proven = now + 500; // S1 proven ours
  now += 1_000;
  g.unreachable(); // outage 4, single refused connection, while outage 3's write is still failing
  release();
  await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 20));
  const stored = (await inner.get("meta/unreachableAt")) as number; // what a SIGKILL leaves
  console.log("s3 measured", JSON.stringify({ inMemory: g.unreachableAt, stored, proven }));
  expect(stored >= proven).toBe(true);
});
