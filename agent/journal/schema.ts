// Journal schema, one entry per version (PRAGMA user_version = number of applied entries).
// Never edit an applied entry: append a new one.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE steps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    point INTEGER,
    terminal_id TEXT,
    at INTEGER NOT NULL,
    input TEXT NOT NULL,
    state TEXT NOT NULL,
    state_name TEXT NOT NULL,
    finished INTEGER NOT NULL,
    parked INTEGER NOT NULL,
    effects TEXT NOT NULL
  );
  CREATE INDEX steps_flow ON steps(flow_id);
  CREATE TABLE flows (
    flow_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    point INTEGER,
    terminal_id TEXT,
    state TEXT NOT NULL,
    state_name TEXT NOT NULL,
    finished INTEGER NOT NULL,
    parked INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    pending TEXT NOT NULL
  );
  CREATE INDEX flows_open ON flows(finished, updated_at);
  -- The snapshot follows the log in the same implicit transaction as the step insert.
  CREATE TRIGGER steps_apply AFTER INSERT ON steps BEGIN
    INSERT INTO flows(flow_id, kind, point, terminal_id, state, state_name, finished, parked, created_at, updated_at, pending)
    VALUES (NEW.flow_id, NEW.kind, NEW.point, NEW.terminal_id, NEW.state, NEW.state_name, NEW.finished, NEW.parked, NEW.at, NEW.at, NEW.effects)
    ON CONFLICT(flow_id) DO UPDATE SET
      state = excluded.state, state_name = excluded.state_name, finished = excluded.finished,
      parked = excluded.parked, updated_at = excluded.updated_at, pending = excluded.pending;
  END;
  CREATE TABLE receipts (
    flow_id TEXT PRIMARY KEY,
    ers_reference TEXT NOT NULL,
    content TEXT NOT NULL,
    printed INTEGER NOT NULL,
    at INTEGER NOT NULL
  );
  `,
];
