// Review 13c C5 (LOW): 313094c keeps the newest 8 addresses a charger connected from, but "newest"
// was first-connection order: a known pair's success was not a use. A charger on CGNAT/4G first
// seen on A, then on 7 other addresses (8 kept), back on A: the next new address J trimmed A — the one in
// use — and after a restart the charger on A was held by a neighbour's lock on A (401 while its
// queued StopTransactions waited). Now the order is last successful use.
// The throttle over the driver store (the WebSocket side is review13b throttle-known-lost-at-restart).
import { expect, it } from "vitest";
import { createLogger } from "../../base/log.ts";
import { MemoryDriverStore } from "../../contracts/driver-store.ts";
import { UpgradeThrottle } from "../../drivers/ocpp16/upgrade-throttle.ts";

class TrackedStore extends MemoryDriverStore {
  readonly writes: Promise<void>[] = [];
  override put(key: string, value: unknown): Promise<void> {
    const w = super.put(key, value);
    this.writes.push(w);
    return w;
  }
}

it("the address a charger uses now survives a restart after a new one, however long ago it was first seen", async () => {
  const store = new TrackedStore();
  const clock = { now: () => 1_000_000 };
  const before = new UpgradeThrottle(clock, createLogger("r13c"), store);
  await before.load();
  before.succeeded("CP-1", "10.0.0.1"); // A, first
  for (let i = 2; i <= 8; i++) before.succeeded("CP-1", `10.0.0.${i}`); // 7 other addresses: 8 kept, A the oldest
  before.succeeded("CP-1", "10.0.0.1"); // back on A
  before.succeeded("CP-1", "10.0.0.10"); // J, new
  await Promise.all(store.writes);
  // The agent restarts; a neighbour behind A fails five times and more (A is locked).
  const after = new UpgradeThrottle(clock, createLogger("r13c"), store);
  await after.load();
  for (let i = 0; i < 6; i++) after.failed(undefined, "10.0.0.1");
  expect(after.lockedForMs(undefined, "10.0.0.1")).toBeGreaterThan(0); // control: A is locked for strangers
  expect(after.lockedForMs("CP-1", "10.0.0.1")).toBe(0); // fails before: A was trimmed, CP-1 held
});
