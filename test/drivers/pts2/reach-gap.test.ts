// The unreachable gap kept in the driver store (review 14 R14-3): written at the first failure of
// each outage, at most every 30 s within one, and loaded again by a restarted driver.
import { expect, it } from "vitest";
import { createLogger } from "../../../base/log.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { ReachGap } from "../../../drivers/pts2/reach-gap.ts";

class CountingStore extends MemoryDriverStore {
  puts = 0;
  override async put(key: string, value: unknown): Promise<void> {
    this.puts++;
    await super.put(key, value);
  }
}

it("writes the first failure of each outage at once, later ones of the same outage every 30 s, and a restart loads it", async () => {
  const store = new CountingStore();
  let now = 1_000_000;
  const log = createLogger("test.pts2");
  const gap = new ReachGap(store, log, () => now);
  await gap.load();
  expect(gap.since(0)).toBe(false);
  gap.unreachable();
  await gap.durable();
  expect(store.puts).toBe(1);
  for (let i = 0; i < 20; i++) {
    now += 1_000; // a poll a second, all failing
    gap.unreachable();
    await Promise.resolve();
  }
  expect(gap.unreachableAt).toBe(now); // decisions use the newest …
  expect(store.puts).toBe(1); // … the store has the first of the outage (all a sale proven before it needs)
  now += 11_000;
  gap.unreachable(); // 31 s after the write: written again
  await gap.durable();
  expect(store.puts).toBe(2);
  now += 1_000;
  gap.unreachable(); // same outage, within 30 s of the last write: not written by itself
  expect(store.puts).toBe(2);
  gap.reached(); // the controller answered: a new outage starts at the next failure
  now += 5_000;
  gap.unreachable();
  expect(store.puts).toBe(3);
  await gap.durable(); // (written already: no fourth write)
  expect(store.puts).toBe(3);
  const again = new ReachGap(store, log, () => now);
  await again.load();
  expect(again.unreachableAt).toBe(now);
  expect(again.since(now)).toBe(true);
  expect(again.since(now + 1)).toBe(false);
});

it("a store value that is no time is no gap, and says so", async () => {
  const store = new MemoryDriverStore();
  await store.put("meta/unreachableAt", "yesterday");
  const gap = new ReachGap(store, createLogger("test.pts2"), () => 5);
  await gap.load();
  expect(gap.unreachableAt).toBe(-Infinity);
});
