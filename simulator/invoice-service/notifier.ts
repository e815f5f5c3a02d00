// Delivery of one paid-invoice notification (contract §7.1, §7.5): `POST {"invoiceId": N}` as
// application/json to the issuer's URL, success only on HTTP 200, otherwise the next attempt of
// the retry schedule on the simulator's clock. Attempt times are measured start-to-start so they
// land exactly on the schedule whatever the network latency.
import type { Scheduler } from "../../base/clock.ts";
import { NOTIFICATION_ATTEMPTS, notificationDelayMs } from "./retry-schedule.ts";

export interface NotificationAttempt {
  /** 1-based attempt number. */
  readonly n: number;
  /** Simulated time the attempt started (ms since the epoch). */
  readonly at: number;
  /** HTTP status answered, or null when the request failed (see error). */
  readonly status: number | null;
  readonly error?: string;
}

export type DeliveryState = "pending" | "in-flight" | "delivered" | "exhausted" | "stopped";

export interface DeliveryOptions {
  readonly clock: Scheduler;
  readonly url: string;
  readonly invoiceId: number;
  /** Multiplies every schedule delay (1 = the real 32-hour schedule). */
  readonly scheduleScale: number;
  /** Real-time budget of one attempt before it counts as a connection problem. */
  readonly attemptTimeoutMs: number;
  readonly onAttempt: (attempt: NotificationAttempt) => void;
}

export class NotificationDelivery {
  private stateValue: DeliveryState = "pending";
  private cancelTimer: (() => void) | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly options: DeliveryOptions) {
    this.scheduleAttempt(0, options.clock.now());
  }

  get state(): DeliveryState {
    return this.stateValue;
  }

  stop(): void {
    this.cancelTimer?.();
    this.abort.abort();
    if (this.stateValue === "pending" || this.stateValue === "in-flight") this.stateValue = "stopped";
  }

  private scheduleAttempt(index: number, previousAt: number): void {
    if (index >= NOTIFICATION_ATTEMPTS) {
      this.stateValue = "exhausted";
      return;
    }
    const due = previousAt + notificationDelayMs(index, this.options.scheduleScale);
    this.stateValue = "pending";
    const run = () => {
      this.cancelTimer = undefined;
      void this.attempt(index);
    };
    // A due attempt (the first one, or a late one) starts now: a manual clock fires timers only
    // when advanced, and the first attempt must not wait for that.
    if (due <= this.options.clock.now()) {
      const immediate = setImmediate(run);
      this.cancelTimer = () => clearImmediate(immediate);
    } else {
      this.cancelTimer = this.options.clock.setTimer(due - this.options.clock.now(), run);
    }
  }

  private async attempt(index: number): Promise<void> {
    this.stateValue = "in-flight";
    const at = this.options.clock.now();
    let status: number | null = null;
    let error: string | undefined;
    try {
      const res = await fetch(this.options.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ invoiceId: this.options.invoiceId }),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.attemptTimeoutMs)]),
      });
      status = res.status;
      await res.body?.cancel(); // the body is ignored (§7.1)
    } catch (e) {
      error = describeFailure(e);
    }
    if (this.abort.signal.aborted) return; // stopped while the request was in flight
    this.options.onAttempt({ n: index + 1, at, status, ...(error !== undefined ? { error } : {}) });
    if (status === 200) this.stateValue = "delivered";
    else this.scheduleAttempt(index + 1, at);
  }
}

function describeFailure(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === "string") return cause.code;
  if ((e as { name?: unknown }).name === "TimeoutError") return "TIMEOUT";
  return (e as Error)?.message ?? String(e);
}
