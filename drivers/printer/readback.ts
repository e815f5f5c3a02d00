// Collects bytes a printer sends back so a status query can await exactly N answer bytes.
// Shared by the transports that read back (TCP, serial).
import { AgentError } from "../../base/errors.ts";

interface Waiter {
  readonly length: number;
  readonly resolve: (bytes: Buffer) => void;
  readonly reject: (error: Error) => void;
}

export class ReadBack {
  private pending = Buffer.alloc(0);
  private waiter: Waiter | undefined;

  constructor(private readonly description: string) {}

  /** Feed from the connection's 'data' event. */
  push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    this.settle();
  }

  /** Drops stale bytes (a late answer to an earlier, timed-out query) before a new query. */
  discard(): void {
    this.pending = Buffer.alloc(0);
  }

  /** Connection lost or query timed out: the pending read fails with `error`. */
  fail(error: Error): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    this.waiter = undefined;
    waiter.reject(error);
  }

  /** Resolves with the next `length` bytes. No timer of its own: the caller bounds it and calls fail(). */
  read(length: number): Promise<Buffer> {
    if (this.waiter !== undefined) {
      return Promise.reject(new AgentError("CONFLICT", "a printer status query is already waiting", { printer: this.description }));
    }
    return new Promise<Buffer>((resolve, reject) => {
      this.waiter = { length, resolve, reject };
      this.settle();
    });
  }

  private settle(): void {
    const waiter = this.waiter;
    if (waiter === undefined || this.pending.length < waiter.length) return;
    this.waiter = undefined;
    const answer = this.pending.subarray(0, waiter.length);
    this.pending = this.pending.subarray(waiter.length);
    waiter.resolve(Buffer.from(answer));
  }
}
