// npm run bench:receipts — the refund/reprint lookup of one receipt by ersReference at 1,000 and
// 80,000 receipts (a year of a busy kiosk under retentionDays 400), next to the old way (read all
// receipts, then find) measured in the same run: the ratio 80k/1k says whether it grows with
// the table.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sqlite3 from "sqlite3";
import { openJournal } from "../agent/journal/journal.ts";

const dir = mkdtempSync(join(tmpdir(), "bench-receipts-"));
const LOOKUPS = 200;

function exec(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<void> {
  return new Promise((resolve, reject) => db.run(sql, params, (e) => (e ? reject(e) : resolve())));
}

async function measure(n: number) {
  const path = join(dir, `j${n}.sqlite`);
  await (await openJournal({ path })).close();
  const db = new sqlite3.Database(path);
  await exec(db, "BEGIN");
  for (let i = 0; i < n; i++) {
    await exec(db, "INSERT INTO receipts(flow_id, ers_reference, content, printed, at) VALUES (?, ?, ?, 1, ?)", [
      `P1-${i}`,
      `ERS-${i}`,
      JSON.stringify({ amountMinor: 1000 + i, currency: "SEK", point: 1, lines: [{ text: "Blyfri 95 32.10 L", amountMinor: 60_000 }], at: i }),
      1_700_000_000_000 + i,
    ]);
  }
  await exec(db, "COMMIT");
  await new Promise<void>((r) => db.close(() => r()));
  const journal = await openJournal({ path });
  let t = performance.now();
  for (let k = 0; k < LOOKUPS; k++) await journal.receiptsMatching(`ERS-${(k * 7919) % n}`);
  const indexedMs = (performance.now() - t) / LOOKUPS;
  const rss0 = process.memoryUsage().rss;
  t = performance.now();
  const scans = 3;
  for (let k = 0; k < scans; k++) (await journal.receipts()).find((r) => r.ersReference === `ERS-${k}`);
  const scanMs = (performance.now() - t) / scans;
  const rssMiB = (process.memoryUsage().rss - rss0) / 2 ** 20;
  await journal.close();
  return { indexedMs, scanMs, rssMiB };
}

const small = await measure(1_000);
const large = await measure(80_000);
console.log(`receipt lookup by ersReference, ${LOOKUPS} lookups each:`);
console.log(`  1,000 receipts:  indexed ${small.indexedMs.toFixed(3)} ms, read-all-then-find ${small.scanMs.toFixed(1)} ms`);
console.log(`  80,000 receipts: indexed ${large.indexedMs.toFixed(3)} ms, read-all-then-find ${large.scanMs.toFixed(1)} ms (RSS +${large.rssMiB.toFixed(0)} MiB)`);
console.log(`  ratio 80k/1k: indexed ${(large.indexedMs / small.indexedMs).toFixed(2)}×, read-all ${(large.scanMs / small.scanMs).toFixed(1)}×`);
rmSync(dir, { recursive: true, force: true });
