// The drivers' durable storage on real SQLite (drivers.sqlite): what a driver writes survives a
// reopen (an agent restart), controllers never see each other's keys, prefixes are literal, and
// the OCPP driver answers a charger's StartTransaction only after its transactionId ↔ flow record
// is in the file — a crash between the two can only make the charger send it again.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { DriverStore } from "../../drivers/driver-store.ts";
import { openDriverStores, type DriverStores } from "../../agent/journal/driver-store.ts";
import { authorizeCmd, isCall, openRig, synced, testConfig, waitUntil } from "./ocpp16/helpers.ts";

let dir: string;
let stores: DriverStores | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "driver-store-"));
});
afterEach(async () => {
  await stores?.close();
  await rm(dir, { recursive: true, force: true });
});

it("survives a reopen; each controller sees only its own keys; list prefixes are literal", async () => {
  const file = join(dir, "drivers.sqlite");
  stores = await openDriverStores(file);
  const a = stores.scoped("chargers");
  const b = stores.scoped("forecourt");
  await a.put("tx:1", { flow: "P1-a", n: 1 });
  await a.put("tx:1", { flow: "P1-a", n: 2 }); // replaced, not duplicated
  await a.put("tx_2", "underscore");
  await a.put("tx%3", "percent");
  await b.put("tx:1", { flow: "P3-b" });
  await a.put("gone", true);
  await a.delete("gone");
  await stores.close();

  stores = await openDriverStores(file);
  const a2 = stores.scoped("chargers");
  expect(await a2.get("tx:1")).toEqual({ flow: "P1-a", n: 2 });
  expect(await a2.get("gone")).toBeUndefined();
  expect(await stores.scoped("forecourt").get("tx:1")).toEqual({ flow: "P3-b" });
  expect((await a2.list("tx:")).map((e) => e.key)).toEqual(["tx:1"]);
  expect((await a2.list("tx_")).map((e) => e.key)).toEqual(["tx_2"]); // '_' is not a wildcard
  expect((await a2.list("tx%")).map((e) => e.key)).toEqual(["tx%3"]); // nor '%'
  expect((await a2.list("")).map((e) => e.key)).toEqual(["tx%3", "tx:1", "tx_2"]);
});

/** The SQLite store, with the writes `hold` picks waiting for the test's go (a slow disk). */
function holding(inner: DriverStore, hold: (key: string, value: unknown) => boolean): { store: DriverStore; held: () => number; release: () => void } {
  const queue: Array<() => void> = [];
  let released = false;
  return {
    store: {
      get: (k) => inner.get(k),
      list: (p) => inner.list(p),
      put: (k, v) => (!released && hold(k, v) ? new Promise<void>((resolve, reject) => queue.push(() => void inner.put(k, v).then(resolve, reject))) : inner.put(k, v)),
      delete: (k) => inner.delete(k),
    },
    held: () => queue.length,
    release: () => {
      released = true;
      queue.splice(0).forEach((go) => go());
    },
  };
}

it("OCPP: StartTransaction is answered only once the transactionId ↔ flow record is durable in drivers.sqlite", async () => {
  const file = join(dir, "drivers.sqlite");
  stores = await openDriverStores(file);
  const startedRecord = (_k: string, v: unknown) => typeof v === "object" && v !== null && (v as { ocppTransactionId?: number }).ocppTransactionId !== undefined;
  const h = holding(stores.scoped("chargers"), startedRecord);
  const rig = await openRig(testConfig(), { store: h.store });
  const cp = await rig.chargePoint();
  await synced(rig);
  cp.plug(1);
  await rig.events.waitFor(isCall, 5_000, "call");
  await rig.driver.authorize(authorizeCmd());
  await waitUntil(() => h.held() > 0, 5_000, "the session's record waiting to be written");
  // The charger asked; the record is not on disk yet: no answer, no transaction id.
  expect(cp.transaction(1)).toMatchObject({ idTag: "P1-flow-1" });
  expect(cp.transaction(1)?.id).toBeUndefined();
  h.release();
  await waitUntil(() => cp.transaction(1)?.id !== undefined, 5_000, "StartTransaction answered");
  const id = cp.transaction(1)!.id!;
  // What the answer promised is in the file: a second connection reads it.
  const other = await openDriverStores(file);
  try {
    const records = await other.scoped("chargers").list("");
    expect(records.map((r) => r.value)).toContainEqual(expect.objectContaining({ transactionId: "P1-flow-1", ocppTransactionId: id }));
  } finally {
    await other.close();
    await rig.driver.close(); // before the store it writes to closes
  }
});
