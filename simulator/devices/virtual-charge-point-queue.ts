// The virtual charge point's transaction-message queue, as OCPP 1.6 (§4.7, §4.10) asks of a real
// one: StartTransaction, transaction MeterValues and StopTransaction are delivered in order, one
// at a time, kept while the charger is offline and re-sent after it reconnects; a call that got
// no answer (connection lost, timeout) is sent again, one answered with a CALLERROR is retried
// up to TransactionMessageAttempts times and then dropped. A queued message may name a
// transaction whose StartTransaction is still in the queue: its id is filled in when sent.

export interface QueuedTransaction {
  /** Set from the StartTransaction answer. */
  id?: number;
}

export interface QueuedMessage {
  readonly action: "StartTransaction" | "MeterValues" | "StopTransaction";
  /** Builds the payload when sent (the transaction id may be known only by then); undefined: skip it. */
  readonly params: (tx: QueuedTransaction) => Record<string, unknown> | undefined;
  readonly tx: QueuedTransaction;
  readonly onAnswer?: (answer: Record<string, unknown>) => void;
  attempts: number;
}

export type Sender = (action: string, params: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** Why a send failed: the connection (retry later), or the central system refused it. */
export type SendFailure = "connection" | "refused";

export class TransactionQueue {
  private readonly items: QueuedMessage[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly maxAttempts: number,
    private readonly classify: (err: unknown) => SendFailure,
    private readonly onDropped: (m: QueuedMessage, err: unknown) => void,
  ) {}

  get length(): number {
    return this.items.length;
  }

  pending(): readonly QueuedMessage[] {
    return [...this.items];
  }

  /** Forgets everything queued (a charger that lost its queue in a power cut). */
  clear(): number {
    return this.items.splice(0).length;
  }

  push(m: Omit<QueuedMessage, "attempts">): void {
    this.items.push({ ...m, attempts: 0 });
  }

  /** Sends everything queued, in order, while `send` succeeds; resolves when empty or stuck on the link. */
  flush(send: Sender): Promise<void> {
    this.flushing ??= this.drain(send).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async drain(send: Sender): Promise<void> {
    for (;;) {
      const head = this.items[0];
      if (!head) return;
      const params = head.params(head.tx);
      if (params === undefined) {
        this.items.shift();
        continue;
      }
      head.attempts++;
      let answer: Record<string, unknown>;
      try {
        answer = await send(head.action, params);
      } catch (err) {
        if (this.classify(err) === "connection") {
          head.attempts--; // not delivered at all: does not count as an attempt
          return;
        }
        if (head.attempts < this.maxAttempts) continue;
        this.items.shift();
        this.onDropped(head, err);
        continue;
      }
      this.items.shift();
      head.onAnswer?.(answer);
    }
  }
}
