// `glase-agent ctl top`: the points live, redrawn like top(1). It subscribes to the watch stream
// (a snapshot, then every point/alarm/device change) and redraws at most 4 times a second, plus
// once a second for the clock. q or Ctrl-C quits; the agent going away ends it too.
import type { AlarmInfo, PointSnapshot } from "../../engine-api.ts";
import type { ControlClient } from "../../daemon/sockets/client.ts";
import type { DeviceHealth, StationStatus } from "../../daemon/sockets/control.ts";
import { renderAlarms, renderPoints, table, time } from "./ctl-render.ts";

const CLEAR = "\x1b[H\x1b[2J";
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";

interface View {
  status?: StationStatus;
  points: Map<number, PointSnapshot>;
  alarms: Map<string, AlarmInfo>;
  devices: Map<string, DeviceHealth>;
  events: string[];
}

export function applyEvent(view: View, event: any): void {
  switch (event?.type) {
    case "snapshot":
      view.status = event.status;
      view.points = new Map((event.points as PointSnapshot[]).map((p) => [p.point, p]));
      view.alarms = new Map((event.alarms as AlarmInfo[]).map((a) => [a.id, a]));
      view.devices = new Map(((event.status?.devices ?? []) as DeviceHealth[]).map((d) => [d.device, d]));
      return;
    case "point":
      view.points.set(event.point.point, event.point);
      return;
    case "alarm":
      view.alarms.set(event.alarm.id, event.alarm);
      view.events.unshift(`${time(Date.now()).slice(11)} ALARM ${event.alarm.code}: ${event.alarm.message}`);
      break;
    case "flow":
      if (event.flow.finished) view.events.unshift(`${time(Date.now()).slice(11)} flow ${event.flow.flowId} point ${event.flow.point ?? "-"} → ${event.flow.outcome ?? event.flow.state}`);
      break;
    case "device":
      view.devices.set(event.device.device, event.device);
      view.events.unshift(`${time(Date.now()).slice(11)} device ${event.device.device} ${event.device.state}`);
      break;
  }
  view.events.length = Math.min(view.events.length, 8);
}

export function renderTop(view: View, now = Date.now()): string {
  const s = view.status;
  const points = [...view.points.values()].sort((a, b) => a.point - b.point);
  const active = points.filter((p) => p.state !== "idle").length;
  const header = `glase-agent top — ${s?.station ?? "?"} — ${time(now)} — ${points.length} points, ${active} busy, ${view.alarms.size} alarms${s && !s.accepting ? " — NOT ACCEPTING" : ""}`;
  const devices = [...view.devices.values()].map((d) => `${d.device}:${d.state}`).join("  ");
  return [
    header,
    devices ? `devices: ${devices}` : "",
    "",
    renderPoints(points),
    "",
    view.alarms.size ? renderAlarms([...view.alarms.values()]) : "no alarms",
    "",
    view.events.length ? table(["RECENT"], view.events.map((e) => [e])) : "",
    "",
    "q or Ctrl-C quits",
  ].join("\n");
}

export async function runTop(client: ControlClient, out: NodeJS.WriteStream = process.stdout, input: NodeJS.ReadStream = process.stdin): Promise<number> {
  const view: View = { points: new Map(), alarms: new Map(), devices: new Map(), events: [] };
  let dirty = true;
  const draw = () => {
    dirty = false;
    out.write(CLEAR + renderTop(view) + "\n");
  };
  await client.watch((event) => {
    applyEvent(view, event);
    dirty = true;
  });
  if (out.isTTY) out.write(HIDE_CURSOR);
  const fast = setInterval(() => dirty && draw(), 250);
  const clock = setInterval(draw, 1_000);
  draw();
  return new Promise<number>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(fast);
      clearInterval(clock);
      if (input.isTTY) input.setRawMode(false);
      input.off("data", onKey);
      // pause() alone leaves a piped stdin holding the event loop open.
      input.destroy();
      process.off("SIGINT", finish);
      if (out.isTTY) out.write(SHOW_CURSOR);
      client.close();
      resolve(0);
    };
    const onKey = (data: Buffer | string) => {
      const text = data.toString();
      if (text.includes("q") || text.includes("\x03")) finish();
    };
    if (input.isTTY) input.setRawMode(true);
    input.on("data", onKey);
    input.resume();
    process.once("SIGINT", finish);
    void client.closedPromise().then(finish);
  });
}
