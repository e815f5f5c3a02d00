// Prometheus text exposition (format 0.0.4) with a tiny registry: counters, gauges (set or
// computed at scrape time) and histograms, each with labels. Served over HTTP on a loopback
// address only (the config refuses anything else), GET and HEAD, with header/request timeouts
// and a connection cap. No dependency: the format is a few lines (process-metrics.ts says why
// not prom-client).
import { guardConnections } from "../invoice-service/connection-guard.ts";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AgentError } from "../../base/errors.ts";

type Labels = Readonly<Record<string, string | number>>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
  return `{${keys.map((k) => `${k}="${esc(String(labels[k]))}"`).join(",")}}`;
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  lines(): string[];
}

export class Counter implements Metric {
  readonly type = "counter";
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    /** A total kept elsewhere (the kernel's CPU time), read at scrape time; it must only grow. */
    private readonly collect?: () => ReadonlyArray<readonly [Labels, number]>,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  lines(): string[] {
    const entries = this.collect ? this.collect().map(([l, v]) => [labelKey(l), v] as const) : [...this.values];
    return entries.map(([k, v]) => `${this.name}${k} ${num(v)}`);
  }
}

export class Gauge implements Metric {
  readonly type = "gauge";
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    /** Computed at scrape time; replaces the set() values when given. */
    private readonly collect?: () => ReadonlyArray<readonly [Labels, number]>,
  ) {}
  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), value);
  }
  lines(): string[] {
    const entries = this.collect ? this.collect().map(([l, v]) => [labelKey(l), v] as const) : [...this.values];
    return entries.map(([k, v]) => `${this.name}${k} ${num(v)}`);
  }
}

export class Histogram implements Metric {
  readonly type = "histogram";
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}
  observe(labels: Labels, value: number): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }
  lines(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${labelKey({ ...s.labels, le: num(b) })} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${labelKey({ ...s.labels, le: "+Inf" })} ${s.count}`);
      out.push(`${this.name}_sum${labelKey(s.labels)} ${num(s.sum)}`);
      out.push(`${this.name}_count${labelKey(s.labels)} ${s.count}`);
    }
    return out;
  }
}

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];

  private add<M extends Metric>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name)) throw new AgentError("INTERNAL", `metric ${m.name} registered twice`);
    this.metrics.push(m);
    return m;
  }
  counter(name: string, help: string, collect?: () => ReadonlyArray<readonly [Labels, number]>): Counter {
    return this.add(new Counter(name, help, collect));
  }
  gauge(name: string, help: string, collect?: () => ReadonlyArray<readonly [Labels, number]>): Gauge {
    return this.add(new Gauge(name, help, collect));
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, [...buckets].sort((a, b) => a - b)));
  }

  render(): string {
    const out: string[] = [];
    for (const m of this.metrics) {
      out.push(`# HELP ${m.name} ${m.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${m.name} ${m.type}`, ...m.lines());
    }
    return out.join("\n") + "\n";
  }
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The scrape endpoint's bounds (tests shrink the timeouts). */
export interface MetricsServerLimits {
  /** A client must have sent its request headers within this (a slowloris is closed). */
  readonly headersTimeoutMs: number;
  /** The whole request. */
  readonly requestTimeoutMs: number;
  /**
   * Open connections, and per source address. At a cap the connection that has waited longest
   * without a whole request is closed for the new one (connection-guard.ts): `maxConnections`
   * refusing the newest let one local user's half-sent connections lock every scrape out
   * (review 2 #9). A scraper needs one or two.
   */
  readonly maxConnections: number;
  readonly maxPerSource: number;
}

export const METRICS_LIMITS: MetricsServerLimits = { headersTimeoutMs: 5_000, requestTimeoutMs: 10_000, maxConnections: 16, maxPerSource: 8 };

export async function serveMetrics(registry: MetricsRegistry, host: string, port: number, limits: Partial<MetricsServerLimits> = {}): Promise<MetricsServer> {
  const l = { ...METRICS_LIMITS, ...limits };
  const server: Server = createServer(
    {
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      // Node checks the two timeouts above only this often (default 30 s).
      connectionsCheckingInterval: Math.min(1_000, l.headersTimeoutMs),
    },
    (req, res) => {
      guard.working(req.socket);
      res.once("finish", () => guard.waiting(req.socket));
      const path = (req.url ?? "/").split("?")[0];
      if (path !== "/metrics") {
        res.writeHead(404, { "Content-Type": "text/plain" }).end(req.method === "HEAD" ? undefined : "only GET /metrics\n");
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { "Content-Type": "text/plain", Allow: "GET, HEAD" }).end("only GET or HEAD /metrics\n");
        return;
      }
      let body: string;
      try {
        body = registry.render();
      } catch (e) {
        res.writeHead(500, { "Content-Type": "text/plain" }).end(`${(e as Error).message}\n`);
        return;
      }
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
      res.end(req.method === "HEAD" ? undefined : body);
    },
  );
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 50;
  const guard = guardConnections(server, { maxConnections: l.maxConnections, maxPerSource: Math.min(l.maxPerSource, l.maxConnections) });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(new AgentError("CONFLICT", `metrics: cannot listen on ${host}:${port}: ${e.code ?? e.message}`, { host, port, errno: e.code ?? "" })),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostPart = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${hostPart}:${addr.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
