// Opening a SQLite file the way every durable store of the agent needs it: WAL and
// synchronous=FULL set on every open (they are per connection), WAL verified, and the schema
// migrated by PRAGMA user_version. Shared by the payment journal and the Invoice Service journal.
import sqlite3 from "sqlite3";
import { AgentError } from "../../base/errors.ts";

/**
 * @param migrations  migrations[v] brings the schema from user_version v to v + 1
 * @param what        name used in errors ("journal", "invoice journal")
 */
export async function openDurableDatabase(path: string, migrations: readonly string[], what: string): Promise<sqlite3.Database> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(path, (err) => (err ? reject(failure(what, "open", path, err)) : resolve(d)));
  });
  const exec = (sql: string) => new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? reject(failure(what, "exec", path, err)) : resolve())));
  const get = (sql: string) =>
    new Promise<Record<string, unknown> | undefined>((resolve, reject) =>
      db.get<Record<string, unknown>>(sql, (err, row) => (err ? reject(failure(what, "read", path, err)) : resolve(row))),
    );
  try {
    await exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;");
    if (String((await get("PRAGMA journal_mode"))?.journal_mode).toLowerCase() !== "wal") {
      throw new AgentError("JOURNAL_FAILED", `${what} ${path} could not switch to WAL`, { path });
    }
    const version = Number((await get("PRAGMA user_version"))?.user_version ?? 0);
    if (version > migrations.length) {
      throw new AgentError("JOURNAL_FAILED", `${what} ${path} has schema ${version}, newer than this agent (${migrations.length})`, { path, version });
    }
    for (let v = version; v < migrations.length; v++) {
      await exec(`BEGIN IMMEDIATE; ${migrations[v]} PRAGMA user_version = ${v + 1}; COMMIT;`);
    }
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

function failure(what: string, op: string, path: string, err: Error): AgentError {
  return new AgentError("JOURNAL_FAILED", `${what} ${op} failed: ${err.message}`, { op, path }, { cause: err });
}
