// The work limit of one charger id: every call a charger makes the agent handle costs one token
// of a bucket (maxCallsPerSecond, a burst of four seconds' worth) kept across its connections. A
// call that finds none is not refused — its handling waits for the next token, so a charger that
// waits for each answer (a queue drain, or a firmware loop re-sending StartTransaction) is answered
// at maxCallsPerSecond at most, and what it can make the agent write, log and send back is bounded
// by that rate, whatever the link's speed. Nothing is lost by waiting. A charger that keeps the
// bucket empty for longer than maxBusyS (default 60 s) is flooding (a real offline queue at 20/s
// drains over a thousand messages in that time): the link closes it (charger-link.ts), with an alarm.
// A frame costs a token per FRAME_TOKEN_BYTES begun (charger-link.ts charges the extra): the
// bytes a charger makes the agent parse stay bounded by the same rate when frames are big.
import type { Scheduler } from "../../base/clock.ts";

/** The bytes of a frame one token pays for (the frame limit before it was raised to 1 MiB). */
export const FRAME_TOKEN_BYTES = 65_536;

export class CallPacer {
  private tokens: number;
  private refilledAt: number;
  /** When the bucket last ran dry with no call since finding a token at once (undefined: not saturated). */
  private saturatedSince: number | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly scheduler: Pick<Scheduler, "now">,
    /** How long a charger may keep the bucket empty before it is disconnected as a flood. */
    readonly maxBusyMs: number = 60_000,
  ) {
    this.tokens = this.burst;
    this.refilledAt = scheduler.now();
  }

  get burst(): number {
    return Math.max(4, Math.ceil(this.perSecond * 4));
  }

  /** Reserves a token for the next call: how long its handling must wait for it (ms; 0: now). */
  reserve(): number {
    this.charge(1);
    if (this.tokens >= 0) {
      this.saturatedSince = undefined;
      return 0;
    }
    this.saturatedSince ??= this.refilledAt;
    return Math.ceil((-this.tokens / this.perSecond) * 1000);
  }

  /**
   * Takes `n` tokens now, with no wait of its own: a big frame's extra cost (charger-link.ts), a
   * debt the next call's reserve() waits for.
   */
  charge(n: number): void {
    const now = this.scheduler.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    this.tokens -= n;
  }

  /**
   * One frame's size cost, at most a burst: a single frame within maxFrameBytes — a handled call
   * such as a long session's StopTransaction — never overdraws the bucket by itself (review 13e
   * E3: it was closed as a flood at every reconnect and its meterStop never settled); frames back
   * to back that no handler waits for still do.
   */
  chargeFrame(n: number): void {
    this.charge(Math.min(n, this.burst));
  }

  /**
   * More than a burst in debt (review 13b R13b-2): only frames no handler waits for run up a debt
   * (a handled call waits for it, charger-link.ts paced()) — an unknown action or a schema-invalid
   * call, answered by the library itself, back to back: a flood of parsing, however slowly sent.
   */
  overdrawn(): boolean {
    this.charge(0);
    return this.tokens < -this.burst;
  }

  /** The bucket has been kept empty for longer than maxBusyMs. */
  flooding(): boolean {
    return this.saturatedForMs() > this.maxBusyMs;
  }

  /** How long the bucket has been kept empty (ms; 0: not now). */
  saturatedForMs(): number {
    return this.saturatedSince === undefined ? 0 : this.scheduler.now() - this.saturatedSince;
  }
}
