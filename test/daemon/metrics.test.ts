import { afterEach, describe, expect, it } from "vitest";
import { MetricsRegistry, serveMetrics, type MetricsServer } from "../../agent/daemon/metrics.ts";
import { StationMetrics } from "../../agent/daemon/station-metrics.ts";
import { GlaseError } from "../../agent/glase/errors.ts";
import type { GlaseApi } from "../../agent/glase/types.ts";
import type { PointSnapshot } from "../../agent/engine-api.ts";

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("metrics registry", () => {
  it("renders counters, gauges and histograms in Prometheus text format", () => {
    const r = new MetricsRegistry();
    const c = r.counter("x_total", "things");
    c.inc({ kind: "a" });
    c.inc({ kind: "a" }, 2);
    c.inc({ kind: 'q"uote' });
    r.gauge("g", "computed", () => [[{ p: 1 }, 0.5]]);
    const h = r.histogram("lat_seconds", "latency", [0.1, 1]);
    h.observe({ op: "x" }, 0.05);
    h.observe({ op: "x" }, 0.5);
    h.observe({ op: "x" }, 5);
    expect(r.render()).toBe(
      [
        "# HELP x_total things",
        "# TYPE x_total counter",
        'x_total{kind="a"} 3',
        'x_total{kind="q\\"uote"} 1',
        "# HELP g computed",
        "# TYPE g gauge",
        'g{p="1"} 0.5',
        "# HELP lat_seconds latency",
        "# TYPE lat_seconds histogram",
        'lat_seconds_bucket{le="0.1",op="x"} 1',
        'lat_seconds_bucket{le="1",op="x"} 2',
        'lat_seconds_bucket{le="+Inf",op="x"} 3',
        'lat_seconds_sum{op="x"} 5.55',
        'lat_seconds_count{op="x"} 3',
        "",
      ].join("\n"),
    );
    expect(() => r.counter("x_total", "again")).toThrow(/registered twice/);
  });

  it("serves /metrics on loopback and 404 elsewhere", async () => {
    const r = new MetricsRegistry();
    r.counter("up_total", "u").inc();
    server = await serveMetrics(r, "127.0.0.1", 0);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("version=0.0.4");
    expect(await res.text()).toContain("up_total 1");
    expect((await fetch(server.url.replace("/metrics", "/other"))).status).toBe(404);
  });
});

describe("station metrics", () => {
  it("measures Glase calls, polls, journal commits, flows by outcome, alarms and devices", async () => {
    let now = 1_000_000;
    const points: PointSnapshot[] = [
      { point: 1, kind: "fuel", terminalId: "t1", state: "delivering", alarms: [] },
      { point: 2, kind: "fuel", terminalId: "t2", state: "idle", alarms: [] },
    ];
    const m = new StationMetrics({
      points: () => points,
      alarms: () => [{ id: "a", at: 0, code: "overrun", message: "m" }],
      devices: () => [{ device: "printer", kind: "virtual", state: "degraded", since: 0 }],
      eventLoopLagMs: () => 12,
      now: () => now,
    });
    // A real object standing in for Glase: two operations are enough to exercise the wrapper.
    const api = {
      async getPaymentStatus() {
        return { resultCode: 0 };
      },
      async cancelInvoice() {
        throw new GlaseError("cancelInvoice", 37);
      },
    } as unknown as GlaseApi;
    const glase = m.instrumentGlase(api);
    await glase.getPaymentStatus({ terminalId: "t1", password: "x" }, "r", 0);
    await expect(glase.cancelInvoice({ terminalId: "t1", password: "x" }, "r")).rejects.toBeInstanceOf(GlaseError);
    now += 3_000;
    m.onEngineEvent({ type: "flow", flow: { flowId: "f", kind: "preliminary", state: "paid", finished: true, parked: false, startedAt: 0, updatedAt: 0, outcome: "paid" } });
    m.onEngineEvent({ type: "flow", flow: { flowId: "f", kind: "preliminary", state: "paid", finished: true, parked: false, startedAt: 0, updatedAt: 0, outcome: "paid" } });
    const journal = m.instrumentJournal({ append: async () => 7, close: async () => {} } as never);
    expect(await journal.append({} as never)).toBe(7);
    const text = m.registry.render();
    expect(text).toContain('glase_agent_glase_call_seconds_count{operation="getPaymentStatus"} 1');
    expect(text).toMatch(/glase_agent_glase_call_failures_total\{code="GLASE_RESULT",operation="cancelInvoice"\} 1/);
    expect(text).toContain('glase_agent_poll_age_seconds{point="1"} 3');
    expect(text).not.toContain('glase_agent_poll_age_seconds{point="2"}');
    expect(text).toContain('glase_agent_flows_finished_total{kind="preliminary",outcome="paid"} 1');
    expect(text).toContain("glase_agent_journal_commit_seconds_count 1");
    expect(text).toContain('glase_agent_alarms{code="overrun"} 1');
    expect(text).toContain('glase_agent_device_up{device="printer",kind="virtual"} 0');
    expect(text).toContain("glase_agent_event_loop_lag_seconds 0.012");
  });
});

describe("metrics listener against bad clients", () => {
  it("answers HEAD with the headers only, and 405 to other methods", async () => {
    const r = new MetricsRegistry();
    r.counter("up_total", "u").inc();
    server = await serveMetrics(r, "127.0.0.1", 0);
    const head = await fetch(server.url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(0);
    expect(await head.text()).toBe("");
    const post = await fetch(server.url, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("closes a slowloris connection after the header timeout", async () => {
    const { createConnection } = await import("node:net");
    server = await serveMetrics(new MetricsRegistry(), "127.0.0.1", 0, { headersTimeoutMs: 300 });
    const port = Number(new URL(server.url).port);
    const slow = createConnection(port, "127.0.0.1");
    slow.on("error", () => undefined);
    slow.resume();
    slow.write("GET /metrics HTTP/1.1\r\nHost: x\r\n");
    const drip = setInterval(() => slow.writable && slow.write("X-A: b\r\n"), 100);
    const started = Date.now();
    await new Promise<void>((resolve) => slow.once("close", () => resolve()));
    clearInterval(drip);
    // The requirement is the bound: a header timeout of 0.3 s closes it long before 10 s.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a local slowloris holding every slot does not lock the scrapes out: the stalest half-sent connection makes room", async () => {
    const { createConnection } = await import("node:net");
    // Timeouts far away: only the connection slots decide here.
    server = await serveMetrics(new MetricsRegistry(), "127.0.0.1", 0, { headersTimeoutMs: 60_000, requestTimeoutMs: 120_000, maxConnections: 4, maxPerSource: 3 });
    const port = Number(new URL(server.url).port);
    /** A whole request on a new connection; resolves with every byte answered once the server closes it. */
    const request = () =>
      new Promise<string>((resolve) => {
        const s = createConnection(port, "127.0.0.1", () => s.write("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        let got = "";
        s.setEncoding("latin1");
        s.on("data", (d: string) => (got += d));
        s.on("error", () => undefined);
        s.on("close", () => resolve(got));
      });
    // The loris: 20 connections with half a header each, reopened as soon as one is closed.
    const loris = new Set<import("node:net").Socket>();
    let running = true;
    const open = () => {
      const s = createConnection(port, "127.0.0.1", () => s.write("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
      s.on("error", () => undefined);
      s.on("close", () => (loris.delete(s), running && open()));
      loris.add(s);
    };
    for (let i = 0; i < 20; i++) open();
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) answers.push(await request());
    running = false;
    for (const s of loris) s.destroy();
    expect(answers.filter((a) => a.startsWith("HTTP/1.1 200 ")).length, "scrapes served under the loris").toBe(10);
  });

  it("offers the standard process metrics under prom-client's names", async () => {
    const { registerProcessMetrics } = await import("../../agent/daemon/process-metrics.ts");
    const r = new MetricsRegistry();
    registerProcessMetrics(r);
    const text = r.render();
    for (const name of ["process_cpu_seconds_total", "process_start_time_seconds", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds", "process_max_fds", "nodejs_heap_size_used_bytes", "nodejs_external_memory_bytes", "nodejs_version_info"]) {
      expect(text).toMatch(new RegExp(`^${name}(\\{[^}]*\\})? [0-9.e+]+$`, "m"));
    }
    expect(text).toMatch(/^nodejs_heap_space_size_used_bytes\{space="old"\} \d+$/m);
    // Totals are counters, as prom-client types them (a gauge breaks rate() across restarts).
    for (const name of ["process_cpu_user_seconds_total", "process_cpu_system_seconds_total", "process_cpu_seconds_total"]) expect(text).toContain(`# TYPE ${name} counter\n`);
    for (const name of ["process_resident_memory_bytes", "process_open_fds"]) expect(text).toContain(`# TYPE ${name} gauge\n`);
  });
});
