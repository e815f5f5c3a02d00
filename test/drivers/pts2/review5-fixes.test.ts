// Review 5 follow-ups beyond the reviewer's repros: the fresh-install form of R5-4 (nothing
// corroborated yet: a confirmed resend on the POS's sale must park, and teach no id), and R5-1's
// "securing" form (our sale ended and closed, the POS fills the next number: a stop of ours sends
// no PumpStop). Real driver over loopback HTTP against the virtual PTS-2.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import { ownershipOf } from "../../../drivers/pts2/ownership.ts";
import { stoppable } from "../../../drivers/pts2/stop-gate.ts";
import type { TxRecord as Rec } from "../../../drivers/pts2/transactions.ts";
import { closeAfterEach, openDriver, received, startTwin } from "./helpers.ts";

const cleanup = closeAfterEach();
type Fault = Extract<DispenserEvent, { type: "fault" }>;
const isFault = (e: DispenserEvent): e is Fault => e.type === "fault";
const sale = (id: string) => ({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");

it("R5-4 on a fresh install: a resend confirmed on the POS's sale under our number parks PTS_OWNERSHIP_UNKNOWN and learns no user id", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events, store } = await openDriver(twin, { controllerUserId: undefined });
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let calls = 0;
  twin.pumps.transactionInfo = (d) => {
    const answer = real(d);
    if (++calls === 2) {
      twin.pumps.requestUser = 2; // the POS takes our number between our read-back and our resend
      twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Volume", Dose: 30, Price: 18.99 });
      twin.pumps.requestUser = undefined;
    }
    return answer;
  };
  const auth = await outcome(driver.authorize(sale("OURS")));
  twin.pumps.transactionInfo = real;
  expect({
    auth,
    parked: events.events.filter(isFault).some((e) => e.code === "PTS_OWNERSHIP_UNKNOWN"),
    learned: await store.get("meta/userId"),
    verified: await store.get("meta/userVerified"),
  }).toEqual({ auth: "PTS_OWNERSHIP_UNKNOWN", parked: true, learned: undefined, verified: undefined });
  // And the parked sale is not ours to stop: a stop of the flow sends no PumpStop while the POS fills.
  twin.deliver(1, 2_000);
  await events.waitFor((e) => e.type === "fault" && e.code === "PTS_OWNERSHIP_UNKNOWN");
  const before = received(twin, "PumpStop").length;
  await driver.stop(1);
  expect({ stops: received(twin, "PumpStop").length - before, pos: twin.pumps.pumps.get(1)!.current?.state }).toEqual({ stops: 0, pos: "Filling" });
});

it("R5-1 securing form: our sale ended and closed, the POS fills the next number — a late stop of our flow sends no PumpStop", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  await driver.authorize(sale("OURS"));
  twin.deliver(1, 5_000);
  twin.hangUp(1);
  await events.waitFor((e) => e.type === "end" && e.transactionId === "OURS");
  await driver.settled("OURS"); // closed on the controller
  twin.pumps.requestUser = 2;
  expect(twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Volume", Dose: 30, Price: 18.99 })).toMatchObject({ ok: true });
  twin.pumps.requestUser = undefined;
  twin.liftNozzle(1, 1);
  twin.deliver(1, 1_000);
  await driver.status(); // the driver has seen the POS's fill
  const before = received(twin, "PumpStop").length;
  await driver.stop(1);
  expect({ stops: received(twin, "PumpStop").length - before, pos: twin.pumps.pumps.get(1)!.current?.state }).toEqual({ stops: 0, pos: "Filling" });
});

it("R5-2 pure rules: a claim never beats a provable UserId contradiction; the stop gate never stops a parked sale or another number's fill", () => {
  const rec = (over: Partial<Rec> = {}): Rec => ({ flowId: "F1", point: 1, pump: 1, transaction: 5, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 10000, phase: "authorizing", at: 0, probedAt: 0, ...over });
  const user = { id: () => 1, distrust: () => undefined, evidence: () => ({ userId: 1, trusted: true }), doubtAbout: () => undefined };
  const info = { pump: 1, transaction: 5, state: "Filling" as const, nozzle: 1, fuelGradeId: 1, milli: 1000, amountMinor: 1899, priceMinor: 1899 };
  const claimed = rec({ ownershipUnknownAt: 1, claimedAt: 2, sentAs: { userId: 1, trusted: true } });
  expect(ownershipOf(claimed, { ...info, userId: 2 }, user).ours).toBe(false); // provably user 2's
  expect(ownershipOf(claimed, { ...info, userId: 1 }, user).ours).toBe(true);
  expect(ownershipOf(rec({ ownershipUnknownAt: 1, claimedAt: 2, sentAs: { trusted: false, gap: "unverified" } }), { ...info, userId: 2 }, user).ours).toBe(true); // nothing provable: the technician's word
  const filling = { kind: "filling" as const, pump: 1, transaction: 5, nozzle: 1, fuelGradeId: 1, milli: 1000, amountMinor: 1899, priceMinor: 1899 };
  expect(stoppable(rec({ ownershipUnknownAt: 1 }), filling)).toBe(false); // parked: never touched
  // Parked but the pump idle on its own number: only our waiting authorization is revoked (review 6 R6-1).
  expect(stoppable(rec({ ownershipUnknownAt: 1 }), { kind: "idle", pump: 1, nozzleUp: 0, transaction: 5, request: "x" })).toBe(true);
  expect(stoppable(rec({ ownershipUnknownAt: 1 }), { kind: "idle", pump: 1, nozzleUp: 0, transaction: 6, request: "x" })).toBe(false); // another authorization waits
  expect(stoppable(rec(), filling)).toBe(false); // unproven and filling: may be the POS's
  expect(stoppable(rec(), { kind: "idle", pump: 1, nozzleUp: 0, transaction: 5, request: "x" })).toBe(true); // revoke a maybe-ours authorization before anybody fills
  expect(stoppable(rec({ phase: "authorized" }), filling)).toBe(true);
  expect(stoppable(rec({ phase: "authorized" }), { ...filling, transaction: 6 })).toBe(false); // the pump fills someone else's number
});
