// Review 12 of issue 14 (/work/team/reviews/issue14-review12.md), beyond its own repros
// (review12-units.test.ts here): the narrower window of R12-3 (the 39 branch), the vendor SDK's
// fill status without FuelGradeId, and a guard that R12-2's fix keeps the R9-2 revoke.
// The real driver over loopback HTTP to the virtual PTS-2.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../../contracts/dispenser.ts";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import type { VirtualPts2 } from "../../../../simulator/devices/virtual-pts2.ts";
import { asAgent, closeAfterEach, openDriver, received, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();
const sale = (id: string, point = 1) => ({ point, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");
const faults = (events: DispenserEvent[]) => events.flatMap((e) => (e.type === "fault" ? [e.code] : []));
const code = (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error";

it("R12-3 (the 39 branch): the read-back after a 'duplicated request' refusal says 'not found', the late first send lands before the pump's status is read — the sale under our own number is authorized and charged, not refused and left unpaid", async () => {
  const twin = await startTwin({ userId: 1 });
  // No timed polls: every read of the controller below is the authorization's own, in order.
  const { driver, events, store } = await openDriver(twin, { pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  const realAuth = twin.pumps.authorize.bind(twin.pumps);
  const realInfo = twin.pumps.transactionInfo.bind(twin.pumps);
  let held: Record<string, unknown> | undefined;
  let sends = 0;
  let infosAfterResend = -1;
  twin.pumps.authorize = (d) => {
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && held === undefined) {
      held = d; // still on the wire: it reaches the controller late (its answer is dropped)
      sends++;
      return { ok: true, data: { Pump: 1, Transaction: d.Transaction } };
    }
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && ++sends === 2) {
      infosAfterResend = 0; // a firmware that has seen the first request's header: 39 duplicated
      return { ok: false, code: 39 };
    }
    return realAuth(d);
  };
  twin.pumps.transactionInfo = (d) => {
    const o = realInfo(d);
    if (infosAfterResend >= 0 && d.Pump === 1 && ++infosAfterResend === 1) asAgent(twin, () => realAuth(held!)); // answered "not found", then the late send runs
    return o;
  };
  twin.liftNozzle(1, 1); // the customer holds the nozzle
  await driver.pollOnce();
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const ours = await outcome(driver.authorize(sale("S1", 1)));
  const liveTx = twin.pumps.pumps.get(1)!.current?.transaction;
  const delivered = twin.deliver(1, 20_000);
  twin.hangUp(1);
  await driver.pollOnce();
  const record = await driver.saleRecord("S1").then((r) => r?.milli ?? "none", code);
  const s1 = (await store.get("tx/S1")) as TxRecord;
  expect({ sends, ours, liveTx, s1Transaction: s1.transaction, phase: s1.phase, delivered, record, stops: received(twin, "PumpStop").length, faults: faults(events.events) })
    .toEqual({ sends: 2, ours: "ok", liveTx: 1, s1Transaction: 1, phase: "authorized", delivered: 20_000, record: 20_000, stops: 0, faults: [] });
});

/** An older firmware's fill statuses, as the vendor SDK allows them: no FuelGradeId / FuelGradeName. */
function withoutFuelGrade(twin: VirtualPts2): void {
  const real = twin.pumps.statusOf.bind(twin.pumps);
  twin.pumps.statusOf = (p) => {
    const s = real(p);
    if (s.Type !== "PumpFillingStatus" && s.Type !== "PumpEndOfTransactionStatus") return s;
    const { FuelGradeId: _id, FuelGradeName: _name, ...data } = s.Data;
    return { Type: s.Type, Data: data };
  };
}

it("jsonPTS shapes: fill and end statuses without FuelGradeId (optional in the vendor SDK, absent on older firmwares) are read — progress and the end by poll carry the controller's figures, the authorized grade, no mismatch — not dropped as bad statuses", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  withoutFuelGrade(twin);
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 1);
  expect(await outcome(driver.authorize(sale("S1", 1)))).toBe("ok");
  const delivered = twin.deliver(1, 10_000);
  await events.waitFor((e) => e.type === "progress" && e.transactionId === "S1" && e.milli === delivered);
  twin.hangUp(1);
  const end = await events.waitFor((e) => e.type === "end" && e.transactionId === "S1");
  expect({ delivered, end, faults: faults(events.events) }).toMatchObject({
    delivered: 10_000,
    end: { type: "end", transactionId: "S1", gradeId: "95", milli: 10_000, amountMinor: 18_990, unitPriceMinor: 1899 },
    faults: [],
  });
});

/** R9-2's firmware (review 11's helper): numbers from its own counter, confirms {Pump} only. */
function renumberingSilently(twin: VirtualPts2): void {
  const real = twin.pumps.authorize.bind(twin.pumps);
  twin.pumps.authorize = (d) => {
    const p = twin.pumps.pumps.get(d.Pump as number)!;
    p.nextTransaction = Math.max(p.nextTransaction, 40) + 4;
    const { Transaction: _ignored, ...rest } = d;
    const o = real(rest);
    return o.ok ? { ok: true, data: { Pump: o.data.Pump } } : o;
  };
}

it("guard (R12-2's fix keeps R9-2's revoke): the sale confirmed without a number, unknown under ours right at the answer, cancelled before the nozzle is lifted — its stop revokes the authorization waiting under the controller's number", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events, store } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  renumberingSilently(twin);
  expect(await outcome(driver.authorize(sale("S1", 1)))).toBe("ok");
  expect(faults(events.events)).toContain("PTS_NUMBERS_NOT_HONOURED");
  expect(((await store.get("tx/S1")) as TxRecord).unknownAtAnswer).toBe(true);
  await waitUntil(() => twin.pumps.pumps.get(1)!.current?.state === "WaitingNozzleUpForAuthorization");
  await driver.settled("S1"); // the flow cancelled: nobody lifted the nozzle
  expect({ stops: received(twin, "PumpStop").length, state: twin.pumps.pumps.get(1)!.current?.state ?? "none" }).toMatchObject({ stops: 1 });
  expect(twin.pumps.pumps.get(1)!.current?.state).not.toBe("WaitingNozzleUpForAuthorization");
});
