// After a controller power cut that loses its transaction records, a real PTS-2 (which keeps its
// sales database, and with it its numbering) goes on counting; the virtual one did so only when it
// kept its records, and numbered from 1 after forgetting them. Both are run here: the twin's default
// (counting on) and `numberFromOneAfterPowerCut` (the numbers of the lost records handed out again).
// Either way our lost sale raises PTS_TRANSACTION_LOST once and is never settled at, nor parked on,
// the attendant's next prepay; the POS's prepay is not touched; the controller is not flagged; and
// the next sale of ours goes through. Real driver over loopback
// HTTP to the virtual PTS-2.
import { describe, expect, it } from "vitest";
import type { DispenserEvent } from "../../../../contracts/dispenser.ts";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, openDriver, received, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();
const sale = (id: string, point = 1) => ({ point, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");
const faults = (events: DispenserEvent[]) => events.flatMap((e) => (e.type === "fault" ? [e.code] : []));

describe.each([
  { mode: "counting on (a real PTS-2)", numberFromOneAfterPowerCut: false },
  { mode: "numbering from 1 again", numberFromOneAfterPowerCut: true },
])("a power cut that loses the controller's records, $mode", ({ numberFromOneAfterPowerCut }) => {
  it("the twin numbers as configured", async () => {
    const twin = await startTwin({ forgetOnPowerCut: true, numberFromOneAfterPowerCut });
    cleanup(() => twin.close());
    const first = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 100, Price: 18.99 });
    twin.pumps.stop(1, false);
    await twin.powerCut();
    await twin.powerOn();
    const next = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 100, Price: 18.99 });
    expect({ first: first.ok && first.data.Transaction, next: next.ok && next.data.Transaction }).toEqual({ first: 1, next: numberFromOneAfterPowerCut ? 1 : 2 });
  });

  // Numbering from 1 (found here, h14y): the POS's prepay gets our lost number; the driver took it
  // for our sale until review 13's R13-3 fix (still-ours.ts: its UserId is not the one our sale's
  // check read back — lost, never settled or stopped).
  it("our sale cut mid-fill is lost once (a person decides), the POS's prepay after the reboot is neither charged to it nor stopped, the controller is not flagged, and our next sale goes through", async () => {
    const twin = await startTwin({ userId: 1, forgetOnPowerCut: true, numberFromOneAfterPowerCut });
    const { driver, events, store } = await openDriver(twin); // id 1 corroborated
    cleanup(() => driver.close(), () => twin.close());
    twin.liftNozzle(1, 1);
    await events.waitFor((e) => e.type === "call" && e.point === 1);
    expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
    const s1 = (await store.get("tx/S1")) as TxRecord;
    twin.deliver(1, 5_000);
    await events.waitFor((e) => e.type === "progress" && e.transactionId === "S1");
    await twin.powerCut();
    await twin.powerOn();
    twin.hangUp(1);
    // The attendant's POS prepays pump 1 for its cash customer (user 2, the controller's own number).
    const pos = twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99 });
    expect(pos.ok).toBe(true);
    const posTx = pos.ok ? (pos.data.Transaction as number) : -1;
    expect(posTx === s1.transaction).toBe(numberFromOneAfterPowerCut); // from 1: the POS gets our lost number
    // Our flow reads its sale: lost (an error, asked again; parks at its deadline), never the POS's.
    expect(await outcome(driver.saleRecord("S1"))).toBe("DEVICE_PROTOCOL");
    // The POS's customer fills 3 L and hangs up: still not our sale.
    twin.liftNozzle(1, 1);
    twin.deliver(1, 3_000);
    twin.hangUp(1);
    await waitUntil(() => twin.pumps.records.get(`1:${posTx}`)?.state === "EndOfTransaction");
    expect(await outcome(driver.saleRecord("S1"))).toBe("DEVICE_PROTOCOL");
    expect({
      lost: faults(events.events).filter((c) => c === "PTS_TRANSACTION_LOST").length,
      flagged: faults(events.events).includes("PTS_NUMBERS_NOT_HONOURED"),
      s1Ends: events.events.filter((e) => e.type === "end" && e.transactionId === "S1").length,
      stops: received(twin, "PumpStop").length,
      s1Number: ((await store.get("tx/S1")) as TxRecord).transaction,
    }).toEqual({ lost: 1, flagged: false, s1Ends: 0, stops: 0, s1Number: s1.transaction });
    // The technician settles the lost sale; the attendant collects and closes the POS's sale; our next customer is served.
    await driver.settled("S1");
    expect(twin.pumps.closeTransaction({ Pump: 1, Transaction: posTx }).ok).toBe(true);
    await driver.pollOnce(); // the idle pump seen with its nozzle down: the next lift is a call
    const calls = events.events.filter((e) => e.type === "call").length;
    twin.liftNozzle(1, 1);
    await waitUntil(() => events.events.filter((e) => e.type === "call").length > calls, 10_000, "a call after the reboot");
    expect(await outcome(driver.authorize(sale("S2")))).toBe("ok");
    twin.deliver(1, 1_000);
    twin.hangUp(1);
    expect(await events.waitFor((e) => e.type === "end" && e.transactionId === "S2")).toMatchObject({ milli: 1_000, amountMinor: 1899 });
  });
});
