// Journal compaction: finished flows older than the retention are removed, first at start, then
// every quarter of the retention (between a minute and an hour). A failed compaction is logged
// and tried again at the next period: never a reason to stop taking payments.
import type { Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import type { Journal } from "../journal/types.ts";

export class JournalCompaction {
  private cancel?: () => void;
  private stopped = false;
  /** The compaction running now: stop() waits for it, so the journal is never closed under it. */
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly journal: Journal,
    private readonly scheduler: Scheduler,
    private readonly retentionMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** No further compaction; resolves when the one running (if any) has ended. */
  stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    return this.running.then(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.cancel = this.scheduler.setTimer(delayMs, () => {
      if (this.stopped) return;
      this.running = this.journal
        .compact(this.scheduler.now() - this.retentionMs)
        .then((n) => n > 0 && this.logger.info("journal_compacted", { flows: n }))
        .catch((err: unknown) => (this.stopped ? this.logger.info("journal_compaction_interrupted", { note: "stopped while a batch ran; the next start compacts again" }) : this.logger.error("journal_compaction_failed", { err })))
        .finally(() => this.schedule(Math.max(60_000, Math.min(3_600_000, this.retentionMs / 4))));
    });
  }
}
