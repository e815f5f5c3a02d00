// The alerting hook's delivery: every alarm transition becomes one alert per target (a webhook,
// a command), delivered in order, one at a time per target, retried with capped exponential
// backoff and jitter until it is delivered or refused for good (a 4xx that a retry cannot fix).
// Each target's queue is bounded: when it is full the oldest waiting alert is dropped and counted
// (an operator wants to hear about the newest alarms; a receiver that was down for a day must not
// make the agent hold a day of them). A target that fails never slows the others or the station:
// delivery runs beside the payment flows and only ever logs.
import { randomUUID } from "node:crypto";
import type { Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import type { AlarmSource, AlarmTransition } from "./alarm-source.ts";

/** The body of every alert (webhook JSON, a command's stdin). */
export interface AlertPayload {
  /** Unique per alert, the same on every retry of it: a receiver drops duplicates by it. */
  readonly id: string;
  readonly event: "alarm-raised" | "alarm-cleared";
  readonly station: string;
  /** ISO-8601 time of the transition. */
  readonly at: string;
  readonly alarm: {
    readonly id: string;
    readonly code: string;
    readonly message: string;
    readonly point?: number;
    readonly flowId?: string;
    readonly raisedAt: string;
  };
  readonly agent: { readonly version: string; readonly host: string };
}

export type DeliveryResult =
  | { readonly ok: true }
  /** retryAfterMs: the receiver asked for it (HTTP Retry-After). */
  | { readonly ok: false; readonly retry: boolean; readonly reason: string; readonly retryAfterMs?: number };

export interface AlertTarget {
  /** "webhook" or "command" — in logs, status and metrics. */
  readonly name: string;
  /** One attempt; never throws (a failure is a result). `signal` aborts it (the agent is stopping). */
  deliver(payload: AlertPayload, signal: AbortSignal): Promise<DeliveryResult>;
}

export interface AlertTargetStats {
  readonly target: string;
  /** Waiting, plus the one being delivered. */
  readonly queued: number;
  readonly delivered: number;
  /** Pushed out of a full queue before they could be delivered. */
  readonly dropped: number;
  /** Refused for good by the receiver (not retried). */
  readonly failed: number;
  readonly lastError?: string;
  readonly lastDeliveredAt?: number;
  /** When the next attempt of a failing alert is due. */
  readonly retryAt?: number;
}

export interface AlertStats {
  readonly targets: readonly AlertTargetStats[];
}

export interface DispatcherOptions {
  readonly station: string;
  readonly version: string;
  readonly host: string;
  readonly targets: readonly AlertTarget[];
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** Waiting alerts per target before the oldest is dropped. */
  readonly queueSize: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly random?: () => number;
  /** Metrics: every outcome, per target. */
  readonly observe?: (target: string, outcome: "delivered" | "dropped" | "failed" | "retried") => void;
}

interface Pending {
  readonly payload: AlertPayload;
  attempts: number;
}

class TargetQueue {
  private readonly waiting: Pending[] = [];
  private current: Pending | undefined;
  private cancelTimer: (() => void) | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  delivered = 0;
  dropped = 0;
  failed = 0;
  lastError: string | undefined;
  lastDeliveredAt: number | undefined;
  retryAt: number | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly target: AlertTarget,
    private readonly o: DispatcherOptions,
  ) {}

  push(payload: AlertPayload): void {
    if (this.closed) return;
    this.waiting.push({ payload, attempts: 0 });
    while (this.waiting.length > this.o.queueSize) {
      const old = this.waiting.shift()!;
      this.dropped++;
      this.o.observe?.(this.target.name, "dropped");
      this.o.logger.warn("alert-dropped", { target: this.target.name, alarm: old.payload.alarm.code, event: old.payload.event, dropped: this.dropped, queueSize: this.o.queueSize });
    }
    if (!this.current) this.next();
  }

  private next(): void {
    if (this.closed) return;
    this.current = this.waiting.shift();
    if (!this.current) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    void this.attempt(this.current);
  }

  private async attempt(p: Pending): Promise<void> {
    p.attempts++;
    this.retryAt = undefined;
    const result = await this.target.deliver(p.payload, this.abort.signal);
    if (this.closed) return;
    if (result.ok) {
      this.delivered++;
      this.lastDeliveredAt = this.o.scheduler.now();
      this.o.observe?.(this.target.name, "delivered");
      if (p.attempts > 1) this.o.logger.info("alert-delivered", { target: this.target.name, alarm: p.payload.alarm.code, attempts: p.attempts });
      return this.next();
    }
    this.lastError = result.reason;
    if (!result.retry) {
      this.failed++;
      this.o.observe?.(this.target.name, "failed");
      this.o.logger.error("alert-refused", { target: this.target.name, alarm: p.payload.alarm.code, reason: result.reason, hint: "fix alerts in the config; this alert is not retried" });
      return this.next();
    }
    const exp = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.min(30, p.attempts - 1));
    // Equal jitter: never sooner than half the backoff, so a dead receiver is not hammered.
    const delay = Math.max(result.retryAfterMs ?? 0, Math.round(exp / 2 + (exp / 2) * (this.o.random ?? Math.random)()));
    const wait = Math.min(delay, this.o.retryMaxMs);
    this.retryAt = this.o.scheduler.now() + wait;
    this.o.observe?.(this.target.name, "retried");
    // The first failure and then every tenth: a receiver down for hours must not flood the log.
    if (p.attempts === 1 || p.attempts % 10 === 0) {
      this.o.logger.warn("alert-retry", { target: this.target.name, alarm: p.payload.alarm.code, attempt: p.attempts, reason: result.reason, retryInMs: wait, waiting: this.waiting.length });
    }
    this.cancelTimer = this.o.scheduler.setTimer(wait, () => {
      this.cancelTimer = undefined;
      void this.attempt(p);
    });
  }

  stats(): AlertTargetStats {
    return {
      target: this.target.name,
      queued: this.waiting.length + (this.current ? 1 : 0),
      delivered: this.delivered,
      dropped: this.dropped,
      failed: this.failed,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.lastDeliveredAt !== undefined ? { lastDeliveredAt: this.lastDeliveredAt } : {}),
      ...(this.retryAt !== undefined ? { retryAt: this.retryAt } : {}),
    };
  }

  /** Resolves when nothing is queued (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.current && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.cancelTimer?.();
    this.abort.abort();
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

export class AlertDispatcher {
  private readonly queues: TargetQueue[];
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly o: DispatcherOptions) {
    this.queues = o.targets.map((t) => new TargetQueue(t, o));
  }

  /** Starts listening to a source of alarm transitions. */
  listen(source: AlarmSource): void {
    this.unsubscribe?.();
    this.unsubscribe = source.subscribe((t) => this.send(t));
  }

  send(t: AlarmTransition): void {
    const payload: AlertPayload = {
      id: randomUUID(),
      event: t.kind === "raised" ? "alarm-raised" : "alarm-cleared",
      station: this.o.station,
      at: new Date(t.at).toISOString(),
      alarm: {
        id: t.alarm.id,
        code: t.alarm.code,
        message: t.alarm.message,
        ...(t.alarm.point !== undefined ? { point: t.alarm.point } : {}),
        ...(t.alarm.flowId !== undefined ? { flowId: t.alarm.flowId } : {}),
        raisedAt: new Date(t.alarm.at).toISOString(),
      },
      agent: { version: this.o.version, host: this.o.host },
    };
    for (const q of this.queues) q.push(payload);
  }

  stats(): AlertStats {
    return { targets: this.queues.map((q) => q.stats()) };
  }

  async idle(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.idle()));
  }

  close(): void {
    this.unsubscribe?.();
    for (const q of this.queues) q.close();
  }
}
