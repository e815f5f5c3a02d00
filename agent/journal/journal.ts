// The crash-safe journal on sqlite3: WAL + synchronous=FULL on every open, schema migrations by
// PRAGMA user_version, one writer connection.
//
// One durable write per transition: a single INSERT of one row into the append-only `steps` log
// (input, new state, effect intents), in its own implicit transaction: atomic, one fsync, as cheap
// as the rawest single-row insert loop, no BEGIN/COMMIT round trips. The current snapshot of a
// flow is its last step (the `flows` view, schema.ts).
//
// Explicit transactions (recovery's batch, compaction) share the one writer connection with those
// single-statement appends. A statement issued while a BEGIN is open joins that transaction: its
// callback would report success before anything is committed, and a ROLLBACK (disk full) or a
// crash would drop a step whose effects already ran. So writes go through a gate (WriteGate): any
// number of single-statement writes run side by side, an explicit transaction runs alone — it waits
// for the writes in flight, and writes arriving meanwhile wait for its COMMIT/ROLLBACK. Compaction
// deletes in small transactions so an append never waits behind more than one of them.
import { countedRefundMinor } from "./refund-totals.ts";
import type sqlite3 from "sqlite3";
import { AgentError } from "../../base/errors.ts";
import type { FlowRecord, Journal, KeptAlarm, ReceiptPage, ReceiptRecord, StepRecord, TransitionRecord, WriteBoundaryHook } from "./types.ts";
import { ackKeptAlarms, compactKeptAlarms, insertKeptAlarms, keptAlarmSeen, openKeptAlarms, unclaimedPayment } from "./kept-alarms.ts";
import { WriteGate } from "./write-gate.ts";
import { MIGRATIONS } from "./schema.ts";
import { openDurableDatabase } from "./durable-sqlite.ts";

export interface JournalOptions {
  readonly path: string;
  /** Crash tests: called before and after every durable write. */
  readonly onWriteBoundary?: WriteBoundaryHook;
}

type Row = Record<string, unknown>;

function fail(op: string, err: Error): AgentError {
  return new AgentError("JOURNAL_FAILED", `journal ${op} failed: ${err.message}`, { op }, { cause: err });
}

function run(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<void> {
  return new Promise((resolve, reject) => db.run(sql, params, (err) => (err ? reject(fail("run", err)) : resolve())));
}

function all(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<Row[]> {
  return new Promise((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(fail("read", err)) : resolve(rows as Row[]))));
}

function exec(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(fail("exec", err)) : resolve())));
}

/** Rows deleted per compaction transaction: short enough that an append waits only milliseconds behind one. */
const COMPACTION_BATCH = 500;

/** Opens (creating and migrating if needed) the journal file. */
export async function openJournal(options: JournalOptions): Promise<Journal> {
  const db = await openDurableDatabase(options.path, MIGRATIONS, "journal");
  return new SqliteJournal(db, options.onWriteBoundary);
}

const INSERT_STEP = `INSERT INTO steps(flow_id, kind, point, terminal_id, at, input, state, state_name, finished, parked, effects)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function stepParams(r: TransitionRecord): unknown[] {
  return [
    r.flowId,
    r.kind,
    r.point ?? null,
    r.terminalId ?? null,
    r.at,
    JSON.stringify(r.input),
    JSON.stringify(r.state),
    r.stateName,
    r.finished ? 1 : 0,
    r.parked ? 1 : 0,
    JSON.stringify(r.effects),
  ];
}

function toFlow(r: Row): FlowRecord {
  return {
    flowId: String(r.flow_id),
    kind: String(r.kind),
    ...(r.point !== null ? { point: Number(r.point) } : {}),
    ...(r.terminal_id !== null ? { terminalId: String(r.terminal_id) } : {}),
    state: JSON.parse(String(r.state)),
    stateName: String(r.state_name),
    finished: r.finished === 1,
    parked: r.parked === 1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    pendingEffects: JSON.parse(String(r.pending)),
  };
}

class SqliteJournal implements Journal {
  private readonly insertStep: sqlite3.Statement;
  private readonly gate = new WriteGate();
  private closed = false;

  constructor(
    private readonly db: sqlite3.Database,
    private readonly boundary: WriteBoundaryHook | undefined,
  ) {
    this.insertStep = db.prepare(INSERT_STEP);
  }

  append(r: TransitionRecord): Promise<number> {
    const label = `${r.flowId}:${r.stateName}`;
    this.boundary?.(`before:${label}`);
    const params = stepParams(r);
    // A step raising an alarm to keep (rare): the step and its alarms in one transaction.
    if (r.alarms?.length) return this.appendKeeping(r, params, label);
    return this.gate.shared(
      () =>
        new Promise<number>((resolve, reject) => {
          const boundary = this.boundary;
          this.insertStep.run(params, function (this: sqlite3.RunResult, err: Error | null) {
            if (err) return reject(fail("append", err));
            boundary?.(`after:${label}`);
            resolve(this.lastID);
          });
        }),
    );
  }

  private async appendKeeping(r: TransitionRecord, params: unknown[], label: string): Promise<number> {
    let seq = 0;
    await this.transaction(async () => {
      seq = await new Promise<number>((resolve, reject) => this.insertStep.run(params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(fail("append", err));
        else resolve(this.lastID);
      }));
      await insertKeptAlarms((sql, p) => run(this.db, sql, p), r.alarms!);
    });
    this.boundary?.(`after:${label}`);
    return seq;
  }

  async appendMany(records: readonly TransitionRecord[]): Promise<void> {
    if (records.length === 0) return;
    const label = `batch:${records.length}`;
    this.boundary?.(`before:${label}`);
    await this.transaction(async () => {
      for (const r of records) {
        await new Promise<void>((resolve, reject) => this.insertStep.run(stepParams(r), (err: Error | null) => (err ? reject(fail("append", err)) : resolve())));
        if (r.alarms?.length) await insertKeptAlarms((sql, p) => run(this.db, sql, p), r.alarms);
      }
    });
    this.boundary?.(`after:${label}`);
  }

  async unfinishedFlows(): Promise<readonly FlowRecord[]> {
    return (await all(this.db, "SELECT * FROM flows WHERE finished = 0 ORDER BY created_at, flow_id")).map(toFlow);
  }

  async flow(flowId: string): Promise<FlowRecord | undefined> {
    const rows = await all(this.db, "SELECT * FROM flows WHERE flow_id = ?", [flowId]);
    return rows[0] ? toFlow(rows[0]) : undefined;
  }

  async flows(opts: { readonly limit?: number; readonly kind?: string; readonly kinds?: readonly string[]; readonly finished?: boolean; readonly updatedSince?: number } = {}): Promise<readonly FlowRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const kinds = opts.kind !== undefined ? [opts.kind] : opts.kinds;
    if (kinds !== undefined) {
      where.push(`kind IN (${kinds.map(() => "?").join(",") || "NULL"})`);
      params.push(...kinds);
    }
    if (opts.finished !== undefined) {
      where.push("finished = ?");
      params.push(opts.finished ? 1 : 0);
    }
    if (opts.updatedSince !== undefined) {
      where.push("updated_at >= ?");
      params.push(opts.updatedSince);
    }
    const sql = `SELECT * FROM flows ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY updated_at DESC LIMIT ?`;
    // (LIMIT -1: none — a time-bounded read returns every flow of its window.)
    return (await all(this.db, sql, [...params, opts.limit ?? (opts.updatedSince !== undefined ? -1 : 100)])).map(toFlow);
  }

  async tail(n: number, opts: { readonly sinceAt?: number; readonly beforeSeq?: number } = {}): Promise<readonly StepRecord[]> {
    const rows = await all(this.db, "SELECT seq, flow_id, at, input, state_name, effects FROM steps WHERE seq < ? AND at >= ? ORDER BY seq DESC LIMIT ?", [
      opts.beforeSeq ?? Number.MAX_SAFE_INTEGER,
      opts.sinceAt ?? 0,
      n,
    ]);
    return rows.reverse().map((r) => ({
      seq: Number(r.seq),
      flowId: String(r.flow_id),
      at: Number(r.at),
      input: JSON.parse(String(r.input)),
      stateName: String(r.state_name),
      effects: JSON.parse(String(r.effects)),
    }));
  }

  async saveReceipt(receipt: ReceiptRecord): Promise<void> {
    const label = `receipt:${receipt.flowId}`;
    this.boundary?.(`before:${label}`);
    await this.gate.shared(() =>
      run(
        this.db,
      `INSERT INTO receipts(flow_id, ers_reference, content, printed, at, paid_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(flow_id) DO UPDATE SET printed = MAX(printed, excluded.printed)`,
        [receipt.flowId, receipt.ersReference, JSON.stringify(receipt.content), receipt.printed ? 1 : 0, receipt.at, receipt.paidAt ?? null],
      ),
    );
    this.boundary?.(`after:${label}`);
  }

  async receipts(page?: ReceiptPage): Promise<readonly ReceiptRecord[]> {
    const rows = page
      ? (
          await all(this.db, "SELECT * FROM receipts WHERE at >= ? AND (at, flow_id) < (?, ?) ORDER BY at DESC, flow_id DESC LIMIT ?", [
            page.sinceAt ?? 0,
            page.before?.at ?? Number.MAX_SAFE_INTEGER,
            page.before?.flowId ?? "",
            page.limit,
          ])
        ).reverse()
      : await all(this.db, "SELECT * FROM receipts ORDER BY at");
    return rows.map(receiptRecord);
  }

  async receiptsMatching(key: string): Promise<readonly ReceiptRecord[]> {
    const byFlow = await all(this.db, "SELECT * FROM receipts WHERE flow_id = ?", [key]);
    const byErs = await all(this.db, "SELECT * FROM receipts WHERE ers_reference = ? ORDER BY at", [key]);
    return [...byFlow, ...byErs.filter((r) => r.flow_id !== key)].map(receiptRecord);
  }

  // Kept alarms (kept-alarms.ts).
  openAlarms = (): Promise<readonly KeptAlarm[]> => openKeptAlarms((sql, p) => all(this.db, sql, p));
  keepAlarms = async (alarms: readonly KeptAlarm[]): Promise<void> => {
    if (alarms.length === 0) return;
    const label = `alarms:${alarms[0]!.flowId}`;
    this.boundary?.(`before:${label}`);
    await this.gate.shared(() => insertKeptAlarms((sql, p) => run(this.db, sql, p), alarms));
    this.boundary?.(`after:${label}`);
  };
  keptAlarmSeen = (flowId: string, code: string, message: string): Promise<boolean> => keptAlarmSeen((sql, p) => all(this.db, sql, p), flowId, code, message);
  ackAlarms = (flowId: string, code: string, message: string, at: number): Promise<void> => this.gate.shared(() => ackKeptAlarms((sql, p) => run(this.db, sql, p), flowId, code, message, at));
  unclaimedPayment = (ers: string): Promise<KeptAlarm["refundable"] | undefined> => unclaimedPayment((sql, p) => all(this.db, sql, p), ers);

  async stoppedPoints(): Promise<readonly number[]> {
    return (await all(this.db, "SELECT point FROM point_stops ORDER BY point")).map((r) => Number(r.point));
  }

  async setPointStopped(point: number, stopped: boolean, at: number): Promise<void> {
    const label = `point-stop:${point}:${stopped}`;
    this.boundary?.(`before:${label}`);
    await this.gate.shared(() =>
      stopped
        ? run(this.db, "INSERT INTO point_stops(point, at) VALUES (?, ?) ON CONFLICT(point) DO NOTHING", [point, at])
        : run(this.db, "DELETE FROM point_stops WHERE point = ?", [point]),
    );
    this.boundary?.(`after:${label}`);
  }

  async compact(before: number): Promise<number> {
    // One scan finds the expired flows and their steps' rowids; the deletes then walk the rowid
    // B-tree (steps) and the primary key (receipts) in small transactions of their own.
    const expired = "SELECT flow_id FROM flows WHERE finished = 1 AND updated_at < ?";
    const folded = await this.foldExpiredRefunds(before);
    await this.gate.shared(() => compactKeptAlarms((sql, p) => run(this.db, sql, p), before));
    const flows = (await all(this.db, expired, [before])).map((r) => String(r.flow_id));
    if (flows.length === 0) return folded;
    const seqs = (await all(this.db, `SELECT seq FROM steps WHERE flow_id IN (${expired})`, [before])).map((r) => Number(r.seq));
    for (let i = 0; i < seqs.length; i += COMPACTION_BATCH) {
      const batch = seqs.slice(i, i + COMPACTION_BATCH);
      await this.transaction(() => run(this.db, `DELETE FROM steps WHERE seq IN (${batch.map(() => "?").join(",")})`, batch));
    }
    for (let i = 0; i < flows.length; i += COMPACTION_BATCH) {
      const batch = flows.slice(i, i + COMPACTION_BATCH);
      await this.transaction(() => run(this.db, `DELETE FROM receipts WHERE flow_id IN (${batch.map(() => "?").join(",")})`, batch));
    }
    // Give the freed pages back to the WAL/file so the journal never grows without bound.
    await exec(this.db, "PRAGMA wal_checkpoint(TRUNCATE)");
    return folded + flows.length;
  }

  /**
   * Expired refund flows: their counted amounts go into refund_totals and their steps away, in
   * one transaction each batch (refund-totals.ts), so a payment's refunds outlive the retention.
   */
  private async foldExpiredRefunds(before: number): Promise<number> {
    const expiredRefunds = "SELECT flow_id FROM flows WHERE kind = 'refund' AND finished = 1 AND updated_at < ?";
    const rows = await all(this.db, `SELECT flow_id, state FROM flows WHERE flow_id IN (${expiredRefunds})`, [before]);
    if (rows.length === 0) return 0;
    // One scan for the steps' rowids (steps has no flow_id index, on purpose: see schema.ts).
    const seqsOf = new Map<string, number[]>();
    for (const r of await all(this.db, `SELECT seq, flow_id FROM steps WHERE flow_id IN (${expiredRefunds})`, [before])) {
      const id = String(r.flow_id);
      seqsOf.set(id, [...(seqsOf.get(id) ?? []), Number(r.seq)]);
    }
    for (let i = 0; i < rows.length; i += COMPACTION_BATCH) {
      const batch = rows.slice(i, i + COMPACTION_BATCH);
      await this.transaction(async () => {
        for (const r of batch) {
          let state: unknown;
          try {
            state = JSON.parse(String(r.state));
          } catch {
            state = undefined;
          }
          const counted = countedRefundMinor({ finished: true, state });
          if (counted) {
            await run(
              this.db,
              "INSERT INTO refund_totals(ers_reference, refunded_minor, updated_at) VALUES (?, ?, ?) ON CONFLICT(ers_reference) DO UPDATE SET refunded_minor = refunded_minor + excluded.refunded_minor, updated_at = excluded.updated_at",
              [counted.ersReference, counted.amountMinor, before],
            );
          }
          const seqs = seqsOf.get(String(r.flow_id)) ?? [];
          if (seqs.length > 0) await run(this.db, `DELETE FROM steps WHERE seq IN (${seqs.map(() => "?").join(",")})`, seqs);
        }
      });
    }
    return rows.length;
  }

  async compactedRefundMinor(ersReference: string): Promise<number> {
    const rows = await all(this.db, "SELECT refunded_minor FROM refund_totals WHERE ers_reference = ?", [ersReference]);
    return rows.length > 0 ? Number(rows[0]!.refunded_minor) : 0;
  }

  /** One explicit transaction, alone on the writer connection (see WriteGate). */
  private transaction(body: () => Promise<void>): Promise<void> {
    return this.gate.exclusive(async () => {
      await exec(this.db, "BEGIN IMMEDIATE");
      try {
        await body();
        await exec(this.db, "COMMIT");
      } catch (e) {
        await exec(this.db, "ROLLBACK").catch(() => undefined);
        throw e;
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.insertStep.finalize(() => resolve()));
    await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(fail("close", err)) : resolve())));
  }
}

function receiptRecord(r: Record<string, unknown>): ReceiptRecord {
  return {
    flowId: String(r.flow_id),
    ersReference: String(r.ers_reference),
    content: JSON.parse(String(r.content)),
    printed: r.printed === 1,
    at: Number(r.at),
    ...(typeof r.paid_at === "number" ? { paidAt: r.paid_at } : {}),
  };
}
