// Review 13 of issue 14, R13-2: `markUnknownAtAnswer` (authorize.ts:279-283) marks a record only when
// the controller's flag names THAT pump and number and was not raised before its confirmation. Two
// customers start at once on pumps 1 and 2 of an R9-2 firmware (confirms {Pump} only, numbers on
// its own): both pass the flag check before either answer, both confirmations' checks find the
// number unknown, but the one flag names pump 1 — S2 is left unmarked: its sale read is adoptOnly,
// its stop never revokes. S2's customer walks away, its authorization stays live under the
// controller's number, the next driver fuels unpaid. Run copy: test/drivers/pts2/review14o/.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../../contracts/dispenser.ts";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import type { VirtualPts2 } from "../../../../simulator/devices/virtual-pts2.ts";
import { closeAfterEach, openDriver, received, startTwin } from "../helpers.ts";

const cleanup = closeAfterEach();
const sale = (id: string, point = 1) => ({ point, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");
const faults = (events: DispenserEvent[]) => events.flatMap((e) => (e.type === "fault" ? [e.code] : []));

/** R9-2's firmware (review 11/12's helper): numbers from its own counter, confirms {Pump} only. */
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

it("R13-2, a fresh install: two sales confirmed at once on an R9-2 firmware — both numbers unknown at the answer, both records marked; S2 given up before its customer lifts, its waiting authorization is revoked, nobody fuels on it", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events, store } = await openDriver(twin, { controllerUserId: 1, pollIntervalMs: 60_000 });
  cleanup(() => driver.close(), () => twin.close());
  renumberingSilently(twin);
  const [o1, o2] = await Promise.all([outcome(driver.authorize(sale("S1", 1))), outcome(driver.authorize(sale("S2", 2)))]);
  const live2 = twin.pumps.pumps.get(2)!.current?.transaction;
  const r2 = (await store.get("tx/S2")) as TxRecord;
  const r1 = (await store.get("tx/S1")) as TxRecord;
  const read2 = await outcome(driver.saleRecord("S2"));
  await driver.pollOnce(); // the timed poll (pollIntervalMs is 60 s here only to keep reads in order): pump 2 shows its authorization waiting
  await driver.settled("S2"); // S2's customer walks away before lifting
  await driver.pollOnce();
  const waiting2 = twin.pumps.pumps.get(2)!.current?.state ?? "none";
  twin.liftNozzle(2, 1); // the next driver at pump 2
  const drawn = twin.deliver(2, 20_000);
  twin.hangUp(2);
  await driver.pollOnce();
  const s2 = (await store.get("tx/S2")) as TxRecord;
  const measured = {
    o1,
    o2,
    marked1: r1.unknownAtAnswer ?? false,
    marked2: r2.unknownAtAnswer ?? false,
    live2,
    s2Number: s2.transaction,
    read2,
    stopsPump2: received(twin, "PumpStop").filter((d) => d.Pump === 2).length,
    waiting2,
    drawnUnpaidMl: s2.transaction !== live2 ? drawn : 0,
    faults: faults(events.events),
  };
  console.log("R13-2 measured", JSON.stringify(measured));
  expect(measured).toMatchObject({ o1: "ok", o2: "ok", marked1: true, marked2: true, drawnUnpaidMl: 0 });
  expect(waiting2).not.toBe("WaitingNozzleUpForAuthorization");
});
