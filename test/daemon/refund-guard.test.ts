// The refund guard's gaps of review 2 #10, on a real journal file: refund totals outlive the
// compaction of their flows (Invoice Service payments are kept for ever), a refund that ended
// after repeated 93/94 may have been done and counts, and forced refunds are checked against
// each other (the same amount again is the double a repeated command makes).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sqlite3 from "sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RefundGuard, refundedMinor } from "../../agent/daemon/refund-guard.ts";
import { isAgentError } from "../../agent/errors.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { Journal } from "../../agent/journal/types.ts";

let dir: string;
let path: string;
let journal: Journal;

async function refundFlow(flowId: string, state: Record<string, unknown>, finished: boolean, at: number): Promise<void> {
  const db = new sqlite3.Database(path);
  await new Promise<void>((resolve, reject) =>
    db.run(
      "INSERT INTO steps(flow_id, kind, point, terminal_id, at, input, state, state_name, finished, parked, effects) VALUES (?, 'refund', 1, 'T1', ?, '{}', ?, ?, ?, 0, '[]')",
      [flowId, at, JSON.stringify({ kind: "refund", ...state }), finished ? "finished" : "refunding", finished ? 1 : 0],
      (e) => (e ? reject(e) : resolve()),
    ),
  );
  await new Promise<void>((r) => db.close(() => r()));
}

const conflict = (e: unknown) => isAgentError(e, "CONFLICT");
const DAY = 86_400_000;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-guard-"));
  path = join(dir, "journal.sqlite");
  await (await openJournal({ path })).close();
});
afterEach(async () => {
  await journal?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("refund guard", () => {
  it("keeps a payment's refunded total after its refund flows are compacted away", async () => {
    const old = Date.now() - 400 * DAY;
    await refundFlow("R-1", { ersReference: "ERS-A", amountMinor: 500, outcome: "refunded" }, true, old);
    await refundFlow("R-2", { ersReference: "ERS-A", amountMinor: 200, outcome: "failed", failCode: 98 }, true, old); // refused: nothing refunded
    journal = await openJournal({ path });
    expect(await journal.compact(Date.now() - 90 * DAY)).toBe(2);
    expect(await journal.flows({ kind: "refund", limit: 100 })).toEqual([]);
    expect(await refundedMinor(journal, "ERS-A")).toBe(500);
    const guard = new RefundGuard(journal);
    await expect(guard.refund({ ersReference: "ERS-A", amountMinor: 600, paidMinor: 1000, currency: "SEK" }, async () => "sent")).rejects.toSatisfy(conflict);
    expect(await guard.refund({ ersReference: "ERS-A", amountMinor: 500, paidMinor: 1000, currency: "SEK" }, async () => "sent")).toBe("sent");
  });

  it("a forced refund repeated after its first was compacted away is refused (review 3 #8)", async () => {
    await refundFlow("R-F", { ersReference: "ERS-F", amountMinor: 400, outcome: "refunded" }, true, Date.now() - 400 * DAY);
    journal = await openJournal({ path });
    expect(await journal.compact(Date.now() - 90 * DAY)).toBe(1);
    const guard = new RefundGuard(journal);
    let sent = 0;
    await expect(guard.unchecked({ ersReference: "ERS-F", amountMinor: 400 }, async () => ++sent)).rejects.toSatisfy(
      (e) => conflict(e) && /ERS-F already has 4\.00 refunded .* compacted/.test((e as Error).message),
    );
    expect(sent).toBe(0);
    expect(await guard.unchecked({ ersReference: "ERS-G", amountMinor: 400 }, async () => ++sent)).toBe(1); // another payment: as before
  });

  it("counts a refund that ended after repeated 93/94 as possibly done", async () => {
    await refundFlow("R-3", { ersReference: "ERS-B", amountMinor: 1000, outcome: "failed", failCode: 93 }, true, Date.now());
    journal = await openJournal({ path });
    expect(await refundedMinor(journal, "ERS-B")).toBe(1000);
    await expect(new RefundGuard(journal).refund({ ersReference: "ERS-B", amountMinor: 1, paidMinor: 1000, currency: "SEK" }, async () => "sent")).rejects.toSatisfy(conflict);
  });

  it("refuses a forced refund of the same amount as one done or running, allows another amount", async () => {
    await refundFlow("R-4", { ersReference: "ERS-C", amountMinor: 300 }, false, Date.now());
    journal = await openJournal({ path });
    const guard = new RefundGuard(journal);
    await expect(guard.unchecked({ ersReference: "ERS-C", amountMinor: 300 }, async () => "sent")).rejects.toSatisfy(conflict);
    expect(await guard.unchecked({ ersReference: "ERS-C", amountMinor: 150 }, async () => "sent")).toBe("sent");
  });
});
