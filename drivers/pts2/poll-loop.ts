// When the driver polls the controller: every pollIntervalMs, sooner when the driver asks (after
// an authorization, a follow-up), and sooner on an upload from the controller — but an upload
// never starts a poll sooner than UPLOAD_POLL_GAP_MS after the one before ENDED (review 14 R9-4,
// R10-4): uploads need no credentials where `upload.auth` is unset, so whoever reaches the port
// could otherwise make the driver poll the controller, whose web server also serves the POS, as
// fast as it answers — spaced from the start, a poll slower than the gap was followed at once.
import type { Scheduler } from "../../base/clock.ts";

/** The least idle time an upload leaves the controller between the end of one poll and the next. */
export const UPLOAD_POLL_GAP_MS = 200;

export class PollLoop {
  private cancel: (() => void) | undefined;
  /** When the pending timer fires (Infinity: none pending). */
  private dueAt = Infinity;
  private running = false;
  /** Asked for while a poll ran: decided when it ends (an upload's gap counts from that end). */
  private askedSoon = false;
  private askedUpload = false;
  private lastEndedAt = -Infinity;
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
    this.ask("soon");
  }

  /** An upload arrived: poll sooner, but not within UPLOAD_POLL_GAP_MS of the last poll's end. */
  upload(): void {
    this.ask("upload");
  }

  close(): void {
    this.closed = true;
    this.cancel?.();
  }

  private delayOf(kind: "soon" | "upload"): number {
    return kind === "soon" ? 0 : Math.max(0, this.lastEndedAt + Math.min(UPLOAD_POLL_GAP_MS, this.intervalMs) - this.scheduler.now());
  }

  private ask(kind: "soon" | "upload"): void {
    if (this.closed) return;
    if (this.running) {
      if (kind === "soon") this.askedSoon = true;
      else this.askedUpload = true;
      return;
    }
    // Only ever brought forward: a later ask never pushes back a poll already due sooner.
    const delay = this.delayOf(kind);
    if (this.scheduler.now() + delay < this.dueAt) this.schedule(delay);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.cancel?.();
    this.dueAt = this.scheduler.now() + delayMs;
    this.cancel = this.scheduler.setTimer(delayMs, () => {
      this.cancel = undefined;
      this.dueAt = Infinity;
      this.running = true;
      void this.poll()
        .catch(this.onError)
        .finally(() => {
          this.running = false;
          this.lastEndedAt = this.scheduler.now();
          const delay = this.askedSoon ? 0 : this.askedUpload ? this.delayOf("upload") : this.intervalMs;
          this.askedSoon = this.askedUpload = false;
          this.schedule(delay);
        });
    });
  }
}
