// The standard process metrics, under the names of prom-client's default metrics (so existing
// dashboards and alerts work): CPU, start time, resident/virtual memory, open/max file
// descriptors, V8 heap and its spaces, external memory, active resources, the Node version.
//
// Why not prom-client itself (measured with the unit's node flags, a script doing nothing else):
// importing it raised the RSS from 41.1 to 48.1 MiB, with collectDefaultMetrics 49.0 MiB —
// +8 MiB in a daemon of ≈75 MiB whose flags were each chosen to save a few — for a registry we
// already have and a dozen numbers Node and /proc give directly. Not offered: its GC duration
// histogram (a PerformanceObserver on every collection) and event-loop percentiles (we export
// the watchdog's measured lag, glase_agent_event_loop_lag_seconds).
import { readdirSync, readFileSync } from "node:fs";
import { getHeapSpaceStatistics } from "node:v8";
import type { MetricsRegistry } from "./metrics.ts";

function statusField(name: string): number | undefined {
  try {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function openFds(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length - 1; // the directory handle of this read
  } catch {
    return undefined;
  }
}

function maxFds(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const one = (v: number | undefined): ReadonlyArray<readonly [Record<string, string>, number]> => (v === undefined ? [] : [[{}, v]]);

export function registerProcessMetrics(r: MetricsRegistry): void {
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
  // Totals that only grow: counters (rate() and increase() need the type to handle a restart).
  r.counter("process_cpu_user_seconds_total", "User CPU time spent in seconds", () => one(process.cpuUsage().user / 1e6));
  r.counter("process_cpu_system_seconds_total", "System CPU time spent in seconds", () => one(process.cpuUsage().system / 1e6));
  r.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds", () => {
    const u = process.cpuUsage();
    return one((u.user + u.system) / 1e6);
  });
  r.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds", () => one(startSeconds));
  r.gauge("process_resident_memory_bytes", "Resident memory size in bytes", () => one(process.memoryUsage.rss()));
  r.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes", () => one(statusField("VmSize")));
  r.gauge("process_heap_bytes", "Process heap size in bytes", () => one(statusField("VmData")));
  r.gauge("process_open_fds", "Number of open file descriptors", () => one(openFds()));
  r.gauge("process_max_fds", "Maximum number of open file descriptors", () => one(maxFds()));
  // Where the RSS goes: V8 heap (by space), and off-heap memory owned by JS objects (Buffers,
  // sqlite3/serialport native handles).
  r.gauge("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes", () => one(process.memoryUsage().heapTotal));
  r.gauge("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes", () => one(process.memoryUsage().heapUsed));
  r.gauge("nodejs_external_memory_bytes", "Node.js external memory size in bytes", () => one(process.memoryUsage().external));
  r.gauge("nodejs_heap_space_size_used_bytes", "Process heap space size used from Node.js in bytes", () =>
    getHeapSpaceStatistics().map((s) => [{ space: s.space_name.replace(/_space$/, "") }, s.space_used_size] as const),
  );
  r.gauge("nodejs_active_resources", "Active resources keeping the event loop alive, by type", () => {
    const byType = new Map<string, number>();
    for (const t of process.getActiveResourcesInfo()) byType.set(t, (byType.get(t) ?? 0) + 1);
    return [...byType].map(([type, n]) => [{ type }, n] as const);
  });
  r.gauge("nodejs_active_resources_total", "Total number of active resources", () => one(process.getActiveResourcesInfo().length));
  const [major, minor, patch] = process.versions.node.split(".");
  r.gauge("nodejs_version_info", "Node.js version info", () => [[{ version: process.version, major: major!, minor: minor!, patch: patch! }, 1]]);
}
