// Sixth hostile review of issue 14 — pure-rule repros. Each asserts the CORRECT behaviour (fails on rv14f c7e1319).
// Run: cp into test/drivers/pts2/ and `npx vitest run test/drivers/pts2/review6-units.test.ts`.
import { expect, it } from "vitest";
import { ownershipOf } from "../../../drivers/pts2/ownership.ts";
import { provenOurs, stoppable } from "../../../drivers/pts2/stop-gate.ts";
import type { TxRecord as Rec } from "../../../drivers/pts2/transactions.ts";

const rec = (over: Partial<Rec> = {}): Rec => ({ flowId: "F1", point: 1, pump: 1, transaction: 5, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 10000, phase: "authorizing", at: 0, probedAt: 0, ...over });
const user = { id: () => 1, distrust: () => undefined, evidence: () => ({ userId: 1, trusted: true }), doubtAbout: () => undefined };
const info = { pump: 1, transaction: 5, state: "Filling" as const, nozzle: 1, fuelGradeId: 1, milli: 1000, amountMinor: 1899, priceMinor: 1899 };
const filling = { kind: "filling" as const, pump: 1, transaction: 5, nozzle: 1, fuelGradeId: 1, milli: 1000, amountMinor: 1899, priceMinor: 1899 };

it("R6-2: a claim the controller provably contradicts (R5-2: 'not ours') still counts as PROVEN ours for the stop gate and the tracker's progress", () => {
  // Parked while a PTS_USER_MISMATCH doubted the id it was sent as (trusted, user 1); the mismatch clears on our next
  // confirmed sale; a technician claims; the controller says user 2 (the POS) authorized it.
  const claimed = rec({ ownershipUnknownAt: 1, claimedAt: 2, sentAs: { userId: 1, trusted: true } });
  expect(ownershipOf(claimed, { ...info, userId: 2 }, user).ours).toBe(false);
  // Until the next read-back turns it "refused", the POS's fill is reported as our flow's progress and PumpStop-ped:
  expect({ proven: provenOurs(claimed), stoppable: stoppable(claimed, filling) }).toEqual({ proven: false, stoppable: false });
});

it("R6-1 (rule form): a parked authorization WAITING for the nozzle is never revoked, while an unparked one in the same state is", () => {
  const idleWaiting = { kind: "idle" as const, pump: 1, nozzleUp: 0, transaction: 5, request: "PumpAuthorize" };
  // Same evidence, same pump state (nobody fuels yet): the unparked one is revocable, the parked one never — even after
  // its reservation lapsed / a technician cancelled the flow. Correct: revocable once its flow gave the sale up.
  expect({ unparked: stoppable(rec(), idleWaiting), parked: stoppable(rec({ ownershipUnknownAt: 1 }), idleWaiting) }).toEqual({ unparked: true, parked: true });
});
