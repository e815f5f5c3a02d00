// The journal's kept alarms (schema.ts kept_alarms): alarms that tell a technician to move money —
// a payment nothing was released for, to refund; a difference to collect — outlive a restart. The
// engine's alarms live in memory, and a flow that finished in the step that raised one is not
// recovered (review 7 #1: a paid-unclaimed told as the lost-send watch ended was gone at a
// restart, the customer's payment kept). Each is written in the transaction of its step, raised
// again at every start (agent/engine/alarm-log.ts) and kept until `ctl ack` (the daemon's station).
import type { KeptAlarm } from "./types.ts";

type Run = (sql: string, params: unknown[]) => Promise<void>;
type All = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

export async function keptAlarmSeen(all: All, flowId: string, code: string, message: string): Promise<boolean> {
  return (await all("SELECT 1 FROM kept_alarms WHERE flow_id = ? AND code = ? AND message = ? LIMIT 1", [flowId, code, message])).length > 0;
}

export async function insertKeptAlarms(run: Run, alarms: readonly KeptAlarm[]): Promise<void> {
  for (const a of alarms) {
    await run("INSERT INTO kept_alarms(flow_id, code, point, message, at, refundable, ers_reference) VALUES (?, ?, ?, ?, ?, ?, ?)", [
      a.flowId,
      a.code,
      a.point ?? null,
      a.message,
      a.at,
      a.refundable ? JSON.stringify(a.refundable) : null,
      a.refundable?.ersReference ?? null,
    ]);
  }
}

function keptAlarm(r: Record<string, unknown>): KeptAlarm {
  return {
    flowId: String(r.flow_id),
    code: String(r.code),
    message: String(r.message),
    ...(r.point !== null ? { point: Number(r.point) } : {}),
    at: Number(r.at),
    ...(r.refundable !== null ? { refundable: JSON.parse(String(r.refundable)) as KeptAlarm["refundable"] } : {}),
  };
}

export async function openKeptAlarms(all: All): Promise<readonly KeptAlarm[]> {
  return (await all("SELECT * FROM kept_alarms WHERE acked_at IS NULL ORDER BY id", [])).map(keptAlarm);
}

/**
 * `ctl ack` of one kept alarm: its rows only — of its flow and code, with its text (a flow may
 * tell several payments, one row each: acking one must not ack the others, review 8 #2).
 */
export function ackKeptAlarms(run: Run, flowId: string, code: string, message: string, at: number): Promise<void> {
  return run("UPDATE kept_alarms SET acked_at = ? WHERE flow_id = ? AND code = ? AND message = ? AND acked_at IS NULL", [at, flowId, code, message]);
}

export async function unclaimedPayment(all: All, ersReference: string): Promise<KeptAlarm["refundable"] | undefined> {
  const rows = await all("SELECT * FROM kept_alarms WHERE ers_reference = ? ORDER BY id DESC LIMIT 1", [ersReference]);
  return rows[0] ? keptAlarm(rows[0]).refundable : undefined;
}

/** Acknowledged alarms older than the retention go with compaction (open ones stay, however old). */
export function compactKeptAlarms(run: Run, before: number): Promise<void> {
  return run("DELETE FROM kept_alarms WHERE acked_at IS NOT NULL AND acked_at < ?", [before]);
}
