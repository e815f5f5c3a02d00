// Review 10 of issue 14: the fixes' own cases beyond the reviewer's repros (each fails on lead6 5c0eccc).
// The real driver over loopback HTTP to the virtual PTS-2 (renumbering firmware: `renumberFrom`).
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../../agent/log.ts";
import { MemoryDriverStore } from "../../../../drivers/driver-store.ts";
import { ControllerNumbering } from "../../../../drivers/pts2/numbering.ts";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, outcome as codeOf, openDriver, received, sale, startTwin } from "../helpers.ts";

const cleanup = closeAfterEach();

describe("R10-2a: the revoke of an unprovable live authorization follows the transaction read, the newer of the two", () => {
  it("fresh install, our renumbered authorization (41, our configured user) lost; the customer lifts while the agent reads 41: parked, no PumpStop — the fill runs on", async () => {
    const twin = await startTwin({ userId: 1, renumberFrom: 41 });
    const { driver, store } = await openDriver(twin, { controllerUserId: 1 }); // uncorroborated: ownership unprovable
    cleanup(() => driver.close(), () => twin.close());
    await driver.pollOnce();
    twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
    const realInfo = twin.pumps.transactionInfo.bind(twin.pumps);
    let lifted = false;
    twin.pumps.transactionInfo = (d) => {
      if (d.Transaction === 41 && !lifted) {
        lifted = true;
        twin.liftNozzle(1, 1); // after the status read said idle, before the transaction read
        twin.deliver(1, 500);
      }
      return realInfo(d);
    };
    expect(await codeOf(driver.authorize(sale("LIFTED")))).toBe("PTS_OWNERSHIP_UNKNOWN");
    expect(lifted).toBe(true);
    expect(received(twin, "PumpStop").length).toBe(0);
    expect(twin.pumps.pumps.get(1)!.current).toMatchObject({ transaction: 41, state: "Filling" });
    const r = (await store.get("tx/LIFTED")) as TxRecord;
    expect({ transaction: r.transaction, phase: r.phase, stop: r.stopRequestedAt }).toEqual({ transaction: 41, phase: "authorizing", stop: undefined });
  });
});

describe("R10-1: a status that is no readable status of the pump leaves the record unresolved", () => {
  it("the renumbered answer lost, and PumpGetStatus answers about another pump: the flow is not refused, the record stays authorizing", async () => {
    const twin = await startTwin({ userId: 1, renumberFrom: 41 });
    const { driver, store } = await openDriver(twin);
    cleanup(() => driver.close(), () => twin.close());
    await driver.pollOnce();
    const realStatus = twin.pumps.statusOf.bind(twin.pumps);
    twin.pumps.statusOf = (p) => ({ ...realStatus(p), Data: { ...realStatus(p).Data, Pump: p.id + 1 } });
    twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
    expect(await codeOf(driver.authorize(sale("OTHER-PUMP")))).not.toBe("ok");
    const rec = (await store.get("tx/OTHER-PUMP")) as TxRecord;
    expect({ phase: rec.phase, closed: rec.closedAt !== undefined }).toEqual({ phase: "authorizing", closed: false });
  });
});

describe("R10-3: a flag stamped ahead of the agent's clock", () => {
  // R11-4 replaced the first rule (any fix time the clock had reached cleared a flag stamped in
  // its future, so a stale numbersHonouredSince from an earlier fix erased a new flag): load()
  // re-stamps a future flag to now, durably, and only a fix time after that clears it.
  it("is re-stamped to now at load and then cleared by a fix time after that; a flag in the past still needs a fix time after it", async () => {
    const now = Date.parse("2026-12-02T03:00:00Z");
    const open = async (store: MemoryDriverStore, honouredSince: string, at: number) => {
      const n = new ControllerNumbering(store, honouredSince, createLogger("test.pts2"), () => at);
      await n.load();
      return n.notHonoured() === undefined && (await store.get("meta/numbersNotHonoured")) === undefined;
    };
    const flagged = async (flagAt: number) => {
      const store = new MemoryDriverStore();
      await store.put("meta/numbersNotHonoured", { pump: 1, asked: 1, got: 41, at: flagAt });
      return store;
    };
    const ahead = await flagged(now + 3600_000);
    expect(await open(ahead, "2026-12-02T02:59:00Z", now)).toBe(false); // a fix time before the re-stamp
    expect(((await ahead.get("meta/numbersNotHonoured")) as { at: number }).at).toBe(now);
    expect(await open(ahead, "2026-12-02T03:05:00Z", now + 600_000)).toBe(true); // the technician's fix, next restart
    expect(await Promise.all([open(await flagged(now - 60_000), "2026-12-02T02:58:00Z", now), open(await flagged(now - 60_000), "2026-12-02T03:00:00Z", now)])).toEqual([false, true]);
  });
});
