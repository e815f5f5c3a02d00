// When the driver polls the controller: every pollIntervalMs, sooner when the driver asks (after
// an authorization, a follow-up), and sooner on an upload from the controller — but an upload
// never brings a poll closer than UPLOAD_POLL_GAP_MS to the one before (review 14 R9-4): uploads
// need no credentials where `upload.auth` is unset, so whoever reaches the port could otherwise
// make the driver poll the controller, whose web server also serves the POS, as fast as it answers.
import type { Scheduler } from "../../base/clock.ts";

/** The closest an upload may bring a poll to the one before (at most 5 upload-driven polls a second). */
export const UPLOAD_POLL_GAP_MS = 200;

export class PollLoop {
  private cancel: (() => void) | undefined;
  private running = false;
  /** The delay of the poll asked for while one ran (undefined: none asked). */
  private again: (() => number) | undefined;
  private lastStartedAt = -Infinity;
  private closed = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly intervalMs: number,
    private readonly poll: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Poll now (or right after the poll under way). */
  soon(): void {
    this.ask(() => 0);
  }

  /** An upload arrived: poll sooner, at most once per UPLOAD_POLL_GAP_MS. */
  upload(): void {
    this.ask(() => Math.max(0, this.lastStartedAt + Math.min(UPLOAD_POLL_GAP_MS, this.intervalMs) - this.scheduler.now()));
  }

  close(): void {
    this.closed = true;
    this.cancel?.();
  }

  private ask(delay: () => number): void {
    if (this.closed) return;
    if (this.running) {
      if (this.again === undefined || delay() < this.again()) this.again = delay;
    } else this.schedule(delay());
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.cancel?.();
    this.cancel = this.scheduler.setTimer(delayMs, () => {
      this.cancel = undefined;
      this.running = true;
      this.again = undefined;
      this.lastStartedAt = this.scheduler.now();
      void this.poll()
        .catch(this.onError)
        .finally(() => {
          this.running = false;
          const again = this.again;
          this.again = undefined;
          this.schedule(again ? again() : this.intervalMs);
        });
    });
  }
}
