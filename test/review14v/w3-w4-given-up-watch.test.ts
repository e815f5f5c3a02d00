// Review 14v W3/W4, the fix: a given-up authorization (void, or refused after a lost answer) stays
// open and watched for closeUnsettledAfterMs — its flow's settled() included — and is closed only
// then; a direct refusal (the controller answered our only send) is closed at once as before. The
// driver's clock is real time that advance() moves forward (its timers, the open's link wait, stay
// live): the windows are crossed by advance(), never slept through.
import { describe, expect, it } from "vitest";
import type { DriverStore } from "../../contracts/driver-store.ts";
import { MemoryDriverStore } from "../../drivers/driver-store.ts";
import type { TxRecord } from "../../drivers/pts2/transactions.ts";
import { SimClock } from "../../simulator/clock.ts";
import type { VirtualPts2 } from "../../simulator/devices/virtual-pts2.ts";
import { closeAfterEach, outcome, sale, startTwin } from "../drivers/pts2/helpers.ts";
import { openDriverWith } from "../drivers/pts2/review14q/q-helpers.ts";

const cleanup = closeAfterEach();
const WINDOW = 5_000;
const STOP_TIMEOUT = 1_000;

async function station() {
  const twin = await startTwin({ userId: 1 });
  const clock = new SimClock();
  const store = new MemoryDriverStore();
  const opened = await openDriverWith(twin, clock, { pollIntervalMs: 60_000, closeUnsettledAfterMs: WINDOW, stopTimeoutMs: STOP_TIMEOUT }, store);
  cleanup(() => opened.driver.close(), () => twin.close(), async () => clock.dispose());
  await opened.driver.pollOnce();
  return { twin, clock, ...opened };
}

/** W4's authorization: the first send's answer lost (the request still on the wire), the resend refused 39. */
function lostThenRefused(twin: VirtualPts2): { held: () => Record<string, unknown> } {
  const realAuth = twin.pumps.authorize.bind(twin.pumps);
  let held: Record<string, unknown> | undefined;
  let sends = 0;
  twin.pumps.authorize = (d) => {
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && held === undefined) {
      held = d;
      sends++;
      return { ok: true, data: { Pump: 1, Transaction: d.Transaction } };
    }
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && ++sends === 2) return { ok: false, code: 39 };
    return realAuth(d);
  };
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  return {
    held: () => {
      twin.pumps.authorize = realAuth;
      return held!;
    },
  };
}

const rec = async (store: DriverStore, id: string) => (await store.get(`tx/${id}`)) as TxRecord;

describe("a given-up authorization is watched for closeUnsettledAfterMs, then closed", () => {
  it("refused after a lost answer and settled by its flow: open through the window, closed by the first idle poll after it", async () => {
    const { twin, clock, store, driver } = await station();
    lostThenRefused(twin);
    expect(await outcome(driver.authorize(sale("S1")))).not.toBe("ok");
    expect(await driver.saleRecord("S1")).toBeUndefined(); // the flow: nothing authorized → cancel
    await driver.settled("S1");
    expect(await rec(store, "S1")).toMatchObject({ phase: "refused", settled: true });
    expect((await rec(store, "S1")).closedAt).toBeUndefined();
    clock.advance(WINDOW - 1_000); // (a second short: this test's own real time is milliseconds)
    await driver.pollOnce();
    expect((await rec(store, "S1")).closedAt).toBeUndefined();
    clock.advance(1_000);
    await driver.pollOnce();
    expect((await rec(store, "S1")).closedAt).toBeGreaterThanOrEqual((await rec(store, "S1")).at + WINDOW);
  });

  it("control: refused to the only send (the controller answered it) is closed at once — nothing of ours is in flight", async () => {
    const { twin, store, driver } = await station();
    const realAuth = twin.pumps.authorize.bind(twin.pumps);
    twin.pumps.authorize = (d) => (twin.pumps.requestUser === 1 && d.Pump === 1 ? { ok: false, code: 41 } : realAuth(d));
    expect(await outcome(driver.authorize(sale("S1")))).not.toBe("ok");
    expect(await rec(store, "S1")).toMatchObject({ phase: "refused" });
    expect((await rec(store, "S1")).closedAt).toBeDefined();
  });
});
