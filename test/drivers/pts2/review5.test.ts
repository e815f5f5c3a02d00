// Fifth hostile review of issue 14 — repros against the review-4 fixes (claim/disown, corroborated
// id, journaled evidence) and the `securing` guard. Each test asserts the CORRECT behaviour; a
// failure reproduces the bug. Real driver over loopback HTTP against the virtual PTS-2.
// Run: cp into test/drivers/pts2/ and `npx vitest run test/drivers/pts2/review5.test.ts`.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import { PTS_FAULTS } from "../../../drivers/pts2/alarms.ts";
import { closeAfterEach, openDriver, startTwin } from "./helpers.ts";

const cleanup = closeAfterEach();
type Fault = Extract<DispenserEvent, { type: "fault" }>;
const isFault = (e: DispenserEvent): e is Fault => e.type === "fault";
const codes = (events: DispenserEvent[]) => events.filter(isFault).map((e) => e.code);
const sale = (id: string) => ({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");
const recordOf = (p: Promise<{ state: string; milli?: number } | undefined>) =>
  p.then((x) => (x ? `${x.state} ${x.milli} ml` : "nothing to charge"), (e: { context?: { code?: string }; code?: string }) => `error (${e.context?.code ?? e.code ?? "?"})`);

it("R5-2: `claim` is taken for a sale that was never parked (no PTS_OWNERSHIP_UNKNOWN): it overrides the UserId rule, and the POS's cash sale under our number is charged to our customer", async () => {
  const twin = await startTwin({ userId: 1 }); // the agent is user 1, corroborated (helpers); the POS is user 2
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" }); // ours never reaches the controller
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let probed = false;
  let busy = true;
  twin.pumps.transactionInfo = (d) => (!probed ? ((probed = true), real(d)) : busy ? { ok: false, code: 41 } : real(d)); // the probe answers; the read-back meets a busy controller
  expect(await outcome(driver.authorize(sale("OURS")))).not.toBe("ok"); // unresolved: "authorizing", nothing parked
  // A technician (or any local user of the socket) types claim on the flow: accepted, nothing was parked.
  const claim = await outcome(driver.resolveSale("OURS", "ours"));
  twin.pumps.requestUser = 2; // the attendant's POS takes the pump, and our number (LastTransaction+1)
  expect(twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Volume", Dose: 30, Price: 18.99 })).toMatchObject({ ok: true, data: { Transaction: 1 } });
  twin.pumps.requestUser = undefined;
  twin.deliver(1, 25_000);
  twin.hangUp(1);
  busy = false;
  const rec = await recordOf(driver.saleRecord("OURS"));
  // Today: claim "ok", then "finished 25000 ml" — 474.75 of the attendant's cash sale committed to our customer,
  // though the controller says user 2 authorized it and the agent's id 1 is corroborated (a provable "foreign").
  expect({ claim, rec }).toEqual({ claim: "CONFLICT", rec: "nothing to charge" });
});

it("R5-4: a resend after a lost request is CONFIRMED by the controller on a number the POS took in between (same number, same price): the POS's sale becomes ours, and its user 2 is recorded as the agent's corroborated id", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events, store } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let calls = 0;
  twin.pumps.transactionInfo = (d) => {
    const answer = real(d);
    if (++calls === 2) {
      // Our read-back says "not found"; before our resend lands the attendant authorizes the pump at the POS (user 2), LastTransaction+1 = our number.
      twin.pumps.requestUser = 2;
      twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Volume", Dose: 30, Price: 18.99 });
      twin.pumps.requestUser = undefined;
    }
    return answer;
  };
  const auth = await outcome(driver.authorize(sale("OURS")));
  twin.pumps.transactionInfo = real;
  twin.deliver(1, 25_000);
  twin.hangUp(1);
  const rec = await recordOf(driver.saleRecord("OURS"));
  // Today: "ok", "finished 25000 ml", PTS_USER_MISMATCH (the right id called wrong) and meta/userVerified = 2 (the POS's user):
  // the cash sale is charged to our customer, and the technician is told to set controllerUserId to the POS's id.
  expect({ authorized: auth === "ok", rec, mismatchAlarm: codes(events.events).includes("PTS_USER_MISMATCH"), verified: await store.get("meta/userVerified") }).toEqual({
    authorized: false,
    rec: "nothing to charge",
    mismatchAlarm: false,
    verified: { userId: 1 },
  });
});

it("R5-3: PTS_OWNERSHIP_UNKNOWN promises `claim` charges 'once at the controller's figures', but a claim after the reservation lapsed charges nothing (checked at station level: flow re-parks, reservation-lapsed) — the alarm must say by when", () => {
  const f = PTS_FAULTS.PTS_OWNERSHIP_UNKNOWN!;
  expect(`${f.meaning} ${f.action}`).toMatch(/laps|deadline|expir/i);
});
