// Journal schema, one entry per version (PRAGMA user_version = number of applied entries).
// Never edit an applied entry: append a new one.
//
// `steps` is the journal: one row per durable transition, append-only, on the rowid B-tree only
// (no secondary index), so a transition costs what the rawest single-row insert costs: one page
// appended at the right edge and one fsync. A flow's current snapshot is its last step; the
// `flows` view derives it (read at start, by the technician views and by compaction — never on the
// hot path). Compaction deletes finished flows older than the retention, so scans stay small.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE steps (
    seq INTEGER PRIMARY KEY,
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
  CREATE VIEW flows AS
    SELECT s.flow_id, s.kind, s.point, s.terminal_id, s.state, s.state_name, s.finished, s.parked,
           m.created_at, s.at AS updated_at, s.effects AS pending
    FROM steps s
    JOIN (SELECT flow_id, max(seq) AS last, min(at) AS created_at FROM steps GROUP BY flow_id) m ON s.seq = m.last;
  CREATE TABLE receipts (
    flow_id TEXT PRIMARY KEY,
    ers_reference TEXT NOT NULL,
    content TEXT NOT NULL,
    printed INTEGER NOT NULL,
    at INTEGER NOT NULL
  );
  `,
  // Points a technician stopped: out of service until resumed, across restarts.
  `
  CREATE TABLE point_stops (
    point INTEGER PRIMARY KEY,
    at INTEGER NOT NULL
  );
  `,
  // Refunds and reprints look one receipt up by its ersReference: without an index every refund
  // read every receipt (80,000 after a year: 0.76 s and +77 MiB, review 2 #7).
  `
  CREATE INDEX receipts_by_ers_reference ON receipts(ers_reference);
  `,
  // Refunded totals of payments whose refund flows were compacted away (refund-totals.ts).
  `
  CREATE TABLE refund_totals (
    ers_reference TEXT PRIMARY KEY,
    refunded_minor INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  `,
  // A sale's payment time (the PAID as journaled), which the bookkeeping export filters on so its
  // windows are Glase's periods; NULL for receipts kept before it (their \`at\` is used).
  `
  ALTER TABLE receipts ADD COLUMN paid_at INTEGER;
  `,
  // Alarms that tell a technician to move money (a customer's payment to give back), written in the
  // transaction of the step that raised them and raised again at every start until acknowledged
  // (kept-alarms.ts, review 7 #1): a finished flow's alarm is not lost at a restart.
  `
  CREATE TABLE kept_alarms (
    id INTEGER PRIMARY KEY,
    flow_id TEXT NOT NULL,
    code TEXT NOT NULL,
    point INTEGER,
    message TEXT NOT NULL,
    at INTEGER NOT NULL,
    refundable TEXT,
    ers_reference TEXT,
    acked_at INTEGER
  );
  CREATE INDEX kept_alarms_open ON kept_alarms(acked_at);
  CREATE INDEX kept_alarms_by_ers_reference ON kept_alarms(ers_reference);
  `,
];
