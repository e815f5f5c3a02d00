// The device drivers' durable storage (drivers/driver-store.ts) on SQLite: `drivers.sqlite` beside
// the journal, WAL + synchronous=FULL like every durable store of the agent, so a `put` resolves
// only once its row is on disk — a driver writes (an OCPP transactionId ↔ flow, a PTS transaction
// number ↔ flow) and answers the device after. One table; each controller sees only its own keys
// (scope = controller id), so two controllers cannot overwrite each other's records.
import type sqlite3 from "sqlite3";
import type { DriverStore } from "../../contracts/driver-store.ts";
import { AgentError } from "../../base/errors.ts";
import { openDurableDatabase } from "./durable-sqlite.ts";

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE driver_entries (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
  ) WITHOUT ROWID;
  `,
  // Which controller (driver, points) each scope belonged to at the last start: a renamed
  // controller's records are recognised by their points (agent/daemon/driver-records.ts).
  `
  CREATE TABLE driver_scopes (
    scope TEXT PRIMARY KEY,
    driver TEXT NOT NULL,
    points TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];

/** A scope as the store knows it: its records, and the controller it belonged to when last started. */
export interface DriverScope {
  readonly scope: string;
  readonly entries: number;
  readonly driver?: string;
  readonly points?: readonly number[];
}

export interface DriverStores {
  /** The store of one controller. */
  scoped(controllerId: string): DriverStore;
  /** Every scope that holds records or was described, with its record count. */
  scopes(): Promise<readonly DriverScope[]>;
  /** Remembers which driver and points a configured controller has (at each start). */
  describe(scope: string, driver: string, points: readonly number[]): Promise<void>;
  /** Moves every record of `from` to `to` (a renamed controller), in one durable transaction. */
  moveScope(from: string, to: string): Promise<number>;
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
  const all = <T>(sql: string, params: unknown[] = []) => new Promise<T[]>((resolve, reject) => db.all<T>(sql, params, (err, rows) => (err ? reject(failure("read", err)) : resolve(rows))));
  const run = (sql: string, params: unknown[] = []) => new Promise<number>((resolve, reject) => db.run(sql, params, function (this: sqlite3.RunResult, err) { return err ? reject(failure("write", err)) : resolve(this.changes); }));
  return {
    scoped: (controllerId) => new ScopedStore(db, controllerId, boundary),
    async scopes() {
      const counts = await all<{ scope: string; n: number }>("SELECT scope, COUNT(*) AS n FROM driver_entries GROUP BY scope");
      const described = await all<{ scope: string; driver: string; points: string }>("SELECT scope, driver, points FROM driver_scopes");
      const out = new Map<string, DriverScope>();
      for (const c of counts) out.set(c.scope, { scope: c.scope, entries: c.n });
      for (const d of described) out.set(d.scope, { scope: d.scope, entries: out.get(d.scope)?.entries ?? 0, driver: d.driver, points: JSON.parse(d.points) as number[] });
      return [...out.values()].sort((a, b) => a.scope.localeCompare(b.scope));
    },
    async describe(scope, driver, points) {
      await run("INSERT INTO driver_scopes(scope, driver, points, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(scope) DO UPDATE SET driver = excluded.driver, points = excluded.points, updated_at = excluded.updated_at", [scope, driver, JSON.stringify([...points].sort((a, b) => a - b)), Date.now()]);
    },
    async moveScope(from, to) {
      await run("BEGIN IMMEDIATE");
      try {
        const moved = await run("UPDATE driver_entries SET scope = ? WHERE scope = ?", [to, from]);
        await run("DELETE FROM driver_scopes WHERE scope = ?", [from]);
        await run("COMMIT");
        return moved;
      } catch (err) {
        await run("ROLLBACK").catch(() => undefined);
        throw err;
      }
    },
    close: () => (closed ??= new Promise<void>((resolve) => db.close(() => resolve()))),
  };
}
