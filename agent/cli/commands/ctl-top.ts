// `glase-agent ctl top`: the points live, redrawn like top(1). It subscribes to the watch stream
// (a snapshot, then every point/alarm/device change) and redraws at most 4 times a second, plus
// once a second for the clock. q or Ctrl-C quits; the agent going away ends it too. When stdout
// is not a terminal it prints the plain view periodically instead (runTop).
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
      view.devices = new Map(((event.status?.devices ?? []) as DeviceHealth[]).map((d) => [deviceKey(d), d]));
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
      view.devices.set(deviceKey(event.device), event.device);
      view.events.unshift(`${time(Date.now()).slice(11)} device ${deviceKey(event.device)} ${event.device.state}`);
      break;
  }
  view.events.length = Math.min(view.events.length, 8);
}

export function renderTop(view: View, now = Date.now(), live = true): string {
  const s = view.status;
  const points = [...view.points.values()].sort((a, b) => a.point - b.point);
  const active = points.filter((p) => p.state !== "idle").length;
  const header = `glase-agent top — ${s?.station ?? "?"} — ${time(now)} — ${points.length} points, ${active} busy, ${view.alarms.size} alarms${s && !s.accepting ? " — NOT ACCEPTING" : ""}`;
  const devices = [...view.devices.values()].map((d) => `${deviceKey(d)}:${d.state}`).join("  ");
  return [
    header,
    devices ? `devices: ${devices}` : "",
    "",
    renderPoints(points),
    "",
    view.alarms.size ? renderAlarms([...view.alarms.values()]) : "no alarms",
    "",
    view.events.length ? table(["RECENT"], view.events.map((e) => [e])) : "",
    ...(live ? ["", "q or Ctrl-C quits"] : []),
  ].join("\n");
}

export interface TopOptions {
  /** Plain mode (stdout not a terminal): print the view every intervalMs. Default 5 s. */
  readonly intervalMs?: number;
  /** Stop after this many views (like top -b -n). Default: until q, Ctrl-C or the agent goes away. */
  readonly iterations?: number;
}

/**
 * On a terminal: redrawn in place like top(1). Not on a terminal (piped into a file, a pager, a
 * log collector, a test): plain text — the whole view every intervalMs, separated by a blank line,
 * no escape codes — like `top -b`.
 */
export async function runTop(client: ControlClient, out: Pick<NodeJS.WriteStream, "write" | "isTTY"> = process.stdout, input: NodeJS.ReadStream = process.stdin, opts: TopOptions = {}): Promise<number> {
  const view: View = { points: new Map(), alarms: new Map(), devices: new Map(), events: [] };
  const live = out.isTTY === true;
  let dirty = true;
  let shown = 0;
  // Nothing to show before the watch stream's first frame (the snapshot).
  let ready = false;
  let finish: () => void = () => undefined;
  const draw = () => {
    if (!ready) return;
    dirty = false;
    if (live) out.write(CLEAR + renderTop(view) + "\n");
    else out.write((shown > 0 ? "\n" : "") + renderTop(view, Date.now(), false) + "\n");
    shown++;
    if (opts.iterations !== undefined && shown >= opts.iterations) finish();
  };
  await client.watch((event) => {
    applyEvent(view, event);
    dirty = true;
    if (!ready && (event as { type?: string })?.type === "snapshot") {
      ready = true;
      draw();
    }
  });
  if (live) out.write(HIDE_CURSOR);
  const timers = live ? [setInterval(() => dirty && draw(), 250), setInterval(draw, 1_000)] : [setInterval(draw, opts.intervalMs ?? 5_000)];
  return new Promise<number>((resolve) => {
    let done = false;
    finish = () => {
      if (done) return;
      done = true;
      for (const t of timers) clearInterval(t);
      if (input.isTTY) input.setRawMode(false);
      input.off("data", onKey);
      // pause() alone leaves a piped stdin holding the event loop open.
      input.destroy();
      process.off("SIGINT", finish);
      if (live) out.write(SHOW_CURSOR);
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
    draw();
  });
}

/** A station has several pump/charger controllers: each is its own line (dispenser/chargers). */
function deviceKey(d: DeviceHealth): string {
  return d.controller ? `${d.device}/${d.controller}` : d.device;
}
