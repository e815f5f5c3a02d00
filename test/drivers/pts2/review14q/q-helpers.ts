// Review 14q helpers: a store whose `meta/unreachableAt` writes can be held (a slow journal: an SD
// card's fsync, a busy SQLite), and a SIGKILL modelled as a copy of what the store holds at that
// instant (a clean close() would run ReachGap.durable(), which a killed agent never does).
import { MemoryDriverStore, type DriverStore } from "../../../../drivers/driver-store.ts";

export class HeldGapStore extends MemoryDriverStore {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  readonly gapWrites: unknown[] = [];
  private failing = 0;
  /** The next `n` gap writes fail (a journal briefly refusing writes: SQLITE_BUSY, a full disk freed a moment later). */
  failNext(n = 1): void {
    this.failing = n;
  }
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  override async put(key: string, value: unknown): Promise<void> {
    if (key === "meta/unreachableAt") {
      this.gapWrites.push(value);
      if (this.gate) await this.gate;
      if (this.failing > 0) {
        this.failing--;
        throw new Error("store write failed (SQLITE_BUSY)");
      }
    }
    await super.put(key, value);
  }
}

/** What a SIGKILL leaves: the store's durable content at this instant, in a new store. */
export async function killedCopy(store: DriverStore): Promise<MemoryDriverStore> {
  const copy = new MemoryDriverStore();
  for (const { key, value } of await store.list("")) await copy.put(key, value);
  return copy;
}

import type { Scheduler } from "../../../../base/clock.ts";
import { systemScheduler } from "../../../../drivers/dispenser/line-driver.ts";
import { openPts2Controller, type Pts2ConfigInput } from "../../../../drivers/pts2/index.ts";
import { createLogger } from "../../../../agent/log.ts";
import type { VirtualPts2 } from "../../../../simulator/devices/virtual-pts2.ts";
import { EventLog, GRADES, type OpenedDriver } from "../helpers.ts";

/** The host scheduler of a process whose wall-clock anchor was `offsetMs` off (systemScheduler re-anchors at each start). */
export const anchoredAt = (offsetMs: number): Scheduler => ({ now: () => systemScheduler.now() + offsetMs, setTimer: systemScheduler.setTimer });

/** helpers.ts openDriver, with the process's scheduler given. */
export async function openDriverWith(twin: VirtualPts2, scheduler: Scheduler, overrides: Partial<Pts2ConfigInput>, store: DriverStore): Promise<OpenedDriver> {
  if (!("controllerUserId" in overrides) && (await store.get("meta/userVerified")) === undefined) await store.put("meta/userVerified", { userId: 1 });
  const events = new EventLog();
  const driver = await openPts2Controller(
    {
      url: twin.url,
      auth: { scheme: "none" },
      controllerUserId: 1,
      currency: "SEK",
      points: [
        { point: 1, pump: 1 },
        { point: 2, pump: 2 },
      ],
      grades: GRADES,
      pollIntervalMs: 20,
      requestTimeoutMs: 1000,
      stopTimeoutMs: 1000,
      openTimeoutMs: 3000,
      ...overrides,
    },
    { logger: createLogger("test.pts2"), scheduler, store },
  );
  driver.onEvent(events.push);
  return { driver, events, store };
}
