// The one-line summary sent as STATUS= (systemctl status) and shown at the top of `ctl top`.
import type { StationControl } from "./sockets/control.ts";

export function statusLine(control: StationControl): string {
  const s = control.status();
  const byState = new Map<string, number>();
  for (const p of control.points()) byState.set(p.state, (byState.get(p.state) ?? 0) + 1);
  const points = [...byState].map(([state, n]) => `${n} ${state}`).join(", ");
  const degraded = s.devices.filter((d) => d.state === "degraded").map((d) => (d.controller ? `${d.device}/${d.controller}` : d.device));
  return [
    `${s.phase}${s.accepting ? "" : " (not accepting)"}`,
    `points: ${points || "none"}`,
    `flows: ${s.activeFlows} active${s.parkedFlows ? `, ${s.parkedFlows} PARKED` : ""}`,
    `alarms: ${s.alarms}`,
    degraded.length ? `degraded: ${degraded.join(",")}` : "devices ok",
  ].join("; ");
}
