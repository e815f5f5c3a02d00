// Review 13 of issue 14 (/work/team/reviews/issue14-review13.md), R13-1: R12-1/R12-2's
// `unknownAtAnswer` mark is written only by the check AT the answer (authorize.ts markUnknownAtAnswer).
// The same R9-2 evidence found one round trip later by the PENDING check (R11-1: the at-answer read
// failed, 41 busy) flags the controller but never marks the record — so its sale read is adoptOnly
// (never parks on the live sale) and its stop never revokes what waits on the idle pump. Our
// authorization stays live under the controller's number after the flow gave up: the next driver
// fuels unpaid. Run copy: test/drivers/pts2/review14o/. Real driver over loopback HTTP to the twin.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../../contracts/dispenser.ts";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import type { VirtualPts2 } from "../../../../simulator/devices/virtual-pts2.ts";
import { closeAfterEach, openDriver, received, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();
const sale = (id: string, point = 1) => ({ point, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");
const faults = (events: DispenserEvent[]) => events.flatMap((e) => (e.type === "fault" ? [e.code] : []));

/** R9-2's firmware (review 11/12's helper): numbers from its own counter, confirms {Pump} only. */
function renumberingSilently(twin: VirtualPts2): { busyNextInfo: () => void } {
  const real = twin.pumps.authorize.bind(twin.pumps);
  twin.pumps.authorize = (d) => {
    const p = twin.pumps.pumps.get(d.Pump as number)!;
    p.nextTransaction = Math.max(p.nextTransaction, 40) + 4;
    const { Transaction: _ignored, ...rest } = d;
    const o = real(rest);
    return o.ok ? { ok: true, data: { Pump: o.data.Pump } } : o;
  };
  let busy = 0;
  const realInfo = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => (busy > 0 ? (busy--, { ok: false, code: 41 }) : realInfo(d));
  return { busyNextInfo: () => void busy++ };
}

it.each([
  { check: "at the answer (control: passes on 418580c)", busyAtAnswer: false },
  { check: "one read later, pending (R11-1) — FAILS on 418580c", busyAtAnswer: true },
])("R13-1, a fresh install (id configured, not yet corroborated), R9-2's check $check: the flow gives up before the customer lifts — its authorization waiting under the controller's number is revoked, nobody fuels on it", async ({ busyAtAnswer }) => {
  const overrides = { controllerUserId: 1 };
  const twin = await startTwin({ userId: 1 });
  const { driver, events, store } = await openDriver(twin, { ...overrides, pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  const fw = renumberingSilently(twin);
  // The read right at the answer is refused busy (41): the check stays pending (R4-1).
  const realAuth = twin.pumps.authorize;
  twin.pumps.authorize = (d) => {
    const o = realAuth(d);
    if (o.ok && d.Pump === 1 && busyAtAnswer) fw.busyNextInfo();
    return o;
  };
  expect(await outcome(driver.authorize(sale("S1", 1)))).toBe("ok");
  const liveTx = twin.pumps.pumps.get(1)!.current?.transaction;
  const afterAnswer = (await store.get("tx/S1")) as TxRecord;
  // The flow reads its sale (the customer has not lifted yet): the pending check runs, finds the
  // number unknown — R9-2's evidence — and flags the controller (R11-1).
  const read = await outcome(driver.saleRecord("S1"));
  const flagged = faults(events.events).includes("PTS_NUMBERS_NOT_HONOURED");
  // The timed poll (60 s here only to keep the reads in order) shows the authorization waiting; the
  // customer walks away: the flow gives the sale up.
  await driver.pollOnce();
  await driver.settled("S1");
  await driver.pollOnce();
  const waiting = twin.pumps.pumps.get(1)!.current?.state ?? "none";
  // The next driver lifts pump 1's nozzle and draws 20 L under the authorization left live.
  twin.liftNozzle(1, 1);
  const drawn = twin.deliver(1, 20_000);
  twin.hangUp(1);
  await driver.pollOnce();
  const s1 = (await store.get("tx/S1")) as TxRecord;
  const measured = {
    pendingAtAnswer: afterAnswer.userCheckPending,
    liveTx,
    read,
    flagged,
    unknownAtAnswer: s1.unknownAtAnswer ?? false,
    stops: received(twin, "PumpStop").length,
    waitingAfterGiveUp: waiting,
    drawnUnpaidMl: twin.pumps.records.get(`1:${liveTx}`)?.state === "EndOfTransaction" && s1.transaction !== liveTx ? drawn : 0,
    faults: faults(events.events),
  };
  console.log("R13-1 measured", JSON.stringify(measured));
  // As the same evidence found AT the answer does (review14n guard): marked, revoked on the stop.
  expect(measured).toMatchObject({ flagged: true, unknownAtAnswer: true, drawnUnpaidMl: 0 });
  expect(measured.waitingAfterGiveUp).not.toBe("WaitingNozzleUpForAuthorization");
});
