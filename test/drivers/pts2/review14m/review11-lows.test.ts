// Eleventh hostile review of issue 14 (/work/team/reviews/issue14-review11.md), the two LOW findings,
// un-skipped from review14k/review11-units.test.ts (which keeps its copies for the rig refactor).
// R11-4 and R11-5 failed on b25f978.
import { expect, it } from "vitest";
import { createLogger } from "../../../../agent/log.ts";
import { MemoryDriverStore } from "../../../../drivers/driver-store.ts";
import { ControllerNumbering } from "../../../../drivers/pts2/numbering.ts";
import { closeAfterEach, openDriver, received, startTwin } from "../helpers.ts";

const cleanup = closeAfterEach();
const sale = (id: string, point = 1) => ({ point, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");
const KEY = "meta/numbersNotHonoured";

it("R11-4: a PTS_NUMBERS_NOT_HONOURED flag stamped ahead of the agent's clock is not cleared at the next restart by a numbersHonouredSince left in the config from an EARLIER fix (months before the flag)", async () => {
  const now = Date.parse("2026-12-02T03:00:00Z");
  const store = new MemoryDriverStore();
  // Raised an hour 'ahead' (the clock ran fast after boot, NTP stepped it back since); the config still
  // carries the fix time of the firmware update of last spring.
  await store.put(KEY, { pump: 1, asked: 7, got: 41, at: now + 3600_000 });
  const n = new ControllerNumbering(store, "2026-04-01T08:00:00Z", createLogger("test.pts2"), () => now);
  await n.load();
  expect({ flagged: n.notHonoured() !== undefined, stored: (await store.get(KEY)) !== undefined }).toEqual({ flagged: true, stored: true });
});

it("R11-4 (R10-3 kept): the flag ahead of the clock is re-stamped to now, durably; a fix time after that clears it at a later restart, an older one does not", async () => {
  const now = Date.parse("2026-12-02T03:00:00Z");
  const store = new MemoryDriverStore();
  await store.put(KEY, { pump: 1, asked: 7, got: 41, at: now + 3600_000 });
  await new ControllerNumbering(store, undefined, createLogger("test.pts2"), () => now).load();
  expect(await store.get(KEY)).toEqual({ pump: 1, asked: 7, got: 41, at: now });
  const later = now + 600_000;
  const stale = new ControllerNumbering(store, "2026-12-02T02:59:00Z", createLogger("test.pts2"), () => later);
  await stale.load();
  expect(stale.notHonoured()).toEqual({ pump: 1, asked: 7, got: 41, at: now });
  const fixed = new ControllerNumbering(store, "2026-12-02T03:05:00Z", createLogger("test.pts2"), () => later);
  await fixed.load();
  expect({ flag: fixed.notHonoured(), stored: await store.get(KEY) }).toEqual({ flag: undefined, stored: undefined });
});

it("R11-5: fresh install whose controllerUserId (uncorroborated) is the POS's id — our PumpAuthorize is lost before the controller runs it, the attendant's POS prepays the pump meanwhile; on a controller that never renumbered, the POS's prepay is not revoked (our flow is parked for a technician, not decided on that id)", async () => {
  const twin = await startTwin({ userId: 1 }); // the agent's login is user 1; the POS is user 2
  const { driver, store } = await openDriver(twin, { controllerUserId: 2 }); // typo, not yet corroborated
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" }); // cut before the controller ran it
  const realInfo = twin.pumps.transactionInfo.bind(twin.pumps);
  let reads = 0;
  let posTx: number | undefined;
  twin.pumps.transactionInfo = (d) => {
    if (d.Pump === 1 && ++reads === 2) {
      // Between our lost send and its read-back: the attendant prepays pump 1 (user 2, its own number).
      twin.pumps.pumps.get(1)!.nextTransaction = 50;
      const o = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99 });
      posTx = o.ok ? (o.data.Transaction as number) : undefined;
    }
    return realInfo(d);
  };
  const ours = await outcome(driver.authorize(sale("S1", 1)));
  twin.pumps.transactionInfo = realInfo;
  expect(posTx).toBe(50);
  // Nothing of ours is on the pump, and nothing proves the POS's prepay ours: it must be left alone.
  // (On b25f978: PTS_OWNERSHIP_UNKNOWN, the flow parked on transaction 50, PumpStop sent, the POS's prepay ended at 0 ml.)
  expect({ authorized: ours === "ok", posStops: received(twin, "PumpStop").length, pos: twin.pumps.pumps.get(1)!.current?.state })
    .toEqual({ authorized: false, posStops: 0, pos: "WaitingNozzleUpForAuthorization" });
  // Parked for a technician (the id we sent as is only a claim), never decided nor revoked on it.
  expect(ours).toBe("PTS_OWNERSHIP_UNKNOWN");
  void store;
});
