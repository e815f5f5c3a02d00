// Review 8 of issue 14, R8-3: a `numbersHonouredSince` in the future of the agent's clock (a typo in
// the year, the clock stepped back, a corrupt store) proves no fix: it clears no
// PTS_NUMBERS_NOT_HONOURED flag — trusted, it cleared every flag raised before it at each restart.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../../agent/log.ts";
import { MemoryDriverStore } from "../../../../drivers/driver-store.ts";
import { ControllerNumbering } from "../../../../drivers/pts2/numbering.ts";
import { closeAfterEach, openDriver, received, startTwin } from "../helpers.ts";

const cleanup = closeAfterEach();
const sale = (id: string) => ({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");

describe("R8-3: numbersHonouredSince in the future", () => {
  const flagged = async (honouredSince: string | undefined, now: number) => {
    const store = new MemoryDriverStore();
    await store.put("meta/numbersNotHonoured", { pump: 1, asked: 1, got: 41, at: now - 60_000 });
    const n = new ControllerNumbering(store, honouredSince, createLogger("test.pts2"), () => now);
    await n.load();
    return { flag: n.notHonoured(), stored: await store.get("meta/numbersNotHonoured") };
  };

  it("is rejected (as if unset): the flag stands, in memory and in the store", async () => {
    const now = Date.parse("2026-12-02T03:00:00Z");
    const r = await flagged("2027-01-01T00:00:00Z", now);
    expect(r.flag).toMatchObject({ got: 41 });
    expect(r.stored).toMatchObject({ got: 41 });
  });

  it("a time after the flag and not in the future still clears it", async () => {
    const now = Date.parse("2026-12-02T03:00:00Z");
    const r = await flagged("2026-12-02T02:59:30Z", now);
    expect(r).toEqual({ flag: undefined, stored: undefined });
  });

  it("at the driver: a flagged controller stays refused with a future numbersHonouredSince", async () => {
    const twin = await startTwin({ userId: 1 });
    const store = new MemoryDriverStore();
    await store.put("meta/numbersNotHonoured", { pump: 1, asked: 1, got: 41, at: Date.now() - 60_000 });
    const { driver } = await openDriver(twin, { numbersHonouredSince: new Date(Date.now() + 24 * 3600_000).toISOString() }, store);
    cleanup(() => driver.close(), () => twin.close());
    expect(await codeOf(driver.authorize(sale("FUTURE")))).toBe("PTS_NUMBERS_NOT_HONOURED");
    expect(received(twin, "PumpAuthorize").length).toBe(0);
  });
});
