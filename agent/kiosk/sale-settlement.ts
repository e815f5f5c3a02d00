// What follows a kiosk sale's payment: the release deadline (no result in time: attention and an
// alarm), the one refund of a failed release (sale-refund.ts) carried into the sale, and the Glase
// receipt a delivery owes (sale-receipt.ts). Apart from the host (engine-host.ts), which takes
// the requests and the controller's results that start these.
import { RefundGuard } from "../daemon/refund-guard.ts";
import type { KioskSale } from "../../contracts/kiosk.ts";
import type { EngineKioskHostOptions } from "./host-options.ts";
import { receiptNotSubmittedAlarm, refundFailedAlarm, releaseMissingAlarm } from "./sale-alarms.ts";
import type { Entry, SaleBook } from "./sale-book.ts";
import { SaleReceipts, receiptContent } from "./sale-receipt.ts";
import { type SaleRecord, posRow, refundFlowId } from "./sale-record.ts";
import { SaleRefunds, type RefundEnd } from "./sale-refund.ts";

export class SaleSettlement {
  private readonly refunds: SaleRefunds;
  private readonly receipts: SaleReceipts;
  private closed = false;

  constructor(
    private readonly o: EngineKioskHostOptions,
    private readonly book: SaleBook,
  ) {
    this.refunds = new SaleRefunds({
      journal: o.journal,
      engine: o.engine,
      events$: o.events$,
      guard: o.refundGuard ?? new RefundGuard(o.journal),
      scheduler: o.scheduler,
      logger: o.logger,
    });
    // async: no engine now (the station starting) is a rejection — nothing was sent, tried again.
    this.receipts = new SaleReceipts({
      submit: async (r) => this.o.engine().submitPaymentReceipt(r),
      scheduler: o.scheduler,
      logger: o.logger,
      onGiveUp: (saleId, why) => {
        const s = this.book.entries.get(saleId)?.rec.sale;
        if (!s) return;
        try {
          this.o.engine().alarm(receiptNotSubmittedAlarm(s, why));
        } catch (err) {
          o.logger.warn("kiosk_receipt_alarm_not_raised", { saleId, err }); // no engine now: the log line above stays
        }
      },
    });
  }

  close(): void {
    this.closed = true;
    this.refunds.close();
    this.receipts.close();
  }

  armReleaseTimer(e: Entry): void {
    e.releaseTimer?.();
    const s = e.rec.sale;
    const left = Math.max(0, (s.releaseDeadline ?? this.o.scheduler.now()) - this.o.scheduler.now());
    e.releaseTimer = this.o.scheduler.setTimer(left, () => {
      void this.book.mutate(e, async () => {
        const now = e.rec.sale;
        if (now.state !== "paid" || now.release) return;
        await this.book.write(e, { state: "attention", attention: "release-result-missing" }, { type: "timer", name: "release" }, {}, () =>
          this.o.engine().alarm(releaseMissingAlarm(now, this.o.releaseTimeoutMs ?? 120_000)),
        );
      }).catch((err: unknown) => this.o.logger.error("kiosk_sale_update_failed", { saleId: s.saleId, err }));
    });
  }

  /** The one refund of a failed release (sale-refund.ts); one settle per sale at a time. */
  settleRefund(e: Entry): void {
    if (e.settling || this.closed) return;
    e.settling = true;
    const s = e.rec.sale;
    const req = { flowId: refundFlowId(s.saleId), point: s.point, ersReference: s.ersReference ?? "", amountMinor: s.refund!.amountMinor, paidMinor: s.amountMinor, currency: s.currency };
    const apply = async (end: RefundEnd): Promise<boolean> => {
      if (end.kind === "closed" || this.closed) return false; // the next host reads it from the refund flow's row
      await this.book.mutate(e, async () => {
        const amountMinor = req.amountMinor;
        if (end.kind === "done") await this.book.write(e, { state: "refunded", attention: undefined, refund: { amountMinor, state: "done", ...(end.ersReference ? { ersReference: end.ersReference } : {}) } }, { type: "refund", end });
        else if (end.kind === "failed") {
          await this.book.write(e, { state: "attention", attention: "refund-failed", refund: { amountMinor, state: "failed" } }, { type: "refund", end }, {}, () => this.o.engine().alarm(refundFailedAlarm(s, amountMinor, end.why)));
        } else await this.book.write(e, { state: "attention", attention: "refund-failed", refund: { amountMinor, state: "pending" } }, { type: "refund", end });
      });
      return end.kind === "unknown";
    };
    void (async () => {
      let parked = await apply(await this.refunds.settle(req));
      while (parked && !this.closed) parked = await apply(await this.refunds.followParked(req.flowId));
    })()
      .catch((err: unknown) => {
        // Closed under it (shutdown, engine swap): the refund flow's journal row is the truth and the
        // next host follows it from there; nothing is lost, so no error for it.
        if (this.closed) this.o.logger.info("kiosk_refund_followed_after_restart", { saleId: s.saleId });
        else this.o.logger.error("kiosk_refund_failed", { saleId: s.saleId, err });
      })
      .finally(() => (e.settling = false));
  }

  /** The receipt a delivery owes Glase (journaled with the delivery): the POS flow's, as printed. */
  async receiptDue(s: KioskSale): Promise<Partial<SaleRecord>> {
    if (!this.o.submitReceipts || s.ersReference === undefined) return {};
    const printed = (await posRow(this.o.journal, s.saleId))?.state.receipt;
    const content = receiptContent(s, printed, this.o.points.find((p) => p.id === s.point), this.o.scheduler.now());
    return { receipt: { state: "due", attempt: 1, sends: 0, content } };
  }

  /** Sends the delivered sale's receipt (sale-receipt.ts): each send journaled before, its answer after. */
  submitReceipt(e: Entry): void {
    this.receipts.run({
      saleId: e.rec.sale.saleId,
      current: () => e.rec.receipt,
      sale: () => e.rec.sale,
      journal: (next, input) => this.book.mutate(e, () => this.book.writeRecord(e, { receipt: next }, input)),
    });
  }
}
