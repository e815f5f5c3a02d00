// Third hostile review of issue 14 — repros against the review-2 fixes (571a26f..9a9fb04).
// Each test asserts the CORRECT behaviour; a failure reproduces the bug.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import { endedFigures } from "../../../drivers/pts2/sale-figures.ts";
import type { TxRecord } from "../../../drivers/pts2/transactions.ts";
import { closeAfterEach, openDriver, startTwin } from "./helpers.ts";

const cleanup = closeAfterEach();
type Fault = Extract<DispenserEvent, { type: "fault" }>;
const isFault = (e: DispenserEvent): e is Fault => e.type === "fault";
const r = { flowId: "F", point: 1, pump: 1, transaction: 5, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 50000, phase: "authorized", at: 0 } as TxRecord;
const units = { moneyDigits: 2, priceDigits: 2 };
const f = { transaction: 5, nozzle: 1, fuelGradeId: 1, milli: 10_000 };

it("R3-1 HIGH: price/grade/nozzle agree but Amount 0 for 10 L (volume-only pump protocol) — charged 0 (N6 fixed only on the mismatch path)", () => {
  const e = endedFigures(r, { ...f, priceMinor: 1899, amountMinor: 0 }, 0, units);
  expect(e.amountMinor).toBe(18990);
});

it("R3-2 HIGH: price agrees, Amount not Price x Volume (1.00 for 10 L) — charged the bogus Amount, no PTS_SALE_MISMATCH", () => {
  const e = endedFigures(r, { ...f, priceMinor: 1899, amountMinor: 100 }, 0, units);
  expect(e.amountMinor).toBe(18990);
  expect(e.mismatch).toBeDefined();
});

it("R3-4 HIGH: controllerUserId configured wrong (1, the controller's agent user is 7): confirmed sales never flag it, and the first lost answer abandons our own fill — free fuel", async () => {
  const twin = await startTwin({ userId: 7 });
  const first = await openDriver(twin, { controllerUserId: 1 });
  // A normal sale: the controller confirms, its UserId 7 contradicts the configured 1.
  twin.liftNozzle(1, 1);
  await first.events.waitFor((e) => e.type === "call");
  await first.driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "A", gradeId: "95" });
  twin.deliver(1, 1_000);
  twin.hangUp(1);
  await first.events.waitFor((e) => e.type === "end" && e.transactionId === "A");
  await first.driver.settled("A");
  const earlyAlarms = first.events.events.filter(isFault).map((e) => e.code);
  await first.driver.close();
  const { driver, events } = await openDriver(twin, { controllerUserId: 1 }, first.store);
  cleanup(() => driver.close(), () => twin.close());
  // Next customer: the PumpAuthorize answer is lost, the authorization landed.
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const auth = await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "B", gradeId: "95" }).then(() => "ok", (e: { context?: { code?: string } }) => e.context?.code ?? "error");
  twin.deliver(1, 20_000);
  twin.hangUp(1);
  const rec = await driver.saleRecord("B").then((x) => x?.state ?? "nothing to charge", () => "parked");
  const lateAlarms = events.events.filter(isFault).map((e) => e.code);
  // Correct: the contradiction is alarmed at the confirmed sale, and our landed fill is charged (or parked) — never dropped.
  expect({ earlyAlarms, auth, rec, lateAlarms, pump: twin.pumps.pumps.get(1)!.current?.transaction }).toMatchObject({ earlyAlarms: expect.arrayContaining([expect.stringMatching(/USER/)]), rec: expect.not.stringMatching(/nothing/) });
  // After the fix: PTS_USER_MISMATCH at the confirmed sale; the lost answer parks (never "foreign").
  expect(earlyAlarms).toEqual(["PTS_USER_MISMATCH"]);
  expect({ auth, rec }).toEqual({ auth: "PTS_OWNERSHIP_UNKNOWN", rec: "parked" });
  expect(lateAlarms).toEqual(["PTS_OWNERSHIP_UNKNOWN"]);
});

// R3-5 as the driver can detect it: the reviewer's exact sequence (our request dropped, the POS
// then takes the very number under the very user) leaves no evidence at all; what the agent can
// see is its number probe finding a number taken under its own UserId that it never sent. Here
// that sale is one the controller holds under the number the agent picks next (another system
// numbering on the pump; the twin's LastTransaction does not show it).
it("R3-5 MEDIUM: the attendant's POS shares the agent's controller user — the probe sees a number taken under our user that we never sent: PTS_USER_SHARED, and a later lost answer parks instead of settling the POS's cash sale", async () => {
  const twin = await startTwin({ userId: 1 });
  twin.pumps.records.set("1:1", { pump: 1, userId: 1, transaction: 1, nozzle: 1, nozzleUsed: 1, fuelGradeId: 1, priceMinor: 1899, doseType: "Volume", dose: 5000, milli: 5000, amountMinor: 9495, state: "Finished", startedAt: 0, endedAt: 0 });
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let linkBad = false;
  let probes = 0;
  // Two probes answered (number 1: taken, number 2: free), then the link stays bad.
  twin.pumps.transactionInfo = (d) => (linkBad ? { ok: false, code: 41 } : (++probes, (linkBad = probes >= 2), real(d)));
  await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "OURS", gradeId: "95" }).catch(() => undefined);
  expect(events.events.filter(isFault).map((e) => e.code)).toEqual(["PTS_USER_SHARED"]);
  twin.pumps.requestUser = 1; // the POS logs in as the same controller user, and takes our number
  expect(twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Volume", Dose: 30, Price: 18.99, Transaction: 2 })).toMatchObject({ ok: true, data: { Transaction: 2 } });
  twin.pumps.requestUser = undefined;
  twin.deliver(1, 25_000);
  twin.hangUp(1);
  linkBad = false;
  const rec = await driver.saleRecord("OURS").catch((e: { context?: { code?: string } }) => e.context?.code ?? "error");
  // Correct: parked. Before the fix: finished 25 L, 474.75 -> committed to Glase, no alarm.
  expect(rec).toBe("PTS_OWNERSHIP_UNKNOWN");
  expect(events.events.filter(isFault).map((e) => e.code)).toEqual(["PTS_USER_SHARED", "PTS_OWNERSHIP_UNKNOWN"]);
});
