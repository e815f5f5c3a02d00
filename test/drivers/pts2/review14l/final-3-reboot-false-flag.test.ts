// FINAL-3 (MEDIUM): user-check.ts:84 + neverRan() (:129-132, 039d6c0) — a pending check's "not found"
// on an open authorized record is taken as R9-2's evidence (the controller renumbers). But a
// controller that lost its transaction records (power cut, forgetOnPowerCut — issue 14's "controller
// reboot mid-fill") answers "not found" for an honoured number too. The honouring controller is
// flagged PTS_NUMBERS_NOT_HONOURED and every later sale on every pump is refused until a technician
// edits numbersHonouredSince and restarts — and the flagged controller sends S1's sale read into
// live-elsewhere (sale-record.ts:77), judging whatever the pump holds next as S1's.
// Real driver over loopback HTTP to the virtual PTS-2.
import { expect, it } from "vitest";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, sale, startTwin } from "../helpers.ts";

const cleanup = closeAfterEach();

it.skip("(open, final review FINAL-3 MEDIUM) a controller that honours our numbers but lost its records in a power cut is not flagged as renumbering by a pending user check", async () => {
  const twin = await startTwin({ userId: 1, forgetOnPowerCut: true }); // honours PumpAuthorize.Transaction
  const { driver, events, store } = await openDriver(twin); // id 1 corroborated
  cleanup(() => driver.close(), () => twin.close());
  // S1's user-check read right after its confirmation is answered "busy" (41): the check stays pending.
  const realInfo = twin.pumps.transactionInfo.bind(twin.pumps);
  let busy = false;
  twin.pumps.transactionInfo = (d) => (busy && d.Pump === 1 ? { ok: false, code: 41 } : realInfo(d)) as ReturnType<typeof realInfo>;
  const realAuth = twin.pumps.authorize.bind(twin.pumps);
  twin.pumps.authorize = (d) => {
    const o = realAuth(d);
    if (o.ok && d.Pump === 1) busy = true;
    return o;
  };
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 1);
  expect(await outcome(driver.authorize(sale("S1", 1)))).toBe("ok");
  const s1 = (await store.get("tx/S1")) as TxRecord;
  expect(s1.userCheckPending).toBe(true);
  expect(faults(events.events)).not.toContain("PTS_NUMBERS_NOT_HONOURED"); // our number was honoured
  twin.deliver(1, 5_000);
  // The controller's power is cut mid-fill and comes back without its transaction records.
  await twin.powerCut();
  await twin.powerOn();
  busy = false;
  // Next customer on pump 2: authorize() runs the pending check first (checkPendingUsers): S1's number "not found".
  twin.liftNozzle(2, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 2);
  const second = await outcome(driver.authorize(sale("S2", 2)));
  // On this code: second = "PTS_NUMBERS_NOT_HONOURED" and the fault raised: the station's pumps are out of service.
  expect({ second, flagged: faults(events.events).includes("PTS_NUMBERS_NOT_HONOURED") }).toEqual({ second: "ok", flagged: false });
});
