// The station's metrics: what an operator graphs and alerts on. Glase call latency and journal
// commit latency are measured by wrapping the GlaseApi and the Journal (the engine does not know);
// flows by outcome come from the engine's events; poll age, alarms and device health are read
// at scrape time.
import type { EngineEvent, PointSnapshot, AlarmInfo, PointDisplayState } from "../engine-api.ts";
import type { GlaseApi } from "../../contracts/glase/types.ts";
import type { Journal } from "../journal/types.ts";
import { registerProcessMetrics } from "./process-metrics.ts";
import { MetricsRegistry, type Counter, type Histogram } from "./metrics.ts";
import type { DeviceHealth } from "./sockets/control.ts";

/** Points in these states have an open invoice that must be polled. */
const POLLED_STATES: ReadonlySet<PointDisplayState> = new Set(["waiting-customer", "authorized", "delivering", "settling"]);

export interface StationMetricSources {
  points(): readonly PointSnapshot[];
  alarms(): readonly AlarmInfo[];
  devices(): readonly DeviceHealth[];
  eventLoopLagMs(): number;
  now(): number;
}

export class StationMetrics {
  readonly registry = new MetricsRegistry();
  readonly flows: Counter;
  readonly glaseCalls: Histogram;
  readonly glaseFailures: Counter;
  readonly journalCommits: Histogram;
  private readonly lastPoll = new Map<string, number>();
  private readonly counted = new Set<string>();

  constructor(private readonly src: StationMetricSources) {
    const r = this.registry;
    this.flows = r.counter("glase_agent_flows_finished_total", "Finished payment flows by kind and outcome");
    this.glaseCalls = r.histogram("glase_agent_glase_call_seconds", "Glase SOAP call latency by operation", [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
    this.glaseFailures = r.counter("glase_agent_glase_call_failures_total", "Glase calls that failed, by operation and error code");
    this.journalCommits = r.histogram("glase_agent_journal_commit_seconds", "Durable journal append latency (fsync included)", [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);
    r.gauge("glase_agent_poll_age_seconds", "Seconds since the last getPaymentStatus of each point with an open invoice (must stay far below 20)", () =>
      src
        .points()
        .filter((p) => POLLED_STATES.has(p.state))
        .map((p) => [{ point: p.point }, Math.max(0, (src.now() - (this.lastPoll.get(p.terminalId) ?? src.now())) / 1000)] as const),
    );
    r.gauge("glase_agent_alarms", "Open alarms by code", () => {
      const byCode = new Map<string, number>();
      for (const a of src.alarms()) byCode.set(a.code, (byCode.get(a.code) ?? 0) + 1);
      return [...byCode].map(([code, n]) => [{ code }, n] as const);
    });
    r.gauge("glase_agent_device_up", "1 when the device is connected and healthy, 0 when degraded or absent", () =>
      src.devices().map((d) => [{ device: d.device, kind: d.kind, ...(d.controller !== undefined ? { controller: d.controller } : {}) }, d.state === "ok" ? 1 : 0] as const),
    );
    r.gauge("glase_agent_points", "Points by display state", () => {
      const byState = new Map<string, number>();
      for (const p of src.points()) byState.set(p.state, (byState.get(p.state) ?? 0) + 1);
      return [...byState].map(([state, n]) => [{ state }, n] as const);
    });
    r.gauge("glase_agent_event_loop_lag_seconds", "Event-loop lag measured by the watchdog health check", () => [[{}, src.eventLoopLagMs() / 1000]]);
    registerProcessMetrics(r);
  }

  /** Counts each finished flow once (events repeat a flow's final state). */
  onEngineEvent(event: EngineEvent): void {
    if (event.type !== "flow" || !event.flow.finished || this.counted.has(event.flow.flowId)) return;
    this.counted.add(event.flow.flowId);
    if (this.counted.size > 50_000) this.counted.delete(this.counted.values().next().value!);
    this.flows.inc({ kind: event.flow.kind, outcome: event.flow.outcome ?? (event.flow.parked ? "parked" : "done") });
  }

  /** Seconds since the last poll of a terminal (benchmarks, tests). */
  lastPollAt(terminalId: string): number | undefined {
    return this.lastPoll.get(terminalId);
  }

  instrumentGlase(api: GlaseApi): GlaseApi {
    return new Proxy(api, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function" || typeof prop !== "string") return value;
        return async (...args: unknown[]) => {
          const started = performance.now();
          try {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            if (prop === "getPaymentStatus") this.notePoll(args[0]);
            return result;
          } catch (e) {
            const code = (e as { code?: unknown })?.code;
            this.glaseFailures.inc({ operation: prop, code: typeof code === "string" ? code : "unknown" });
            // A poll answered with an error still reached Glase (the 20 s rule counts arrivals).
            if (prop === "getPaymentStatus" && code === "GLASE_RESULT") this.notePoll(args[0]);
            throw e;
          } finally {
            this.glaseCalls.observe({ operation: prop }, (performance.now() - started) / 1000);
          }
        };
      },
    });
  }

  private notePoll(terminal: unknown): void {
    const id = (terminal as { terminalId?: unknown })?.terminalId;
    if (typeof id === "string") this.lastPoll.set(id, this.src.now());
  }

  instrumentJournal(journal: Journal): Journal {
    const commits = this.journalCommits;
    return new Proxy(journal, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== "append" || typeof value !== "function") return typeof value === "function" ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          const started = performance.now();
          try {
            return await (value as (...a: unknown[]) => Promise<number>).apply(target, args);
          } finally {
            commits.observe({}, (performance.now() - started) / 1000);
          }
        };
      },
    });
  }
}
