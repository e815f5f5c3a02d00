// The device-link-down alarm (docs/alarms.md): a controller the station opened whose link is lost
// (a pump board's cable, a vending machine's MDB adapter) is a condition on each of its points —
// raised while its device health is degraded for a link reason, cleared when the link is back.
// Not for "connecting" (the first seconds of a start) nor "failed at start" (that controller has
// its own device-dispenser-unavailable alarm). Pure: from the device board's entries.
import type { DeviceHealth } from "./sockets/control.ts";

export const LINK_DOWN = "device-link-down";

/** Link alarms are the device board's, not the start checks': a re-check of those keeps them. */
export const isLinkAlarm = (code: string): boolean => code === LINK_DOWN;

export interface LinkAlarm {
  readonly code: typeof LINK_DOWN;
  readonly point: number;
  readonly message: string;
}

export function linkAlarms(devices: readonly DeviceHealth[]): LinkAlarm[] {
  const out: LinkAlarm[] = [];
  for (const d of devices) {
    if (d.device !== "dispenser" || d.state !== "degraded" || d.points === undefined || d.controller === undefined) continue;
    if (d.detail === undefined || d.detail === "connecting" || d.detail.startsWith("failed at start")) continue;
    for (const point of d.points) {
      out.push({
        code: "device-link-down",
        point,
        message: `point ${point} is out of service: controller ${d.controller} (${d.kind}): ${d.detail}. Check its cable, power and adapter; the agent reconnects by itself and this alarm clears when the link is back`,
      });
    }
  }
  return out;
}
