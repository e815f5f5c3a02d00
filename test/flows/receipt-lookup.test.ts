// A refund or reprint looks up one receipt by its ersReference (review 2 #7): it used to read
// every receipt (`SELECT * FROM receipts ORDER BY at`, 80,000 after a year: 0.76 s, +77 MiB, on
// the writer connection). The lookup now goes through an index — checked in sqlite's own query
// plan, so the test does not depend on timing (npm run bench:receipts has the figures).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sqlite3 from "sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openJournal } from "../../agent/journal/journal.ts";
import type { Journal } from "../../agent/journal/types.ts";

let dir: string;
let journal: Journal;
const N = 5_000;

function exec(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<unknown[]> {
  return new Promise((resolve, reject) => db.all(sql, params, (e, rows) => (e ? reject(e) : resolve(rows))));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-receipts-"));
  const path = join(dir, "journal.sqlite");
  (await openJournal({ path })).close();
  const db = new sqlite3.Database(path);
  await exec(db, "BEGIN");
  for (let i = 0; i < N; i++) {
    const content = JSON.stringify({ amountMinor: 1000 + i, currency: "SEK", point: 1 + (i % 3) });
    await exec(db, "INSERT INTO receipts(flow_id, ers_reference, content, printed, at) VALUES (?, ?, ?, 1, ?)", [`P1-${i}`, `ERS-${i}`, content, 1_700_000_000_000 + i]);
  }
  await exec(db, "COMMIT");
  await new Promise<void>((r) => db.close(() => r()));
  journal = await openJournal({ path });
});
afterAll(async () => {
  await journal?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("receipt lookup by key", () => {
  it("finds a receipt by ersReference or by flow id, and only that one", async () => {
    const byErs = await journal.receiptsMatching("ERS-4321");
    expect(byErs.map((r) => [r.flowId, r.ersReference, (r.content as { amountMinor: number }).amountMinor])).toEqual([["P1-4321", "ERS-4321", 5321]]);
    expect((await journal.receiptsMatching("P1-17")).map((r) => r.ersReference)).toEqual(["ERS-17"]);
    expect(await journal.receiptsMatching("ERS-none")).toEqual([]);
  });

  it("uses an index for the ersReference (no scan of the receipts table)", async () => {
    const db = new sqlite3.Database(join(dir, "journal.sqlite"), sqlite3.OPEN_READONLY);
    const plan = (await exec(db, "EXPLAIN QUERY PLAN SELECT * FROM receipts WHERE ers_reference = ? ORDER BY at", ["ERS-1"])) as Array<{ detail: string }>;
    await new Promise<void>((r) => db.close(() => r()));
    const details = plan.map((p) => p.detail).join("; ");
    expect(details).toMatch(/SEARCH receipts USING INDEX/);
    expect(details).not.toMatch(/SCAN receipts/);
  });
});
