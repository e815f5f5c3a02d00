// From a journaled notification to a released service: fetch the details (retried with backoff,
// the schedule lives in the journal so it survives restarts), check them against the invoice we
// issued, commit the payment, run the release effect once, print the receipt. Anything that does
// not add up raises an alarm instead of releasing.
import type { Scheduler } from "../core/clock.ts";
import type { ReceiptPrinter } from "../../drivers/printer/contract.ts";
import type { Logger } from "../log.ts";
import { amountMinorOf, type InvoiceDetails } from "./details.ts";
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
  | "release-interrupted"; // crash while releasing: outcome unknown, not repeated

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

export class Settlement {
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private cancelTimer: (() => void) | undefined;
  // Shutdown must not wait for a details request to time out; an aborted fetch is just retried.
  private readonly shutdown = new AbortController();

  constructor(private readonly deps: SettlementDeps) {}

  /** Processes every notification that is due; safe to call any number of times. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves when no pass is running (tests and shutdown). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer?.();
    this.shutdown.abort();
    await this.settled();
  }

  private async runOnce(): Promise<void> {
    const { store, clock, log } = this.deps;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    try {
      for (const n of await store.pendingNotifications()) {
        if (this.closed) return;
        if (n.nextAttemptAt <= clock.now()) await this.process(n);
      }
      const next = (await store.pendingNotifications())[0];
      if (next && !this.closed) this.cancelTimer = clock.setTimer(Math.max(0, next.nextAttemptAt - clock.now()), () => this.kick());
    } catch (e) {
      // The journal failed: nothing was acknowledged beyond what it holds; try again later.
      log.error("settlement_pass_failed", { error: e });
      if (!this.closed) this.cancelTimer = clock.setTimer(this.deps.backoff.maxMs, () => this.kick());
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
        return;
      }
      case "unknown":
        return this.alarm(n.invoiceId, { kind: "unknown-invoice", detail: `the Invoice Service has no invoice ${n.invoiceId} for this issuer`, glaseInvoiceId: n.invoiceId });
      case "details":
        return this.settle(n.invoiceId, outcome.details);
    }
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
