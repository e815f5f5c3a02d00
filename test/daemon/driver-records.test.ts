// A renamed controller keeps its driver's records (real drivers.sqlite): moved to the new id when
// one controller with the same driver took over all its points; otherwise left where they are,
// with an alarm naming them — an open transaction is never dropped silently.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createLogger } from "../../base/log.ts";
import { adoptRenamedControllers, orphanedRecordsAlarm } from "../../agent/daemon/driver-records.ts";
import { type DriverStores, openDriverStores } from "../../agent/journal/driver-store.ts";

let dir: string;
let stores: DriverStores | undefined;
const log = createLogger("test.driver-records");
const OPEN_TX = { transactionId: "P7-flow-1", ocppTransactionId: 41, state: "charging" };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-driver-records-"));
});
afterEach(async () => {
  await stores?.close();
  stores = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A first start with controller `chargers` (ocpp16, points 7 and 8) that journaled an open session. */
async function firstStart(): Promise<string> {
  const file = join(dir, "drivers.sqlite");
  const s = await openDriverStores(file);
  await adoptRenamedControllers(s, [{ id: "chargers", driver: "ocpp16", points: [7, 8] }, { id: "board", driver: "line", points: [1, 2] }], log);
  await s.scoped("chargers").put("tx/41", OPEN_TX);
  await s.close();
  return file;
}

it("renamed with the same driver and points: the records move to the new id, durably, in one step", async () => {
  const file = await firstStart();
  stores = await openDriverStores(file);
  const check = await adoptRenamedControllers(stores, [{ id: "evs", driver: "ocpp16", points: [7, 8] }, { id: "board", driver: "line", points: [1, 2] }], log);
  expect(check).toEqual({ moved: [{ from: "chargers", to: "evs", records: 1 }], orphaned: [] });
  expect(await stores.scoped("evs").get("tx/41")).toEqual(OPEN_TX);
  expect(await stores.scoped("chargers").list("")).toEqual([]);
  // The next start finds nothing to do, and the new id is remembered with its points.
  expect(await adoptRenamedControllers(stores, [{ id: "evs", driver: "ocpp16", points: [7, 8] }, { id: "board", driver: "line", points: [1, 2] }], log)).toEqual({ moved: [], orphaned: [] });
  expect((await stores.scopes()).find((s) => s.scope === "evs")).toMatchObject({ driver: "ocpp16", points: [7, 8], entries: 1 });
});

it("no single controller took over (points split, another driver, a target that existed): nothing moves, an alarm names the records", async () => {
  const cases = [
    [{ id: "evs-a", driver: "ocpp16", points: [7] }, { id: "evs-b", driver: "ocpp16", points: [8] }],
    [{ id: "evs", driver: "pts2", points: [7, 8] }],
    [{ id: "board", driver: "ocpp16", points: [1, 2, 7, 8] }],
  ];
  for (const controllers of cases) {
    const file = await firstStart();
    stores = await openDriverStores(file);
    const check = await adoptRenamedControllers(stores, controllers, log);
    expect(check.moved, JSON.stringify(controllers)).toEqual([]);
    expect(check.orphaned).toEqual([expect.objectContaining({ scope: "chargers", records: 1, points: [7, 8] })]);
    expect(await stores.scoped("chargers").get("tx/41")).toEqual(OPEN_TX);
    const alarm = orphanedRecordsAlarm(check.orphaned[0]!);
    expect(alarm.code).toBe("driver-records-orphaned");
    expect(alarm.message).toMatch(/1 record of points 7, 8 of controller "chargers"/);
    await stores.close();
    stores = undefined;
    await rm(dir, { recursive: true, force: true });
    dir = await mkdtemp(join(tmpdir(), "glase-driver-records-"));
  }
});

it("records written before controllers were remembered are never guessed at", async () => {
  stores = await openDriverStores(join(dir, "drivers.sqlite"));
  await stores.scoped("old-name").put("tx/9", OPEN_TX);
  const check = await adoptRenamedControllers(stores, [{ id: "evs", driver: "ocpp16", points: [7, 8] }], log);
  expect(check.moved).toEqual([]);
  expect(check.orphaned).toEqual([expect.objectContaining({ scope: "old-name", records: 1, why: expect.stringMatching(/unknown/) })]);
  expect(await stores.scoped("old-name").get("tx/9")).toEqual(OPEN_TX);
});
