// The flows of a point the journal has not finished, read from the file without the agent (the
// direct `glase-agent unregister` while it is stopped): read-only, and a journal that does not
// exist has none. Recovery of such a flow (commit or cancel a reservation, settle a paid sale)
// needs the point's terminal credentials, so unregistering under it would strand the money.
import { existsSync } from "node:fs";
import sqlite3 from "sqlite3";
import { AgentError } from "../../base/errors.ts";

export interface UnfinishedFlow {
  readonly flowId: string;
  readonly state: string;
  readonly parked: boolean;
}

export async function unfinishedFlowsOf(journalPath: string, point: number): Promise<readonly UnfinishedFlow[]> {
  if (!existsSync(journalPath)) return [];
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(journalPath, sqlite3.OPEN_READONLY, (e) => (e ? reject(new AgentError("JOURNAL_FAILED", `journal ${journalPath}: cannot open read-only: ${e.message}`, { path: journalPath })) : resolve(d)));
  });
  try {
    const rows = await new Promise<Array<Record<string, unknown>>>((resolve, reject) =>
      db.all("SELECT flow_id, state_name, parked FROM flows WHERE point = ? AND finished = 0 ORDER BY created_at", [point], (e, r) =>
        e ? reject(new AgentError("JOURNAL_FAILED", `journal ${journalPath}: ${e.message}`, { path: journalPath })) : resolve(r as Array<Record<string, unknown>>),
      ),
    );
    return rows.map((r) => ({ flowId: String(r.flow_id), state: String(r.state_name), parked: r.parked === 1 }));
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}
