// A device's alarm that tells a technician to move money for a flow — refund or collect a
// difference the driver settled around (OCPP: a meterStop it could not trust, a stop the charger
// ignored, a StopTransaction after the settlement, an unrated connector's doubtful bill) — is kept
// in the journal like a flow's money alarm (kept-alarms.ts), raised again at every start until
// `ctl ack` (review 13b R13b-4: a restart before the technician's visit lost the only record of a
// bill up to the reservation). The driver raises it once, after its own durable settlement, so it
// is not a step of the flow: it is written on its own, right after it is raised.
import type { Logger } from "../../base/log.ts";
import type { RaisedAlarm } from "../engine/alarm-log.ts";
import type { Journal } from "../journal/types.ts";

/** Device alarm codes (as raised: `device-fault-<driver code>`) whose action moves money. */
export const DEVICE_MONEY_ALARM_CODES: ReadonlySet<string> = new Set(
  ["OCPP_STOP_IGNORED", "OCPP_STOP_MISSING", "OCPP_STOP_UNCONFIRMED", "OCPP_LATE_STOP", "OCPP_METER_RESET", "OCPP_METER_DISAGREES", "OCPP_RATING_UNSET"].map((c) => `device-fault-${c}`),
);

/** Kept device alarms per flow in one process: a repeating or hostile device cannot grow the journal without bound. */
const MAX_KEPT_PER_FLOW = 8;

/** Raises a device's alarm; one that moves money for a flow is also kept in the journal. */
export async function raiseDeviceAlarm(a: RaisedAlarm, deps: { readonly journal: Journal; readonly raise: (a: RaisedAlarm) => void; readonly logger: Logger; readonly now: () => number; readonly keptPerFlow: Map<string, number> }): Promise<void> {
  if (a.flowId === undefined || !DEVICE_MONEY_ALARM_CODES.has(a.code)) return deps.raise(a);
  // A driver raises a flow's money alarm again at every start (review 13c C2: a crash between its
  // durable settlement and this write lost it): kept once — shown by the journal's restore while
  // open — and one a technician acknowledged is not brought back.
  if (await deps.journal.keptAlarmSeen(a.flowId, a.code, a.message).catch(() => false)) return;
  deps.raise(a);
  const { keptPerFlow } = deps;
  const n = keptPerFlow.get(a.flowId) ?? 0;
  if (n >= MAX_KEPT_PER_FLOW) return void deps.logger.warn("device_alarm_not_kept", { flowId: a.flowId, code: a.code, why: `more than ${MAX_KEPT_PER_FLOW} device money alarms for one flow (a repeating device?)`, next: "shown now, not kept" });
  if (keptPerFlow.size >= 10_000) keptPerFlow.clear();
  keptPerFlow.set(a.flowId, n + 1);
  const kept = { flowId: a.flowId, code: a.code, message: a.message, ...(a.point !== undefined ? { point: a.point } : {}), at: deps.now() };
  await deps.journal.keepAlarms([kept]).catch((err: unknown) => deps.logger.error("device_alarm_not_kept", { flowId: a.flowId, code: a.code, err, next: "shown now; lost at a restart before `ctl ack`" }));
}
