// Review 9 final LOW 3: a paid-amount-mismatch from the closing read of a flow that never
// committed (paid-while-canceling, then mark-settled) said "… but undefined was committed".
import { expect, it } from "vitest";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { amountMismatch } from "../../agent/core/preliminary-steps.ts";
import { ctxAt } from "./helpers.ts";

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const START = { flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L" as const, grades: GRADES, gradeId: "95", reserveMinor: 50000 };

it("a PAID on a never-committed flow says nothing was committed", () => {
  const s = startPreliminary(START, ctxAt(0)).state as PreliminaryState;
  expect(s.commitMinor).toBeUndefined();
  const [alarm] = amountMismatch({ ...s, invoiceRef: "INV1" }, { kind: "ok", status: "PAID", ersReference: "E1", paidMinor: 50000 });
  expect(alarm).toMatchObject({ type: "alarm", code: "paid-amount-mismatch", message: "point 1: invoice INV1 is PAID 50000 but nothing was committed" });
});

it("a PAID of another figure than committed names the committed one", () => {
  const s = startPreliminary(START, ctxAt(0)).state as PreliminaryState;
  const [alarm] = amountMismatch({ ...s, invoiceRef: "INV1", commitMinor: 3798 }, { kind: "ok", status: "PAID", ersReference: "E1", paidMinor: 50000 });
  expect(alarm).toMatchObject({ message: "point 1: invoice INV1 is PAID 50000 but 3798 was committed" });
});
