// Twelfth hostile review of issue 14 (/work/team/reviews/issue14-review12.md): driver-level repros,
// the real driver over loopback HTTP to the virtual PTS-2. Run copy: test/drivers/pts2/review14m/.
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

it("R12-1: on a fresh install, the sale that reveals R9-2 (confirmed without a number, ours then 'not found') is charged — adopted, or parked for a claim — not left PTS_TRANSACTION_LOST with its 20 L unpaid (65a85d3 adoptOnly removed the park)", async () => {
  const twin = await startTwin({ userId: 1 });
  // Fresh install: the id is learned; on this firmware no user check can ever corroborate it (every check reads "not found").
  const { driver, events, store } = await openDriver(twin, { controllerUserId: undefined });
  cleanup(() => driver.close(), () => twin.close());
  renumberingSilently(twin);
  twin.liftNozzle(1, 1); // the customer's call: the nozzle is in hand
  await events.waitFor((e) => e.type === "call" && e.point === 1);
  expect(await outcome(driver.authorize(sale("S1", 1)))).toBe("ok"); // confirmed to our request: our customer
  expect(faults(events.events)).toContain("PTS_NUMBERS_NOT_HONOURED"); // R9-2 flagged it
  const delivered = twin.deliver(1, 20_000); // our customer fills under the controller's number (44)
  twin.hangUp(1);
  await waitUntil(() => twin.pumps.pumps.get(1)!.current?.state === "EndOfTransaction");
  const first = await driver.saleRecord("S1").then((r) => r?.milli ?? "none", code);
  let claimed: number | string | undefined;
  if (first === "PTS_OWNERSHIP_UNKNOWN") {
    // Parked under the live number: the technician checks the controller and claims it.
    await driver.resolveSale("S1", "ours");
    claimed = await driver.saleRecord("S1").then((r) => r?.milli ?? "none", code);
  }
  const charged = typeof first === "number" ? first : typeof claimed === "number" ? claimed : 0;
  const s1 = (await store.get("tx/S1")) as TxRecord;
  expect({ delivered, charged, first, claimed, transaction: s1.transaction, faults: faults(events.events) }).toMatchObject({ delivered: 20_000, charged: 20_000, transaction: 44 });
});

it("R12-2: FINAL-4 by another door — on a flagged controller, a power cut lost our confirmed sale; when its flow finishes (settled, compose.ts:230: mark-settled, cancel, lapse) driver.stop revokes whatever waits on the idle pump: the attendant POS's prepay", async () => {
  // A controller that genuinely numbers on its own (its confirmation names its number: flagged at our first sale).
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true, renumberFrom: 41 });
  const { driver, events, store } = await openDriver(twin); // id 1 corroborated
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 1);
  expect(await outcome(driver.authorize(sale("S1", 1)))).toBe("ok");
  expect(faults(events.events)).toContain("PTS_NUMBERS_NOT_HONOURED");
  twin.deliver(1, 5_000);
  await twin.powerCut(); // the controller loses its records, S1's fill with them
  await twin.powerOn();
  twin.hangUp(1);
  // The attendant's POS prepays pump 1 for a cash customer (controller user 2), waiting for the nozzle.
  const pos = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99 });
  expect(pos.ok).toBe(true);
  await driver.pollOnce(); // the tracker reads S1: not found, the POS's prepay is user 2's -> PTS_TRANSACTION_LOST, POS left alone (the FINAL-4 fix)
  await waitUntil(() => faults(events.events).includes("PTS_TRANSACTION_LOST"));
  expect(received(twin, "PumpStop").length).toBe(0);
  // S1's flow finishes (the technician's mark-settled after collecting by hand, per docs/alarms.md, or the flow's cancel):
  await driver.settled("S1");
  const s1 = (await store.get("tx/S1")) as TxRecord;
  expect({ posStops: received(twin, "PumpStop").length, posState: twin.pumps.pumps.get(1)!.current?.state ?? "ended", s1Transaction: s1.transaction })
    .toEqual({ posStops: 0, posState: "WaitingNozzleUpForAuthorization", s1Transaction: 41 });
});

it("R12-3: a lost PumpAuthorize answer whose request lands late (after the read-back said 'not found'): the resend is refused busy (42, the customer already filling under OUR number); live-elsewhere sees our own number live and says 'none', so the record is refused and closed and the 20 L go unpaid", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events, store } = await openDriver(twin); // id 1 corroborated, honouring controller
  cleanup(() => driver.close(), () => twin.close());
  const realAuth = twin.pumps.authorize.bind(twin.pumps);
  const realInfo = twin.pumps.transactionInfo.bind(twin.pumps);
  let held: Record<string, unknown> | undefined;
  let landed = false;
  let sends = 0;
  twin.pumps.authorize = (d) => {
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && !landed) {
      sends++;
      if (sends === 1) {
        held = d; // still in flight (a slow TCP path): it reaches the controller after our read-back
        return { ok: true, data: { Pump: 1, Transaction: d.Transaction } }; // (this answer is dropped)
      }
    }
    // A firmware that checks the pump's state first: authorize on a filling pump -> 42 busy filling.
    if (twin.pumps.requestUser === 1 && d.Pump === 1 && twin.pumps.pumps.get(1)!.current?.state === "Filling") return { ok: false, code: 42 };
    return realAuth(d);
  };
  twin.pumps.transactionInfo = (d) => {
    const o = realInfo(d);
    if (held !== undefined && !landed && d.Pump === 1) {
      landed = true; // answered "not found" from before the late request; then the late request runs
      asAgent(twin, () => realAuth(held!));
    }
    return o;
  };
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 1);
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const ours = await outcome(driver.authorize(sale("S1", 1)));
  const pump = twin.pumps.pumps.get(1)!;
  const liveTx = pump.current?.transaction;
  const delivered = twin.deliver(1, 20_000); // our customer, holding the nozzle, fills under our own number
  twin.hangUp(1);
  await driver.pollOnce();
  const record = await driver.saleRecord("S1").then((r) => r?.milli ?? "none", code);
  const s1 = (await store.get("tx/S1")) as TxRecord;
  expect({ ours, liveTx, s1Transaction: s1.transaction, phase: s1.phase, delivered, record, stops: received(twin, "PumpStop").length })
    .toEqual({ ours: "ok", liveTx: 1, s1Transaction: 1, phase: "authorized", delivered: 20_000, record: 20_000, stops: 0 });
});
