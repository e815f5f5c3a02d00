// The last time the controller could not be reached at all (a refused or unreachable connection,
// not a lost answer): a reboot fits in such a gap, so an open sale proven before it is read again
// before its end is trusted (still-ours.ts, user-check.ts). Review 14 R14-3: held in memory only,
// the gap was forgotten by an agent restarted after seeing it and before its next read, and the
// POS's fill under the lost number was reported as our sale's end. So it is kept in the driver
// store (`meta/unreachableAt`).
//
// Writes: the first failure after the controller was reached is written at once (a sale can only
// be proven at a reached controller, so that is the time that matters to every sale proven before
// it); later failures of the same outage at most every REWRITE_MS (they matter only to a sale
// proven in between, which needs a reached controller — and that starts a new outage). One write
// at a time; the in-memory value is always the newest and is what decisions use, so a failed or
// unfinished write only costs a restarted agent what it would not have known before this file.
import type { Logger } from "../../base/log.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";

const KEY = "meta/unreachableAt";
const REWRITE_MS = 30_000;

export class ReachGap {
  private at = -Infinity;
  /** The newest value the store holds (a failed write does not advance it: the next failure writes again). */
  private written = -Infinity;
  /**
   * Times the controller answered again after a failure (a start counts as one: this process's
   * proofs begin there, R5); with each failure, how many had come before it. A failure with more
   * reaches before it than the written one may come after a sale's proof: it is written at once.
   * Counted, not timed (review 14 Q1: a flag cleared when a later write started credited a reach to
   * an older failure; a time can tie with the failure in the same millisecond).
   */
  private reaches = 1;
  private atReaches = 0;
  private writtenReaches = 0;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly store: DriverStore,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  async load(): Promise<void> {
    const v = await this.store.get(KEY);
    if (typeof v === "number" && Number.isFinite(v)) this.at = this.written = Math.max(this.at, v);
    else if (v !== undefined) this.logger.warn("pts_gap_record_unreadable", { key: KEY, value: v, next: "taken as no gap seen" });
  }

  /** The last time the controller could not be reached (-Infinity: never, as far as this store knows). */
  get unreachableAt(): number {
    return this.at;
  }

  /** Whether the controller could not be reached at or after `since`. */
  readonly since = (since: number): boolean => this.at >= since;

  /** The controller answered again after a failure. */
  reached(): void {
    this.reaches++;
  }

  /** A request could not reach the controller at all. */
  unreachable(): void {
    this.at = Math.max(this.at, this.now());
    this.atReaches = this.reaches;
    if (this.needsWrite() || this.at - this.written >= REWRITE_MS) this.flush();
  }

  /** Resolves once the newest value seen so far is written (or its write failed, logged). */
  async durable(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.written < this.at) {
      this.flush();
      while (this.writing) await this.writing;
    }
  }

  /** A failure the store does not hold, after a reach the written one came before. */
  private needsWrite(): boolean {
    return this.at > this.written && this.atReaches > this.writtenReaches;
  }

  private flush(): void {
    if (this.writing) return; // the write in flight is followed by another when it ends (below)
    const value = this.at;
    const reaches = this.atReaches;
    let failed = false;
    this.writing = this.store
      .put(KEY, value)
      .then(
        () => {
          if (value > this.written) {
            this.written = value;
            this.writtenReaches = reaches;
          }
        },
        (err: unknown) => {
          failed = true;
          this.logger.warn("pts_gap_record_failed", { err, unreachableAt: value, next: "kept in memory; written again at the next failure" });
        },
      )
      .finally(() => {
        this.writing = undefined;
        // A failure of a new outage came while this was written (or failed: review 14 final 3 S3):
        // write the newest — a failed write alone waits for the next failure, never a loop.
        if (this.needsWrite() && (!failed || this.atReaches > reaches)) this.flush();
      });
  }
}
