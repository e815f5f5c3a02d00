// The issuer's journal: invoices it issued and notifications Glase sent, in one SQLite file
// (WAL, synchronous=FULL: a write has reached the disk when its callback runs). Every state
// change the notification endpoint or the settlement acknowledges is written here first, so a
// crash at any point is recovered from this file alone.
import type sqlite3 from "sqlite3";
import { openDurableDatabase } from "../journal/durable-sqlite.ts";
import { AgentError } from "../../base/errors.ts";

export type InvoiceState = "issued" | "releasing" | "released" | "release-failed" | "release-interrupted";
export type PrintState = "pending" | "printed" | "failed" | "no-printer";
/** unknown: the Invoice Service does not know the id (404) — counted, and only the latest kept. */
export type NotificationState = "pending" | "settled" | "alarm" | "unknown";

export interface NewInvoice {
  readonly reference: string;
  readonly description: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly payOnce: boolean;
  readonly qr: string;
  readonly issuedAt: number;
}

export interface InvoiceRecord extends NewInvoice {
  readonly id: number;
  readonly state: InvoiceState;
  readonly qrPrint: PrintState;
  readonly glaseInvoiceId: number | null;
  readonly ersReference: string | null;
  readonly purchaseTime: string | null;
  readonly releasedAt: number | null;
  readonly receiptPrint: PrintState | null;
}

export interface NotificationRecord {
  /** The invoice id inside the Invoice Service (the notification's `invoiceId`). */
  readonly invoiceId: number;
  readonly receivedAt: number;
  readonly state: NotificationState;
  readonly fetchAttempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly alarm: string | null;
}

export interface Settlement {
  readonly glaseInvoiceId: number;
  readonly ersReference: string;
  readonly purchaseTime: string;
}

/** MIGRATIONS[v] brings the schema from user_version v to v + 1. */
export const MIGRATIONS: readonly string[] = [
  `
    CREATE TABLE invoices (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      reference TEXT NOT NULL UNIQUE,
      description TEXT NOT NULL,
      amount_minor INTEGER NOT NULL,
      currency TEXT NOT NULL,
      pay_once INTEGER NOT NULL,
      qr TEXT NOT NULL,
      issued_at INTEGER NOT NULL,
      state TEXT NOT NULL DEFAULT 'issued',
      qr_print TEXT NOT NULL DEFAULT 'pending',
      glase_invoice_id INTEGER UNIQUE,
      ers_reference TEXT,
      purchase_time TEXT,
      released_at INTEGER,
      receipt_print TEXT
    );
    CREATE TABLE notifications (
      invoice_id INTEGER PRIMARY KEY,
      received_at INTEGER NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending',
      fetch_attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_error TEXT,
      alarm TEXT
    );
    CREATE INDEX notifications_pending ON notifications (state, next_attempt_at);
  `,
  // Notifications for ids the Invoice Service does not know are anyone's to send (the endpoint
  // is unauthenticated): they are counted here, and only the latest UNKNOWN_KEPT rows are kept.
  `
    CREATE TABLE notification_stats (
      kind TEXT PRIMARY KEY,
      count INTEGER NOT NULL,
      last_at INTEGER NOT NULL,
      last_invoice_id INTEGER
    );
    CREATE INDEX notifications_received ON notifications (state, received_at);
  `,
];

/** Rows of `unknown` notifications kept for the operator; older ones are only counted. */
export const UNKNOWN_KEPT = 100;

export interface NotificationCounts {
  readonly pending: number;
  readonly alarm: number;
  /** Notifications for ids the Invoice Service did not know, ever; the latest one. */
  readonly unknown: { readonly count: number; readonly lastAt: number | null; readonly lastInvoiceId: number | null };
}

export interface InvoicePage {
  readonly n: number;
  readonly since?: number;
  /** Invoices older than this row id (the `id` of the last invoice of the previous page). */
  readonly beforeId?: number;
}

type Row = Record<string, unknown>;

function invoiceOf(r: Row): InvoiceRecord {
  return {
    id: r.id as number,
    reference: r.reference as string,
    description: r.description as string,
    amountMinor: r.amount_minor as number,
    currency: r.currency as string,
    payOnce: r.pay_once === 1,
    qr: r.qr as string,
    issuedAt: r.issued_at as number,
    state: r.state as InvoiceState,
    qrPrint: r.qr_print as PrintState,
    glaseInvoiceId: (r.glase_invoice_id as number | null) ?? null,
    ersReference: (r.ers_reference as string | null) ?? null,
    purchaseTime: (r.purchase_time as string | null) ?? null,
    releasedAt: (r.released_at as number | null) ?? null,
    receiptPrint: (r.receipt_print as PrintState | null) ?? null,
  };
}

function notificationOf(r: Row): NotificationRecord {
  return {
    invoiceId: r.invoice_id as number,
    receivedAt: r.received_at as number,
    state: r.state as NotificationState,
    fetchAttempts: r.fetch_attempts as number,
    nextAttemptAt: r.next_attempt_at as number,
    lastError: (r.last_error as string | null) ?? null,
    alarm: (r.alarm as string | null) ?? null,
  };
}

export class InvoiceStore {
  // sqlite3 runs statements of one connection in order, but a multi-statement transaction must
  // not interleave with another caller's statements: writers queue behind this chain.
  private writeChain: Promise<unknown> = Promise.resolve();
  private pending = 0;

  private constructor(private readonly db: sqlite3.Database, readonly path: string) {}

  static async open(path: string): Promise<InvoiceStore> {
    const store = new InvoiceStore(await openDurableDatabase(path, MIGRATIONS, "invoice journal"), path);
    // A flood of notifications rewrites the same few pages: checkpoint every 512 KiB of WAL and
    // cut the WAL back to that size, instead of letting it reach SQLite's 4 MiB default and stay.
    await store.exec("PRAGMA wal_autocheckpoint = 128; PRAGMA journal_size_limit = 524288;");
    store.pending = Number((await store.get("SELECT count(*) AS n FROM notifications WHERE state = 'pending'"))?.n ?? 0);
    return store;
  }

  /** Notifications journaled and not yet settled, alarmed or found unknown. */
  get pendingCount(): number {
    return this.pending;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }

  async insertInvoice(i: NewInvoice): Promise<InvoiceRecord> {
    return this.write(async () => {
      const existing = await this.get("SELECT id FROM invoices WHERE reference = ?", [i.reference]);
      if (existing) throw new AgentError("CONFLICT", `an invoice with reference ${JSON.stringify(i.reference)} was already issued`, { reference: i.reference });
      const { lastID } = await this.run(
        "INSERT INTO invoices (reference, description, amount_minor, currency, pay_once, qr, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [i.reference, i.description, i.amountMinor, i.currency, i.payOnce ? 1 : 0, i.qr, i.issuedAt],
      );
      return invoiceOf((await this.get("SELECT * FROM invoices WHERE id = ?", [lastID]))!);
    });
  }

  setQrPrint(id: number, state: PrintState): Promise<void> {
    return this.write(() => this.run("UPDATE invoices SET qr_print = ? WHERE id = ?", [state, id])).then(() => undefined);
  }

  setReceiptPrint(id: number, state: PrintState): Promise<void> {
    return this.write(() => this.run("UPDATE invoices SET receipt_print = ? WHERE id = ?", [state, id])).then(() => undefined);
  }

  /** Durably records a notification; "duplicate" when that invoice id was already recorded. */
  async recordNotification(invoiceId: number, at: number): Promise<"new" | "duplicate"> {
    return (await this.recordNotifications([invoiceId], at)).get(invoiceId)!;
  }

  /** Records several notifications in one transaction (one fsync for a burst). */
  recordNotifications(invoiceIds: readonly number[], at: number): Promise<Map<number, "new" | "duplicate">> {
    return this.write(async () => {
      const out = new Map<number, "new" | "duplicate">();
      await this.run("BEGIN IMMEDIATE");
      try {
        for (const id of invoiceIds) {
          if (out.has(id)) continue;
          const { changes } = await this.run("INSERT OR IGNORE INTO notifications (invoice_id, received_at, next_attempt_at) VALUES (?, ?, ?)", [id, at, at]);
          out.set(id, changes === 1 ? "new" : "duplicate");
        }
        await this.run("COMMIT");
      } catch (e) {
        await this.run("ROLLBACK").catch(() => undefined);
        throw e;
      }
      for (const v of out.values()) if (v === "new") this.pending++;
      return out;
    });
  }

  /** Pending notifications, the earliest due first. */
  async pendingNotifications(limit = 1_000): Promise<NotificationRecord[]> {
    return (await this.all("SELECT * FROM notifications WHERE state = 'pending' ORDER BY next_attempt_at, invoice_id LIMIT ?", [limit])).map(notificationOf);
  }

  async notification(invoiceId: number): Promise<NotificationRecord | undefined> {
    const row = await this.get("SELECT * FROM notifications WHERE invoice_id = ?", [invoiceId]);
    return row ? notificationOf(row) : undefined;
  }

  /**
   * The Invoice Service does not know the id: the row becomes `unknown`, the count goes up, and
   * only the latest UNKNOWN_KEPT such rows stay — a flood of made-up ids leaves a bounded trace.
   */
  markUnknown(invoiceId: number, at: number): Promise<void> {
    return this.write(async () => {
      await this.run("BEGIN IMMEDIATE");
      try {
        const { changes } = await this.run("UPDATE notifications SET state = 'unknown', fetch_attempts = fetch_attempts + 1, alarm = 'unknown-invoice' WHERE invoice_id = ? AND state = 'pending'", [invoiceId]);
        if (changes === 1) {
          await this.run(
            `INSERT INTO notification_stats (kind, count, last_at, last_invoice_id) VALUES ('unknown', 1, ?, ?)
             ON CONFLICT(kind) DO UPDATE SET count = count + 1, last_at = excluded.last_at, last_invoice_id = excluded.last_invoice_id`,
            [at, invoiceId],
          );
          await this.run(
            `DELETE FROM notifications WHERE state = 'unknown' AND invoice_id NOT IN
               (SELECT invoice_id FROM notifications WHERE state = 'unknown' ORDER BY received_at DESC, invoice_id DESC LIMIT ?)`,
            [UNKNOWN_KEPT],
          );
        }
        await this.run("COMMIT");
        this.pending -= changes;
      } catch (e) {
        await this.run("ROLLBACK").catch(() => undefined);
        throw e;
      }
    });
  }

  async notificationCounts(): Promise<NotificationCounts> {
    const rows = await this.all("SELECT state, count(*) AS n FROM notifications WHERE state IN ('pending', 'alarm') GROUP BY state");
    const by = (state: string) => Number(rows.find((r) => r.state === state)?.n ?? 0);
    const u = await this.get("SELECT count, last_at, last_invoice_id FROM notification_stats WHERE kind = 'unknown'");
    return {
      pending: by("pending"),
      alarm: by("alarm"),
      unknown: { count: Number(u?.count ?? 0), lastAt: (u?.last_at as number | undefined) ?? null, lastInvoiceId: (u?.last_invoice_id as number | undefined) ?? null },
    };
  }

  /** Notifications that need the operator or are still being fetched, newest first. */
  async openNotifications(limit: number): Promise<NotificationRecord[]> {
    return (await this.all("SELECT * FROM notifications WHERE state IN ('pending', 'alarm') ORDER BY received_at DESC, invoice_id DESC LIMIT ?", [limit])).map(notificationOf);
  }

  scheduleFetchRetry(invoiceId: number, nextAttemptAt: number, error: string): Promise<void> {
    return this.write(() =>
      this.run("UPDATE notifications SET fetch_attempts = fetch_attempts + 1, next_attempt_at = ?, last_error = ? WHERE invoice_id = ? AND state = 'pending'", [nextAttemptAt, error, invoiceId]),
    ).then(() => undefined);
  }

  raiseNotificationAlarm(invoiceId: number, alarm: string): Promise<void> {
    return this.write(async () => {
      const before = await this.get("SELECT state FROM notifications WHERE invoice_id = ?", [invoiceId]);
      await this.run("UPDATE notifications SET state = 'alarm', fetch_attempts = fetch_attempts + 1, alarm = ? WHERE invoice_id = ?", [alarm, invoiceId]);
      if (before?.state === "pending") this.pending--;
    });
  }

  /** The invoice paid with this Glase ersReference (a refund is checked against it), if any. */
  async paidInvoiceByErsReference(ersReference: string): Promise<InvoiceRecord | undefined> {
    const row = await this.get("SELECT * FROM invoices WHERE ers_reference = ? AND state <> 'issued'", [ersReference]);
    return row ? invoiceOf(row) : undefined;
  }

  async invoiceByReference(reference: string): Promise<InvoiceRecord | undefined> {
    const row = await this.get("SELECT * FROM invoices WHERE reference = ?", [reference]);
    return row ? invoiceOf(row) : undefined;
  }

  /**
   * The commit point of a payment: the invoice leaves `issued` and the notification is settled in
   * one transaction. Returns false when the invoice was no longer `issued` (nothing changed), so
   * the release effect can only ever be started once.
   */
  beginRelease(invoiceId: number, s: Settlement): Promise<boolean> {
    return this.write(async () => {
      await this.run("BEGIN IMMEDIATE");
      try {
        const { changes } = await this.run(
          "UPDATE invoices SET state = 'releasing', glase_invoice_id = ?, ers_reference = ?, purchase_time = ? WHERE id = ? AND state = 'issued'",
          [s.glaseInvoiceId, s.ersReference, s.purchaseTime, invoiceId],
        );
        let settled = 0;
        if (changes === 1) {
          const before = await this.get("SELECT state FROM notifications WHERE invoice_id = ?", [s.glaseInvoiceId]);
          await this.run("UPDATE notifications SET state = 'settled', fetch_attempts = fetch_attempts + 1, last_error = NULL WHERE invoice_id = ?", [s.glaseInvoiceId]);
          if (before?.state === "pending") settled = 1;
        }
        await this.run("COMMIT");
        this.pending -= settled;
        return changes === 1;
      } catch (e) {
        await this.run("ROLLBACK").catch(() => undefined);
        throw e;
      }
    });
  }

  finishRelease(invoiceId: number, state: "released" | "release-failed", at: number): Promise<void> {
    return this.write(() => this.run("UPDATE invoices SET state = ?, released_at = ? WHERE id = ? AND state = 'releasing'", [state, at, invoiceId])).then(
      () => undefined,
    );
  }

  /**
   * After a crash, an invoice caught in `releasing` may or may not have been released: it is
   * marked for the operator instead of released again (at most once). Returns those invoices.
   */
  markInterruptedReleases(): Promise<InvoiceRecord[]> {
    return this.write(async () => {
      const rows = (await this.all("SELECT * FROM invoices WHERE state = 'releasing'")).map(invoiceOf);
      await this.run("UPDATE invoices SET state = 'release-interrupted' WHERE state = 'releasing'");
      return rows;
    });
  }

  /** All invoices, oldest first; with a page, the newest `n` of those matching, oldest first. */
  async listInvoices(page?: InvoicePage): Promise<InvoiceRecord[]> {
    if (!page) return (await this.all("SELECT * FROM invoices ORDER BY id")).map(invoiceOf);
    const rows = await this.all("SELECT * FROM invoices WHERE id < ? AND issued_at >= ? ORDER BY id DESC LIMIT ?", [page.beforeId ?? Number.MAX_SAFE_INTEGER, page.since ?? 0, page.n]);
    return rows.reverse().map(invoiceOf);
  }

  async listNotifications(): Promise<NotificationRecord[]> {
    return (await this.all("SELECT * FROM notifications ORDER BY received_at, invoice_id")).map(notificationOf);
  }

  private write<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.writeChain.then(fn);
    this.writeChain = result.catch(() => undefined);
    return result;
  }

  private exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(journalError(err, sql)) : resolve())));
  }

  private run(sql: string, params: unknown[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) =>
      this.db.run(sql, params, function (err) {
        if (err) reject(journalError(err, sql));
        else resolve({ changes: this.changes, lastID: this.lastID });
      }),
    );
  }

  private get(sql: string, params: unknown[] = []): Promise<Row | undefined> {
    return new Promise((resolve, reject) => this.db.get<Row>(sql, params, (err, row) => (err ? reject(journalError(err, sql)) : resolve(row))));
  }

  private all(sql: string, params: unknown[] = []): Promise<Row[]> {
    return new Promise((resolve, reject) => this.db.all<Row>(sql, params, (err, rows) => (err ? reject(journalError(err, sql)) : resolve(rows))));
  }
}

function journalError(err: Error, sql: string): AgentError {
  return new AgentError("JOURNAL_FAILED", `invoice journal: ${err.message}`, { statement: sql.trim().split(/\s+/).slice(0, 3).join(" ") }, { cause: err });
}
