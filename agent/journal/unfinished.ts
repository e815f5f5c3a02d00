// The flows of a point the journal has not finished, read from the file without the agent (the
// direct `glase-agent unregister` while it is stopped): read-only, and a journal that does not
// exist has none. Recovery of such a flow (commit or cancel a reservation, settle a paid sale)
// needs the point's terminal credentials, so unregistering under it would strand the money.
import { existsSync, readdirSync } from "node:fs";
import { dirname } from "node:path";
import sqlite3 from "sqlite3";
import { AgentError } from "../../base/errors.ts";

export interface UnfinishedFlow {
  readonly flowId: string;
  readonly state: string;
  readonly parked: boolean;
}

export async function unfinishedFlowsOf(journalPath: string, point: number): Promise<readonly UnfinishedFlow[]> {
  if (!existsSync(journalPath)) {
    // Missing is "nothing unfinished" only on a station that never had a journal: beside a
    // restore's marker or its replaced-*/ the journal is aside, not absent (review 4 #5).
    const dir = dirname(journalPath);
    const names = existsSync(dir) ? readdirSync(dir) : [];
    const sign = names.find((n) => n === "restore-in-progress.json" || n.startsWith("replaced-"));
    if (sign !== undefined) {
      throw new AgentError("CONFLICT", `journal ${journalPath} is missing but ${dir}/${sign} exists (a restore moved it aside or was interrupted): cannot tell which flows are unfinished; finish the restore (or restore --abort) and start the agent first`, { path: journalPath, restoreInProgress: true });
    }
    return [];
  }
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
