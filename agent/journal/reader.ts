// A second, read-only connection to a journal file, for the operator's long reads: the online
// backup (SQLite's backup API) and the bookkeeping export. They never run on the writer's
// connection: a scan of a year of receipts there would queue every payment step behind it. In WAL
// mode a reader sees one consistent snapshot and neither blocks the writer nor is blocked by it.
// Read-only by construction (SQLITE_OPEN_READONLY): nothing here can change the journal.
import sqlite3 from "sqlite3";
import { AgentError } from "../../base/errors.ts";

type Row = Record<string, unknown>;

/** One settled sale (a kept receipt, or a paid POS flow that delivered nothing) or one finished refund, as the journal holds it. */
export type ExportRecord =
  | { readonly type: "sale"; readonly flowId: string; readonly at: number; readonly ersReference: string; readonly receipt: unknown }
  | { readonly type: "refund"; readonly flowId: string; readonly at: number; readonly refund: unknown; readonly originalReceipt?: unknown };

export interface ExportQuery {
  /** ms since the epoch, inclusive. */
  readonly since: number;
  /** ms since the epoch, exclusive. */
  readonly until: number;
  /** `at:flowId` of the last record of the previous page. */
  readonly after?: { readonly at: number; readonly flowId: string };
  readonly limit: number;
}

export interface ExportPage {
  readonly records: readonly ExportRecord[];
  /** Set when the page is full: pass it back as `after` for the next one. */
  readonly next?: { readonly at: number; readonly flowId: string };
}

/** sqlite3's Backup object (no typings ship for it). */
interface SqliteBackup {
  step(pages: number, cb: (err: Error | null) => void): void;
  finish(cb?: (err: Error | null) => void): void;
  readonly completed: boolean;
  readonly failed: boolean;
}

function fail(op: string, path: string, err: Error): AgentError {
  return new AgentError("JOURNAL_FAILED", `journal ${op} of ${path} failed: ${err.message}`, { op, path }, { cause: err });
}

// The settled sales are every payment Glase settled (a PAID ersReference in the journal): a
// receipt is kept once per paid flow that printed one, and a POS flow that was PAID but delivered
// nothing (a kiosk/vend release failed: the host refunds it) keeps no receipt — its sale is its
// finished step, whose state holds the ersReference and the receipt it would have printed. Without
// that arm the export kept such a sale's refund and dropped the sale (review of issue 11 #1), and
// its net was not Glase's period report's.
// A refund's last step is its only finished one; its state says whether it was refunded.
const UNRECEIPTED_POS = `kind = 'pos' AND finished = 1 AND json_extract(state, '$.ersReference') IS NOT NULL
    AND json_extract(state, '$.receipt') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.flow_id = steps.flow_id)`;
// A sale is filed by when it was PAID (journaled by the POS flow: \`receipts.paid_at\`, the finished
// step's \`paidAt\`), as Glase files it into a period: a wash paid before a close and delivered after
// it is in the closed period (review 2 of issue 11 #1). Receipts without a payment time (pump and
// charger flows keep theirs as they settle; older journals) are filed by when they were kept.
const EXPORT_SQL = `
  SELECT * FROM (
    SELECT 'sale' AS type, flow_id, COALESCE(paid_at, at) AS at, ers_reference AS ref, content AS data FROM receipts
    UNION ALL
    SELECT 'sale' AS type, flow_id, COALESCE(json_extract(state, '$.paidAt'), at) AS at, json_extract(state, '$.ersReference') AS ref, json_extract(state, '$.receipt') AS data FROM steps
      WHERE ${UNRECEIPTED_POS}
  ) WHERE at >= ?1 AND at < ?2 AND (at, flow_id) > (?3, ?4)
  UNION ALL
  SELECT 'refund' AS type, flow_id, at, NULL AS ref, state AS data FROM steps
    WHERE kind = 'refund' AND finished = 1 AND at >= ?1 AND at < ?2 AND (at, flow_id) > (?3, ?4)
  ORDER BY at, flow_id
  LIMIT ?5`;

export class JournalReader {
  private constructor(
    private readonly db: sqlite3.Database,
    readonly path: string,
  ) {}

  static open(path: string): Promise<JournalReader> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (err) => {
        if (err) return reject(fail("open", path, err));
        // The writer may hold its lock for a moment (a checkpoint): wait rather than fail.
        db.configure("busyTimeout", 5_000);
        resolve(new JournalReader(db, path));
      });
    });
  }

  private all(sql: string, params: unknown[]): Promise<Row[]> {
    return new Promise((resolve, reject) => this.db.all(sql, params, (err, rows) => (err ? reject(fail("read", this.path, err)) : resolve(rows as Row[]))));
  }

  /** Sales and refunds in [since, until), oldest first, a page at a time. */
  async exportPage(q: ExportQuery): Promise<ExportPage> {
    const rows = await this.all(EXPORT_SQL, [q.since, q.until, q.after?.at ?? -1, q.after?.flowId ?? "", q.limit]);
    const records: ExportRecord[] = [];
    const refunds: Array<{ flowId: string; at: number; refund: Row }> = [];
    for (const r of rows) {
      const flowId = String(r.flow_id);
      const at = Number(r.at);
      if (r.type === "sale") records.push({ type: "sale", flowId, at, ersReference: String(r.ref), receipt: JSON.parse(String(r.data)) });
      else {
        const state = JSON.parse(String(r.data)) as Row;
        if (state.outcome === "refunded") refunds.push({ flowId, at, refund: state });
      }
    }
    // The VAT of a refund is the VAT of what it refunds: its payment's receipt, wherever it is in time.
    const originals = new Map<string, unknown>();
    const refs = [...new Set(refunds.map((r) => r.refund.ersReference).filter((x): x is string => typeof x === "string"))];
    if (refs.length > 0) {
      for (const row of await this.all(`SELECT ers_reference, content FROM receipts WHERE ers_reference IN (${refs.map(() => "?").join(",")})`, refs)) {
        originals.set(String(row.ers_reference), JSON.parse(String(row.content)));
      }
      // A sale that printed no receipt (nothing delivered) has its receipt content in its POS step.
      const missing = refs.filter((ref) => !originals.has(ref));
      if (missing.length > 0) {
        const sql = `SELECT json_extract(state, '$.ersReference') AS ref, json_extract(state, '$.receipt') AS content FROM steps WHERE ${UNRECEIPTED_POS} AND json_extract(state, '$.ersReference') IN (${missing.map(() => "?").join(",")})`;
        for (const row of await this.all(sql, missing)) originals.set(String(row.ref), JSON.parse(String(row.content)));
      }
    }
    for (const r of refunds) {
      const original = originals.get(String(r.refund.ersReference));
      records.push({ type: "refund", flowId: r.flowId, at: r.at, refund: r.refund, ...(original !== undefined ? { originalReceipt: original } : {}) });
    }
    records.sort((a, b) => a.at - b.at || (a.flowId < b.flowId ? -1 : a.flowId > b.flowId ? 1 : 0));
    const last = rows.at(-1);
    return { records, ...(rows.length === q.limit && last ? { next: { at: Number(last.at), flowId: String(last.flow_id) } } : {}) };
  }

  /**
   * SQLite's online backup into `dest` (a new file): one step over all pages, so the copy is one
   * consistent snapshot of the journal while the agent keeps writing to it.
   */
  backupTo(dest: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const backup = (this.db as unknown as { backup(file: string, cb: (err: Error | null) => void): SqliteBackup }).backup(dest, (err) => {
        if (err) return reject(fail("backup", this.path, err));
        backup.step(-1, (stepErr) => {
          if (stepErr) return backup.finish(() => reject(fail("backup", this.path, stepErr)));
          if (!backup.completed) return backup.finish(() => reject(new AgentError("JOURNAL_FAILED", `journal backup of ${this.path} did not complete`, { path: this.path })));
          backup.finish((finishErr) => (finishErr ? reject(fail("backup", this.path, finishErr)) : resolve()));
        });
      });
    });
  }

  /** PRAGMA integrity_check ("ok" when sound) and the schema version (PRAGMA user_version). */
  async check(): Promise<{ readonly integrity: string; readonly userVersion: number }> {
    const integrity = (await this.all("PRAGMA integrity_check", [])).map((r) => String(Object.values(r)[0])).join("; ");
    const userVersion = Number((await this.all("PRAGMA user_version", []))[0]?.user_version ?? 0);
    return { integrity, userVersion };
  }

  /** How much a payment journal holds (what a restore brings back). */
  async counts(): Promise<{ readonly receipts: number; readonly steps: number; readonly lastAt?: number }> {
    const row = (await this.all("SELECT (SELECT count(*) FROM receipts) AS receipts, (SELECT count(*) FROM steps) AS steps, (SELECT max(at) FROM steps) AS last_at", []))[0] ?? {};
    return { receipts: Number(row.receipts ?? 0), steps: Number(row.steps ?? 0), ...(row.last_at !== null && row.last_at !== undefined ? { lastAt: Number(row.last_at) } : {}) };
  }

  /** Time of the newest step (by rowid: no scan), undefined for an empty journal. */
  async lastStepAt(): Promise<number | undefined> {
    const row = (await this.all("SELECT at FROM steps ORDER BY seq DESC LIMIT 1", []))[0];
    return row ? Number(row.at) : undefined;
  }

  /** Flows a start would resume (the recovery's work after a restore). */
  async unfinishedCount(): Promise<number> {
    return Number((await this.all("SELECT count(*) AS n FROM flows WHERE finished = 0", []))[0]?.n ?? 0);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.db.close(() => resolve()));
  }
}
