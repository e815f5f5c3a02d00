// npm run bench:journal — durable transitions per second of the journal next to a raw sqlite3
// single-row insert loop (WAL, synchronous=FULL) of rows of the same size, measured in the same
// run on the same disk, and
// the time to recover 1,000 unfinished flows (read + recover transitions + one batched write), and
// what compaction costs the flows: appends made while 20,000 finished flows are compacted away
// (each durable when it resolves), their latency and the compaction's own duration.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sqlite3 from "sqlite3";
import { startPreliminary } from "../agent/core/preliminary.ts";
import { transition } from "../agent/core/transition.ts";
import { recoverFlows } from "../agent/flows/recovery.ts";
import { recordOf } from "../agent/flows/runner.ts";
import { openJournal } from "../agent/journal/journal.ts";
import { MIGRATIONS } from "../agent/journal/schema.ts";
import { SETTINGS, ctxAt } from "../test/support/flow-settings.ts";

const N = Number(process.env.BENCH_N ?? 2000);
const ROUNDS = 3;
const dir = mkdtempSync(join(tmpdir(), "bench-journal-"));

const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const start = (i: number) =>
  startPreliminary({ flowId: `P1-bench${i}`, point: 1, terminalId: "0460000300002010", currency: "SEK", stationName: "Bench", unit: "L", grades: GRADES, reserveMinor: 50000 }, ctxAt(i));

/**
 * Raw baseline: same pragmas, same table, one prepared single-row INSERT per iteration of rows
 * serialised in advance — the bare cost of a durable row of that size, without any journal code.
 */
async function raw(path: string): Promise<number> {
  const db = new sqlite3.Database(path);
  await new Promise<void>((res, rej) =>
    db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; ${MIGRATIONS[0]}`, (e) => (e ? rej(e) : res())),
  );
  const stmt = db.prepare("INSERT INTO steps(flow_id, kind, point, terminal_id, at, input, state, state_name, finished, parked, effects) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  const rows = Array.from({ length: N }, (_, i) => {
    const s = start(i);
    return [s.state.flowId, "preliminary", 1, "0460000300002010", i, JSON.stringify({ type: "start" }), JSON.stringify(s.state), s.state.phase, 0, 0, JSON.stringify(s.effects)];
  });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await new Promise<void>((res, rej) => stmt.run(rows[i], (e: Error | null) => (e ? rej(e) : res())));
  const s = (performance.now() - t0) / 1000;
  await new Promise<void>((res) => stmt.finalize(() => db.close(() => res())));
  return N / s;
}

/** The journal: a real transition (state + input + effect intents) per durable append. */
async function journal(path: string): Promise<number> {
  const j = await openJournal({ path });
  const steps = Array.from({ length: N }, (_, i) => start(i));
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await j.append(recordOf(steps[i]!.state, { type: "start" }, steps[i]!.effects, i));
  const s = (performance.now() - t0) / 1000;
  await j.close();
  return N / s;
}

async function recovery(path: string): Promise<number> {
  const j = await openJournal({ path });
  const records = [];
  for (let i = 0; i < 1000; i++) {
    const s1 = start(i);
    const s2 = transition(s1.state, { type: "glase", op: "sendInvoice", ref: s1.state.pending!.ref, outcome: { kind: "ok", invoiceReference: `INV${i}` } }, ctxAt(i));
    records.push(recordOf(s2.state, { type: "start" }, s2.effects, i));
  }
  await j.appendMany(records);
  await j.close();
  const t0 = performance.now();
  const j2 = await openJournal({ path });
  const recovered = await recoverFlows(j2, Date.now(), SETTINGS, 0.5);
  const ms = performance.now() - t0;
  await j2.close();
  if (recovered.length !== 1000) throw new Error(`recovered ${recovered.length}, expected 1000`);
  return ms;
}

/** Appends in a loop while compaction deletes `old` finished flows: append p50/max latency, appends/s, compaction ms. */
async function duringCompaction(path: string, old = 20_000): Promise<{ p50: number; max: number; rate: number; compactMs: number; appends: number }> {
  const j = await openJournal({ path });
  const steps = Array.from({ length: old }, (_, i) => start(i));
  await j.appendMany(steps.map((s, i) => ({ ...recordOf({ ...s.state, phase: "finished" }, { type: "start" }, s.effects, i), finished: true })));
  const live = Array.from({ length: 2000 }, (_, i) => start(old + i));
  const latencies: number[] = [];
  const t0 = performance.now();
  let done = false;
  const compaction = j.compact(old).then(() => (done = true));
  let i = 0;
  for (; !done && i < live.length; i++) {
    const a = performance.now();
    await j.append(recordOf(live[i]!.state, { type: "start" }, live[i]!.effects, old + i));
    latencies.push(performance.now() - a);
  }
  await compaction;
  const compactMs = performance.now() - t0;
  await j.close();
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(latencies.length / 2)] ?? NaN, max: latencies.at(-1) ?? NaN, rate: i / (compactMs / 1000), compactMs, appends: i };
}

try {
  const rawRates: number[] = [];
  const journalRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved so background load hits both sides alike.
    rawRates.push(await raw(join(dir, `raw${r}.db`)));
    journalRates.push(await journal(join(dir, `journal${r}.db`)));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rawRate = median(rawRates);
  const journalRate = median(journalRates);
  const recoverMs = await recovery(join(dir, "recover.db"));
  const c = await duringCompaction(join(dir, "compact.db"));
  console.log(`raw sqlite3 insert loop (WAL, FULL): ${rawRate.toFixed(0)} rows/s (median of ${ROUNDS} × ${N})`);
  console.log(`journal durable transitions:         ${journalRate.toFixed(0)} transitions/s`);
  console.log(`ratio journal/raw: ${(journalRate / rawRate).toFixed(2)} (goal ≥ 0.9)`);
  console.log(`recover 1000 unfinished flows: ${recoverMs.toFixed(0)} ms (goal < 1000 ms)`);
  console.log(
    `appends while compacting 20000 finished flows: ${c.appends} appends, ${c.rate.toFixed(0)}/s, latency p50 ${c.p50.toFixed(2)} ms max ${c.max.toFixed(1)} ms; compaction ${c.compactMs.toFixed(0)} ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
