// The alerting hook against a real local HTTP receiver and a real child process: retries with
// capped exponential backoff until the receiver recovers (same alert id on every attempt, the
// bearer token in the header and in no log line), Retry-After honoured, refusals not retried,
// redirects not followed, a full queue dropping its oldest alert and counting it, and the
// config's rules. The scheduler runs each retry at once but records the delay it was asked for.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Subject } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alarmSourceOf, type AlarmTransition } from "../../agent/alerts/alarm-source.ts";
import { commandTarget } from "../../agent/alerts/command.ts";
import { AlertDispatcher, type AlertPayload, type AlertTarget } from "../../agent/alerts/dispatcher.ts";
import { webhookTarget } from "../../agent/alerts/webhook.ts";
import type { Scheduler } from "../../agent/core/clock.ts";
import { ConfigSchema } from "../../agent/config/schema.ts";
import type { Logger } from "../../agent/log.ts";
import { parse } from "yaml";

const TOKEN = "s3cr3t-alert-token-42";

interface Hit {
  readonly headers: IncomingMessage["headers"];
  readonly body: AlertPayload;
  readonly path: string;
}

/** A receiver whose answers the test scripts: each request takes the next answer (or waits for one). */
class Receiver {
  readonly hits: Hit[] = [];
  private answers: Array<(res: ServerResponse) => void> = [];
  private waiting: Array<{ res: ServerResponse }> = [];
  private hitWaiters: Array<{ n: number; resolve: () => void }> = [];
  private server!: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let data = "";
      req.on("data", (d) => (data += d));
      req.on("end", () => {
        this.hits.push({ headers: req.headers, body: JSON.parse(data) as AlertPayload, path: req.url ?? "" });
        for (const w of this.hitWaiters.filter((x) => this.hits.length >= x.n)) w.resolve();
        const answer = this.answers.shift();
        if (answer) answer(res);
        else this.waiting.push({ res });
      });
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Queues how the next requests are answered. */
  answer(...statuses: Array<number | [number, Record<string, string>]>): void {
    for (const s of statuses) {
      const [status, headers] = Array.isArray(s) ? s : [s, {}];
      const fn = (res: ServerResponse) => res.writeHead(status, headers).end("{}");
      const held = this.waiting.shift();
      if (held) fn(held.res);
      else this.answers.push(fn);
    }
  }

  hitsReach(n: number): Promise<void> {
    return this.hits.length >= n ? Promise.resolve() : new Promise((resolve) => this.hitWaiters.push({ n, resolve }));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Runs every timer at once, recording the delays asked for. */
function instantScheduler(): Scheduler & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => Date.now(),
    setTimer(ms, fn) {
      delays.push(ms);
      const t = setTimeout(fn, 0);
      return () => clearTimeout(t);
    },
  };
}

/** A logger that keeps every line's raw fields (not scrubbed: what the hook tried to log). */
function rawLogger(lines: string[]): Logger {
  const log = (level: string) => (event: string, fields: Record<string, unknown> = {}) => lines.push(`${level} ${event} ${JSON.stringify(fields)}`);
  const l: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error"), child: () => l };
  return l;
}

const transition = (code: string, point?: number): AlarmTransition => ({ kind: "raised", at: 1_700_000_000_000, alarm: { id: `A-${code}`, at: 1_700_000_000_000, code, message: `${code} happened`, ...(point !== undefined ? { point } : {}) } });

function dispatcher(targets: AlertTarget[], o: { queueSize?: number; lines?: string[]; scheduler?: Scheduler } = {}) {
  return new AlertDispatcher({
    station: "Test station",
    version: "t",
    host: "h",
    targets,
    scheduler: o.scheduler ?? instantScheduler(),
    logger: rawLogger(o.lines ?? []),
    queueSize: o.queueSize ?? 100,
    retryBaseMs: 1_000,
    retryMaxMs: 60_000,
    random: () => 1,
  });
}

let rx: Receiver;
let dir: string;
beforeAll(async () => {
  rx = new Receiver();
  await rx.start();
  dir = await mkdtemp(join(tmpdir(), "glase-alerts-"));
});
afterAll(async () => {
  await rx.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the alerting hook's webhook", () => {
  it("retries a failing receiver with capped exponential backoff until it recovers; the token is sent, never logged", async () => {
    rx.hits.length = 0;
    const lines: string[] = [];
    const scheduler = instantScheduler();
    const d = dispatcher([webhookTarget({ url: rx.url, token: TOKEN, timeoutMs: 5_000, userAgent: "glase-agent/t" })], { lines, scheduler });
    rx.answer(503, 500, 200);
    d.send(transition("settlement-parked", 3));
    await rx.hitsReach(3);
    await d.idle();
    expect(rx.hits).toHaveLength(3);
    expect(new Set(rx.hits.map((h) => h.body.id)).size).toBe(1);
    expect(rx.hits.map((h) => h.headers["x-glase-alert-id"])).toEqual(rx.hits.map((h) => h.body.id));
    expect(rx.hits.every((h) => h.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(rx.hits[0]!.body).toMatchObject({ event: "alarm-raised", station: "Test station", alarm: { code: "settlement-parked", point: 3, message: "settlement-parked happened" } });
    // random() = 1: each backoff is the full exponential step (1 s, then 2 s).
    expect(scheduler.delays).toEqual([1_000, 2_000]);
    expect(d.stats().targets[0]).toMatchObject({ target: "webhook", delivered: 1, queued: 0, dropped: 0, failed: 0 });
    expect(lines.some((l) => l.includes("alert-retry") && l.includes("HTTP 503"))).toBe(true);
    expect(lines.join("\n")).not.toContain(TOKEN);
    d.close();
  });

  it("waits what Retry-After asks (capped), does not retry a refusal, does not follow a redirect", async () => {
    rx.hits.length = 0;
    const scheduler = instantScheduler();
    const d = dispatcher([webhookTarget({ url: rx.url, token: TOKEN, timeoutMs: 5_000, userAgent: "t" })], { scheduler });
    rx.answer([429, { "retry-after": "7" }], 200, 401, [302, { location: `${rx.url}/elsewhere` }], 200);
    d.send(transition("a"));
    d.send(transition("b"));
    d.send(transition("c"));
    d.send(transition("d"));
    await rx.hitsReach(5);
    await d.idle();
    expect(scheduler.delays).toEqual([7_000]);
    expect(rx.hits.map((h) => [h.body.alarm.code, h.path])).toEqual([["a", "/hook"], ["a", "/hook"], ["b", "/hook"], ["c", "/hook"], ["d", "/hook"]]);
    const s = d.stats().targets[0]!;
    expect(s).toMatchObject({ delivered: 2, failed: 2 });
    expect(s.lastError).toMatch(/HTTP 302 \(redirects are not followed/);
    d.close();
  });

  it("keeps at most queueSize alerts waiting: the oldest are dropped and counted, the newest delivered in order", async () => {
    rx.hits.length = 0;
    const d = dispatcher([webhookTarget({ url: rx.url, timeoutMs: 10_000, userAgent: "t" })], { queueSize: 2 });
    for (const code of ["c1", "c2", "c3", "c4", "c5", "c6"]) d.send(transition(code));
    // c1 is at the receiver (unanswered); c2…c4 were pushed out by c5, c6.
    await rx.hitsReach(1);
    expect(d.stats().targets[0]).toMatchObject({ queued: 3, dropped: 3 });
    rx.answer(200, 200, 200);
    await rx.hitsReach(3);
    await d.idle();
    expect(rx.hits.map((h) => h.body.alarm.code)).toEqual(["c1", "c5", "c6"]);
    expect(d.stats().targets[0]).toMatchObject({ delivered: 3, dropped: 3, queued: 0 });
    d.close();
  });

  it("hears the station's alarm events (events$ type alarm) through the AlarmSource interface", async () => {
    const events$ = new Subject<{ type: string; alarm?: any }>();
    const seen: AlarmTransition[] = [];
    const unsubscribe = alarmSourceOf(events$).subscribe((t) => seen.push(t));
    events$.next({ type: "point" });
    events$.next({ type: "alarm", alarm: { id: "A1", at: 5, code: "overrun", message: "m" } });
    unsubscribe();
    events$.next({ type: "alarm", alarm: { id: "A2", at: 6, code: "later", message: "m" } });
    expect(seen).toEqual([{ kind: "raised", at: 5, alarm: { id: "A1", at: 5, code: "overrun", message: "m" } }]);
  });
});

describe("the alerting hook's command", () => {
  it("runs the program with the alert on stdin and in its environment, retrying a failing exit", async () => {
    const script = 'n=$(cat "$0/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$0/count"; cat > "$0/in-$n.json"; echo "$GLASE_ALARM_CODE $GLASE_ALARM_POINT $GLASE_ALERT_EVENT" > "$0/env-$n"; [ $n -ge 2 ] || { echo "pager down" >&2; exit 3; }';
    const scheduler = instantScheduler();
    const d = dispatcher([commandTarget({ argv: ["/bin/sh", "-c", script, dir], timeoutMs: 10_000 })], { scheduler });
    d.send(transition("journal-failed", 2));
    await new Promise<void>((resolve) => {
      const poll = () => (d.stats().targets[0]!.delivered === 1 ? resolve() : setTimeout(poll, 20));
      poll();
    });
    expect((await readFile(join(dir, "count"), "utf8")).trim()).toBe("2");
    expect(JSON.parse(await readFile(join(dir, "in-2.json"), "utf8"))).toMatchObject({ event: "alarm-raised", alarm: { code: "journal-failed", point: 2 } });
    expect((await readFile(join(dir, "env-1"), "utf8")).trim()).toBe("journal-failed 2 alarm-raised");
    expect(d.stats().targets[0]!.lastError).toBe("/bin/sh: exit 3: pager down");
    expect(scheduler.delays).toEqual([1_000]);
    d.close();
  });
});

describe("the alerts config", () => {
  const base = parse(`
version: 3
station: { name: S, currency: SEK }
glase: { endpoint: embedded-simulator }
points: [{ id: 1, kind: fuel, grades: ["95"], maxPreliminaryMinor: 1000, terminal: { id: t, password: p } }]
devices: { controllers: [{ id: board, driver: line, virtual: {}, points: [1], grades: [{ id: "95", name: B, unit: L, unitPriceMinor: 1, vatRatePercent: 25 }] }] }
`);
  const check = (alerts: unknown) => {
    const r = ConfigSchema.safeParse({ ...base, alerts });
    return r.success ? "ok" : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  };
  it("accepts a webhook and/or a command, with defaults", () => {
    expect(check({ webhook: { url: "https://ops.example/h", bearerTokenFile: "/etc/glase-agent/alerts.token" } })).toBe("ok");
    expect(check({ command: { argv: ["/usr/local/bin/page"] } })).toBe("ok");
    const r = ConfigSchema.parse({ ...base, alerts: { webhook: { url: "http://127.0.0.1:9/h", bearerTokenFile: "/t" } } });
    expect(r.alerts).toMatchObject({ queueSize: 100, retryBaseMs: 1_000, retryMaxMs: 300_000, webhook: { timeoutMs: 10_000 } });
  });
  it("refuses what would leak the token or cannot run", () => {
    expect(check({ webhook: { url: "http://ops.example/h", bearerTokenFile: "/t" } })).toBe("alerts.webhook.url: with a bearerTokenFile the URL must be https (plain http only to a loopback address)");
    expect(check({ command: { argv: ["page-oncall"] } })).toBe("alerts.command.argv: argv[0] must be an absolute path");
    expect(check({})).toBe("alerts: give a webhook, a command or both");
    expect(check({ webhook: { url: "https://x/h", token: "inline" } })).toMatch(/alerts\.webhook: Unrecognized key/);
  });
});
