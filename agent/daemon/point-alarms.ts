// The start alarm of a point whose registration cannot be used: its code (docs/alarms.md) and a
// message that says what the technician does about it.
import type { PointRegistration } from "./terminals.ts";

/** What the technician must do about a point that cannot take payments. */
export function pointAlarm(point: number, reg: Exclude<PointRegistration, { kind: "registered" | "unregistered" }>): { point: number; code: string; message: string } {
  if (reg.kind === "unregistering") {
    return {
      point,
      code: "unregistration-unconfirmed",
      message:
        `point ${point} is out of service: an unregister of terminal ${reg.marker.terminalId ?? "(unknown)"} got no answer from Glase, which may or may not have removed it. ` +
        `Run \`glase-agent unregister --point ${point}\` again (it completes when Glase no longer knows the terminal), then register a new one if the point is to sell.`,
    };
  }
  if (reg.kind === "unconfirmed" && reg.inProgress) {
    return {
      point,
      code: "registration-in-progress",
      message: `point ${point} is out of service: a registration (started ${reg.pending.startedAt} by process ${reg.pending.writer?.pid}) is waiting for Glase's answer; when it has finished, \`systemctl reload glase-agent\`.`,
    };
  }
  if (reg.kind === "unconfirmed") {
    return {
      point,
      code: "registration-unconfirmed",
      message:
        `point ${point} is out of service: its registration (started ${reg.pending.startedAt}) got no answer from Glase, which may hold terminal "${reg.pending.externalTerminalId}" ` +
        `whose id we never learned. Run \`glase-agent register --point ${point}\` again (the unanswered attempt and its password are kept in terminals/orphans/ for Glase support).`,
    };
  }
  const todo =
    reg.source === "config"
      ? "fix the file the config names for it (owner glase-agent, chmod 600) or restore it from a backup"
      : `restore terminals/point-${point}.json from a backup, or run \`glase-agent register --point ${point}\` again (a new terminal; the damaged file is kept in terminals/orphans/)`;
  return { point, code: "credentials-unusable", message: `point ${point} is out of service: ${reg.problem}. To fix it: ${todo}, then \`systemctl reload glase-agent\`.` };
}
