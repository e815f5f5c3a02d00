// Which of a flow's alarms the journal keeps until a technician acknowledges them (review 7 #1):
// those that tell a technician to move money — give a customer's payment back, or collect or check
// a difference. The engine's alarms live in memory, and a flow that finished in the step that raised
// one is never recovered (only parked flows raise theirs again), so without this a restart before
// the technician's visit (days apart on an unattended station) loses the only record that a
// customer paid for nothing. Kept with the step that raised them (agent/journal/kept-alarms.ts),
// raised again at every start (agent/engine/alarm-log.ts), until `ctl ack` (docs/alarms.md).
import type { Effect } from "../core/effects.ts";
import type { FlowState } from "../core/transition.ts";
import type { KeptAlarm } from "../journal/types.ts";
import { DEVICE_MONEY_ALARM_CODES } from "./device-money-alarms.ts";

/** Money alarms: a payment nothing was released for, or a figure that differs from what was paid. */
export const KEPT_ALARM_CODES: ReadonlySet<string> = new Set([
  "paid-unclaimed",
  "lost-send-unresolved",
  "paid-twice",
  "paid-not-ours",
  "paid-while-stopped",
  "paid-amount-mismatch",
  "release-failed",
  // A restart during a POS point's own release (a relay: car wash, vending): the flow finishes
  // "paid" although the product may not have gone out (review 9 final #3). A kiosk sale's host
  // raises it too, outside the journal: its decision (ctl kiosk-resolve) clears that one.
  "release-unknown",
  "delivered-unpaid",
  "delivery-unfinished",
  // A device's money alarms for a flow (device-money-alarms.ts): journaled on their own, kept alike.
  ...DEVICE_MONEY_ALARM_CODES,
]);

/** The alarms of a step the journal keeps (none for almost every step). */
export function keptAlarmsOf(state: FlowState, effects: readonly Effect[], at: number): KeptAlarm[] {
  const point = "point" in state && typeof state.point === "number" ? { point: state.point } : {};
  const kept: KeptAlarm[] = [];
  for (const e of effects) {
    if (e.type !== "alarm" || !KEPT_ALARM_CODES.has(e.code)) continue;
    kept.push({ flowId: state.flowId, code: e.code, message: e.message, ...point, at, ...(e.refundable ? { refundable: e.refundable } : {}) });
  }
  return kept;
}
