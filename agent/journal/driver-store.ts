// The device drivers' durable storage (drivers/driver-store.ts) on SQLite: `drivers.sqlite` beside
// the journal, WAL + synchronous=FULL like every durable store of the agent, so a `put` resolves
// only once its row is on disk — a driver writes (an OCPP transactionId ↔ flow, a PTS transaction
// number ↔ flow) and answers the device after. One table; each controller sees only its own keys
// (scope = controller id), so two controllers cannot overwrite each other's records.
import type sqlite3 from "sqlite3";
import type { DriverStore } from "../../contracts/driver-store.ts";
import { AgentError } from "../../base/errors.ts";
import { openDurableDatabase } from "./durable-sqlite.ts";

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE driver_entries (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
  ) WITHOUT ROWID;
  `,
];

export interface DriverStores {
  /** The store of one controller. */
  scoped(controllerId: string): DriverStore;
  close(): Promise<void>;
}

/** Called before each write is sent to SQLite and after it is durable (the crash tests kill there). */
export type DriverStoreBoundary = (phase: "before" | "after", op: "put" | "delete", scope: string, key: string) => void;

function failure(op: string, err: Error): AgentError {
  return new AgentError("JOURNAL_FAILED", `driver store ${op} failed: ${err.message}`, { op }, { cause: err });
}

/** `LIKE` with the prefix's own % and _ taken literally. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

class ScopedStore implements DriverStore {
  constructor(
    private readonly db: sqlite3.Database,
    private readonly scope: string,
    private readonly boundary: DriverStoreBoundary | undefined,
  ) {}

  get(key: string): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.db.get<{ value: string }>("SELECT value FROM driver_entries WHERE scope = ? AND key = ?", [this.scope, key], (err, row) =>
        err ? reject(failure("read", err)) : resolve(row ? JSON.parse(row.value) : undefined),
      ),
    );
  }

  async put(key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new AgentError("INTERNAL", `driver store: value of ${key} is not JSON`, { key });
    await this.write("put", key, "INSERT INTO driver_entries(scope, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at", [this.scope, key, text, Date.now()]);
  }

  delete(key: string): Promise<void> {
    return this.write("delete", key, "DELETE FROM driver_entries WHERE scope = ? AND key = ?", [this.scope, key]);
  }

  list(prefix: string): Promise<ReadonlyArray<{ readonly key: string; readonly value: unknown }>> {
    return new Promise((resolve, reject) =>
      this.db.all<{ key: string; value: string }>("SELECT key, value FROM driver_entries WHERE scope = ? AND key LIKE ? ESCAPE '\\' ORDER BY key", [this.scope, likePrefix(prefix)], (err, rows) =>
        err ? reject(failure("read", err)) : resolve(rows.filter((r) => r.key.startsWith(prefix)).map((r) => ({ key: r.key, value: JSON.parse(r.value) }))),
      ),
    );
  }

  private write(op: "put" | "delete", key: string, sql: string, params: unknown[]): Promise<void> {
    this.boundary?.("before", op, this.scope, key);
    return new Promise((resolve, reject) =>
      this.db.run(sql, params, (err) => {
        if (err) return reject(failure(op, err));
        this.boundary?.("after", op, this.scope, key);
        resolve();
      }),
    );
  }
}

export async function openDriverStores(path: string, boundary?: DriverStoreBoundary): Promise<DriverStores> {
  const db = await openDurableDatabase(path, MIGRATIONS, "driver store");
  let closed: Promise<void> | undefined;
  return {
    scoped: (controllerId) => new ScopedStore(db, controllerId, boundary),
    close: () => (closed ??= new Promise<void>((resolve) => db.close(() => resolve()))),
  };
}
