// From a journaled notification to a released service: fetch the details (retried with backoff,
// the schedule lives in the journal so it survives restarts), check them against the invoice we
// issued, commit the payment, run the release effect once, print the receipt. Anything that does
// not add up raises an alarm instead of releasing.
import type { Scheduler } from "../../base/clock.ts";
import type { ReceiptPrinter } from "../../contracts/printer.ts";
import type { Logger } from "../../base/log.ts";
import { amountMinorOf, type InvoiceDetails } from "../../contracts/invoice-service/details.ts";
import type { FetchDetails } from "./details-client.ts";
import { paidReceipt, printOutcome, type ReceiptHeader } from "./receipts.ts";
import type { InvoiceRecord, InvoiceStore, NotificationRecord } from "./store.ts";

export type AlarmKind =
  | "unknown-invoice" // the Invoice Service does not know the notified id for this issuer (404)
  | "id-mismatch" // details answered for another id
  | "not-paid" // details status other than PAID
  | "unknown-reference" // paid reference is not one this agent issued
  | "mismatch" // amount or currency differ from the issued invoice
  | "duplicate-payment" // the invoice was already paid by another Invoice Service id
  | "release-failed" // the release effect threw
  | "release-interrupted" // crash while releasing: outcome unknown, not repeated
  | "port-taken"; // another process holds the notification port: it receives what nginx forwards

export interface InvoiceAlarm {
  readonly kind: AlarmKind;
  readonly detail: string;
  readonly glaseInvoiceId?: number;
  readonly reference?: string;
}

export interface BackoffSettings {
  readonly baseMs: number;
  readonly maxMs: number;
}

export interface SettlementDeps {
  readonly store: InvoiceStore;
  readonly clock: Scheduler;
  readonly fetchDetails: FetchDetails;
  /** The service being paid for (kiosk command, car-wash code…). Runs at most once per invoice. */
  readonly release: (invoice: InvoiceRecord) => Promise<void>;
  readonly onAlarm: (alarm: InvoiceAlarm) => void;
  readonly printer?: ReceiptPrinter;
  readonly receiptHeader: ReceiptHeader;
  readonly backoff: BackoffSettings;
  readonly log: Logger;
}

/** Details requests in flight at once: a burst of notifications is fetched side by side. */
export const FETCH_CONCURRENCY = 16;
/** The source of ids read back from the journal (a previous run's, or due retries). */
export const JOURNAL_SOURCE = "journal";
/** At most one aggregated unknown-invoice alarm per this long. */
export const UNKNOWN_ALARM_WINDOW_MS = 60_000;

export class Settlement {
  private closed = false;
  private cancelTimer: (() => void) | undefined;
  // Shutdown must not wait for a details request to time out; an aborted fetch is just retried.
  private readonly shutdown = new AbortController();
  /**
   * Due notification ids per source address, each in arrival order, served round-robin: with a
   * leaked token, a flood of made-up ids from one source waited ahead of Glase's real one in a
   * single FIFO (1,000 fakes × 200 ms details / 16 workers ≈ 13 s, review 2 #5). Now a source
   * gets one turn in each round. `busy` maps ids queued or being fetched to their source.
   */
  private readonly queues = new Map<string, number[]>();
  private readonly busy = new Map<number, string>();
  private queuedCount = 0;
  private readonly perSource = new Map<string, number>();
  private workers = 0;
  private refilling: Promise<void> | undefined;
  private refillAgain = false;
  private idleWaiters: Array<() => void> = [];
  private unknownWindow: { start: number; count: number; lastId: number } | undefined;

  constructor(private readonly deps: SettlementDeps) {}

  /**
   * Processes what is due. New notification ids go to the back of the queue at once (no journal
   * read); without ids, the journal is read for due retries and notifications of a previous run.
   */
  kick(newIds: readonly number[] = [], source = JOURNAL_SOURCE): void {
    if (this.closed) return;
    if (newIds.length > 0) {
      for (const id of newIds) this.push(id, source);
      return this.startWorkers();
    }
    if (this.refilling) {
      this.refillAgain = true;
      return;
    }
    this.refilling = this.refill().finally(() => {
      this.refilling = undefined;
      if (this.refillAgain) {
        this.refillAgain = false;
        this.kick();
      } else this.notifyIdle();
    });
  }

  /** Resolves when nothing is queued, fetched or being read from the journal (tests and shutdown). */
  async settled(): Promise<void> {
    while (this.refilling || this.workers > 0 || this.queuedCount > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queues.clear();
    this.queuedCount = 0;
    this.cancelTimer?.();
    this.shutdown.abort();
    await this.settled();
  }

  /** Ids from `source` queued or being fetched (the endpoint bounds each source by it). */
  pendingFrom(source: string): number {
    return this.perSource.get(source) ?? 0;
  }

  private push(id: number, source: string): void {
    if (this.busy.has(id)) return;
    this.busy.set(id, source);
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    const q = this.queues.get(source);
    if (q) q.push(id);
    else this.queues.set(source, [id]);
    this.queuedCount++;
  }

  /** The next id, one source after another (a Map iterates in insertion order: rotate by re-inserting). */
  private take(): number | undefined {
    for (const [source, q] of this.queues) {
      this.queues.delete(source);
      const id = q.shift();
      if (q.length > 0) this.queues.set(source, q);
      if (id === undefined) continue;
      this.queuedCount--;
      return id;
    }
    return undefined;
  }

  private notifyIdle(): void {
    if (this.refilling || this.workers > 0 || this.queuedCount > 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async refill(): Promise<void> {
    const { store, clock, log } = this.deps;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    try {
      const pending = await store.pendingNotifications();
      const now = clock.now();
      for (const n of pending) if (n.nextAttemptAt <= now) this.push(n.invoiceId, JOURNAL_SOURCE);
      this.startWorkers();
      const next = pending.find((n) => n.nextAttemptAt > now && !this.busy.has(n.invoiceId));
      if (next && !this.closed) this.cancelTimer = clock.setTimer(Math.max(0, next.nextAttemptAt - now), () => this.kick());
    } catch (e) {
      // The journal failed: nothing was acknowledged beyond what it holds; try again later.
      log.error("settlement_pass_failed", { error: e });
      if (!this.closed) this.cancelTimer = clock.setTimer(this.deps.backoff.maxMs, () => this.kick());
    }
  }

  private startWorkers(): void {
    while (!this.closed && this.workers < FETCH_CONCURRENCY && this.queuedCount > this.workers) {
      this.workers++;
      void this.work().finally(() => {
        this.workers--;
        this.notifyIdle();
      });
    }
  }

  private async work(): Promise<void> {
    while (!this.closed) {
      const id = this.take();
      if (id === undefined) return;
      try {
        const n = await this.deps.store.notification(id);
        if (n && n.state === "pending") await this.process(n);
      } catch (e) {
        this.deps.log.error("settlement_failed", { invoiceId: id, error: e });
      } finally {
        const source = this.busy.get(id);
        this.busy.delete(id);
        if (source !== undefined) {
          const left = (this.perSource.get(source) ?? 1) - 1;
          if (left > 0) this.perSource.set(source, left);
          else this.perSource.delete(source);
        }
      }
    }
  }

  private async process(n: NotificationRecord): Promise<void> {
    const outcome = await this.deps.fetchDetails(n.invoiceId, this.shutdown.signal);
    if (this.closed) return; // the outcome is not recorded; the next start fetches again
    switch (outcome.kind) {
      case "retry": {
        const { baseMs, maxMs } = this.deps.backoff;
        const delay = Math.min(maxMs, baseMs * 2 ** Math.min(n.fetchAttempts, 30));
        this.deps.log.warn("details_fetch_retry", { invoiceId: n.invoiceId, attempt: n.fetchAttempts + 1, delayMs: delay, reason: outcome.reason });
        await this.deps.store.scheduleFetchRetry(n.invoiceId, this.deps.clock.now() + delay, outcome.reason);
        this.kick(); // arms the timer for the retry
        return;
      }
      case "unknown":
        await this.deps.store.markUnknown(n.invoiceId, this.deps.clock.now());
        return this.unknownAlarm(n.invoiceId);
      case "details":
        return this.settle(n.invoiceId, outcome.details);
    }
  }

  /**
   * Ids the Invoice Service does not know are what a probe or a flood of the public endpoint
   * looks like: one aggregated alarm per window, carrying the count and the latest id.
   */
  private unknownAlarm(id: number): void {
    const now = this.deps.clock.now();
    const w = this.unknownWindow;
    if (w && now - w.start < UNKNOWN_ALARM_WINDOW_MS) {
      w.count++;
      w.lastId = id;
      return;
    }
    const suppressed = w && w.count > 0 ? ` (${w.count} more in the previous ${UNKNOWN_ALARM_WINDOW_MS / 1000} s, the last ${w.lastId})` : "";
    this.unknownWindow = { start: now, count: 0, lastId: id };
    this.raise({ kind: "unknown-invoice", detail: `the Invoice Service has no invoice ${id} for this issuer${suppressed}`, glaseInvoiceId: id });
  }

  private async settle(id: number, d: InvoiceDetails): Promise<void> {
    const { store, clock, log } = this.deps;
    const base = { glaseInvoiceId: id, reference: d.reference };
    if (d.id !== id) return this.alarm(id, { ...base, kind: "id-mismatch", detail: `details for id ${id} carry id ${d.id}` });
    if (d.status !== "PAID") return this.alarm(id, { ...base, kind: "not-paid", detail: `status ${JSON.stringify(d.status)}` });
    const invoice = await store.invoiceByReference(d.reference);
    if (!invoice) return this.alarm(id, { ...base, kind: "unknown-reference", detail: `no issued invoice has reference ${JSON.stringify(d.reference)}` });
    const paidMinor = amountMinorOf(d);
    if (paidMinor !== invoice.amountMinor || d.currency !== invoice.currency) {
      return this.alarm(id, {
        ...base,
        kind: "mismatch",
        detail: `issued ${invoice.amountMinor} ${invoice.currency} (minor), paid ${paidMinor} ${d.currency}`,
      });
    }
    const started = await store.beginRelease(invoice.id, { glaseInvoiceId: id, ersReference: d.ersReference, purchaseTime: d.purchaseTime });
    if (!started) {
      return this.alarm(id, { ...base, kind: "duplicate-payment", detail: `invoice already ${invoice.state} (Invoice Service id ${invoice.glaseInvoiceId})` });
    }
    const paid: InvoiceRecord = { ...invoice, state: "releasing", glaseInvoiceId: id, ersReference: d.ersReference, purchaseTime: d.purchaseTime };
    log.info("invoice_paid", { reference: invoice.reference, glaseInvoiceId: id, ersReference: d.ersReference });
    try {
      await this.deps.release(paid);
      await store.finishRelease(invoice.id, "released", clock.now());
      log.info("invoice_released", { reference: invoice.reference });
    } catch (e) {
      await store.finishRelease(invoice.id, "release-failed", clock.now());
      this.raise({ ...base, kind: "release-failed", detail: (e as Error)?.message ?? String(e) });
      return;
    }
    const receipt = await printOutcome(this.deps.printer, paidReceipt(paid, this.deps.receiptHeader, clock.now()), log);
    await store.setReceiptPrint(invoice.id, receipt);
  }

  private async alarm(id: number, alarm: InvoiceAlarm): Promise<void> {
    await this.deps.store.raiseNotificationAlarm(id, `${alarm.kind}: ${alarm.detail}`);
    this.raise(alarm);
  }

  /** Logs and forwards an alarm; a throwing alarm sink must not stop the settlement. */
  raise(alarm: InvoiceAlarm): void {
    this.deps.log.error("invoice_alarm", { ...alarm });
    try {
      this.deps.onAlarm(alarm);
    } catch (e) {
      this.deps.log.error("alarm_sink_failed", { error: e });
    }
  }
}
