// Review 14t, T1: a claim racing a loss of the same record (a read losing it, queued on the record's
// update chain between the verdict's checks and its write) is refused, never recorded as a claim.
import { expect, it } from "vitest";
import { createLogger } from "../../../base/log.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { technicianVerdict } from "../../../drivers/pts2/technician-verdict.ts";
import { TransactionBook, type TxRecord } from "../../../drivers/pts2/transactions.ts";

it("a claim whose write lands after a concurrent loss is a CONFLICT and writes no claim", async () => {
  const book = new TransactionBook(new MemoryDriverStore(), () => 1000);
  const parked: TxRecord = { flowId: "S1", point: 1, pump: 1, transaction: 7, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1990, limitMinor: 50000, phase: "authorizing", at: 1, ownershipUnknownAt: 2 };
  await book.create(parked);
  const losing = book.update("S1", () => ({ lostAt: 3, closedAt: 3 })); // queued, not yet applied
  const claim = technicianVerdict(book, "S1", "ours", 4, createLogger("t"));
  await losing;
  await expect(claim).rejects.toMatchObject({ code: "CONFLICT", context: { lost: true } });
  expect(book.byFlow("S1")?.claimedAt).toBeUndefined();
});
