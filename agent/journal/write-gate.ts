// The journal's writer connection is shared by single-statement appends and whole transactions
// (compaction batches, steps with kept alarms): this gate orders them (journal.ts).
/**
 * Shared/exclusive gate over the writer connection, first come first served: `shared` runs
 * single-statement (autocommit) writes side by side; `exclusive` runs a whole explicit transaction
 * with nothing else on the connection. A shared write arriving while an exclusive one waits queues
 * behind it (appends cannot starve compaction) and an exclusive one queued after waiting shared
 * writes lets them go first (compaction batches cannot starve the appends). With nothing exclusive
 * around — the normal case — a shared write starts at once.
 */
export class WriteGate {
  private shareds = 0;
  private exclusiveRunning = false;
  private readonly queue: Array<{ readonly exclusive: boolean; readonly grant: () => void }> = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.exclusiveRunning || this.queue.length > 0) await new Promise<void>((grant) => this.queue.push({ exclusive: false, grant }));
    else this.shareds++;
    try {
      return await fn();
    } finally {
      this.shareds--;
      this.pump();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.exclusiveRunning || this.shareds > 0 || this.queue.length > 0) await new Promise<void>((grant) => this.queue.push({ exclusive: true, grant }));
    else this.exclusiveRunning = true;
    try {
      return await fn();
    } finally {
      this.exclusiveRunning = false;
      this.pump();
    }
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.exclusiveRunning) {
      const next = this.queue[0]!;
      if (next.exclusive) {
        if (this.shareds > 0) return;
        this.queue.shift();
        this.exclusiveRunning = true;
        next.grant();
        return;
      }
      this.queue.shift();
      this.shareds++;
      next.grant();
    }
  }
}
