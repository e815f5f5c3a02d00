// Seventh hostile review of issue 14 — driver-level repros (real driver over loopback HTTP to the
// virtual PTS-2; pure rules where that says it). Each test asserts the CORRECT behaviour.
// Run: cp into test/drivers/pts2/ and `npx vitest run test/drivers/pts2/review7-units.test.ts`.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../../contracts/dispenser.ts";
import { PTS_FAULTS } from "../../../../drivers/pts2/alarms.ts";
import { closeAfterEach, openDriver, received, startTwin } from "../helpers.ts";

const cleanup = closeAfterEach();
type Fault = Extract<DispenserEvent, { type: "fault" }>;
const isFault = (e: DispenserEvent): e is Fault => e.type === "fault";
const sale = (id: string) => ({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");

/** Fresh install; our PumpAuthorize is lost and the POS takes our number (nozzle down): parked on the POS's waiting authorization. */
async function parkedOnPosAuthorization(pollIntervalMs: number) {
  const twin = await startTwin({ userId: 1 });
  const { driver, events } = await openDriver(twin, { controllerUserId: undefined, pollIntervalMs });
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  await events.waitFor((e) => e.type === "call");
  twin.hangUp(1);
  await driver.pollOnce();
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let calls = 0;
  twin.pumps.transactionInfo = (d) => {
    const answer = real(d);
    if (++calls === 2) {
      twin.pumps.requestUser = 2; // the attendant's POS takes our number between our read-back and our resend
      twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Volume", Dose: 30, Price: 18.99 });
      twin.pumps.requestUser = undefined;
    }
    return answer;
  };
  const auth = await outcome(driver.authorize(sale("OURS")));
  twin.pumps.transactionInfo = real;
  expect(auth).toBe("PTS_OWNERSHIP_UNKNOWN");
  expect(events.events.filter(isFault).some((e) => e.code === "PTS_OWNERSHIP_UNKNOWN")).toBe(true);
  return { twin, driver, events };
}

it("R7-3: the stop gate decides on the last poll's status — a parked flow's stop cuts the POS customer who lifted the nozzle since that poll", async () => {
  // A long poll interval makes the one-interval window deterministic (500 ms by default: the same race, narrower).
  const { twin, driver } = await parkedOnPosAuthorization(60_000);
  await driver.pollOnce(); // the driver's last view: idle, the POS's authorization waiting under the parked number
  twin.liftNozzle(1, 1); // the POS's customer starts filling
  twin.deliver(1, 2_000);
  const before = received(twin, "PumpStop").length;
  await driver.stop(1); // the parked flow's guard (secure timer / link-up / technician) asks for a stop
  expect({ stops: received(twin, "PumpStop").length - before, pos: twin.pumps.pumps.get(1)!.current?.state, posMilli: twin.pumps.pumps.get(1)!.current?.milli })
    .toEqual({ stops: 0, pos: "Filling", posMilli: 2_000 });
});

it("R7-4: PTS_OWNERSHIP_UNKNOWN's alarm (message and catalogue) still says the pump is not stopped / not touched, though R6-1 now revokes a waiting authorization of the parked number", async () => {
  const { events } = await parkedOnPosAuthorization(60_000);
  const fault = events.events.filter(isFault).find((e) => e.code === "PTS_OWNERSHIP_UNKNOWN")!;
  const texts = { message: fault.message, meaning: PTS_FAULTS.PTS_OWNERSHIP_UNKNOWN!.meaning };
  expect({ messageSaysNotStopped: /not stopped/.test(texts.message), catalogueSaysNotTouched: /pump not touched/.test(texts.meaning) })
    .toEqual({ messageSaysNotStopped: false, catalogueSaysNotTouched: false });
});

it("R7-6: a controller that numbers authorizations itself (the driver accepts it: pts_transaction_renumbered) — one lost PumpAuthorize answer leaves our authorization live under a number the book never holds: nobody stops it, the next driver fuels free", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  // Firmware that ignores the requested Transaction and numbers on its own — a counter shared by the
  // controller's pumps (its other pumps sold meanwhile), so it runs ahead of "LastTransaction + 1".
  const real = twin.pumps.authorize.bind(twin.pumps);
  twin.pumps.authorize = (d) => {
    const p = twin.pumps.pumps.get(d.Pump as number)!;
    p.nextTransaction = Math.max(p.nextTransaction, 40) + 4;
    const { Transaction: _ignored, ...rest } = d;
    return real(rest);
  };
  // A first sale: confirmed as 44 although 1 was asked — accepted with a log line, no alarm.
  await driver.authorize(sale("FIRST"));
  twin.liftNozzle(1, 1);
  twin.deliver(1, 1_000);
  twin.hangUp(1);
  await driver.settled("FIRST").catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  // The next sale's answer is lost; the customer holds no nozzle yet.
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const auth = await outcome(driver.authorize(sale("SECOND")));
  await driver.stop(1).catch(() => undefined); // the flow gives the sale up and stops the point
  await driver.settled("SECOND").catch(() => undefined);
  await new Promise((r) => setTimeout(r, 1_500)); // several polls: the driver had every chance to revoke it
  const waiting = twin.pumps.pumps.get(1)!.current;
  twin.liftNozzle(1, 1); // the next driver
  const free = twin.deliver(1, 20_000);
  expect({ auth, leftWaiting: waiting?.state, freeMilli: free }).toMatchObject({ freeMilli: 0 });
});
