// The engine-backed KioskHost (drivers/kiosk/contract.ts): a kiosk sale runs as a POS flow of the
// payment engine (sendInvoice IMMEDIATE_DEBIT, polled each second in the unattended windows), and
// the host journals the sale's own life beside it (sale-record.ts) BEFORE each effect:
//   requestSale  → row `starting`   → the POS flow starts (its id is the sale id)
//   POS PAID     → row `paid`       → the controller is told to release (level-triggered)
//   reportRelease→ row with result  → receipt (POS prints it) | the one refund flow (sale-refund.ts)
// Recovery (resume): a `starting` sale without a POS flow never sent anything (cancelled); a `paid`
// one re-arms its release deadline (the POS flow asks again, the controller answers once); a
// `refunding` one settles its refund by the refund flow's fixed id — started at most once.
// No release result within releaseTimeoutMs ⇒ `attention` and an alarm, never a refund by itself.
import type { Observable } from "rxjs";
import type { Scheduler } from "../../base/clock.ts";
import type { EngineEvent, EngineSnapshot, PosPaymentOptions, RefundResult } from "../engine-api.ts";
import { AgentError, isAgentError } from "../../base/errors.ts";
import type { InvoiceRow } from "../../contracts/glase/types.ts";
import type { Journal } from "../journal/types.ts";
import type { Logger } from "../../base/log.ts";
import { RefundGuard } from "../daemon/refund-guard.ts";
import {
  FINAL_SALE_STATES,
  type CancelReason,
  type KioskConflict,
  type KioskEventFilter,
  type KioskHost,
  type KioskHostEvent,
  type KioskPoint,
  type KioskSale,
  type ReleaseResult,
  type SaleQuery,
  type SaleRequest,
  type Unsubscribe,
} from "../../contracts/kiosk.ts";
import { checkSaleRequest, kioskDisplay, refundFor, saleFingerprint, saleRows, sameResult } from "../../drivers/kiosk/sale-rules.ts";
import { KIOSK_SALE_KIND, type SaleRecord, loadSaleRecords, newSaleId, nextSale, posRow, refundFlowId, saleRowId, saleTransition } from "./sale-record.ts";
import { SaleRefunds, type RefundEnd } from "./sale-refund.ts";
import { cancelReasonOf, releaseAnswer } from "./sale-mapping.ts";
import { SaleListeners } from "./sale-listeners.ts";
import { SaleIndex } from "./sale-index.ts";
import { SaleReceipts, receiptContent, receiptPending } from "./sale-receipt.ts";
import type { GlaseOutcome } from "../core/inputs.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";
import { attentionAlarm, receiptNotSubmittedAlarm, refundFailedAlarm, releaseMissingAlarm, releaseUnknownAlarm } from "./sale-alarms.ts";

/** What the host needs of the payment engine (the station may swap engines: asked each time). */
export interface KioskEngine {
  startPosPayment(point: number, amountMinor: number, rows?: readonly InvoiceRow[], opts?: PosPaymentOptions): Promise<string>;
  cancelPosPayment(flowId: string): Promise<void>;
  startRefund(req: { readonly point: number; readonly ersReference: string; readonly amountMinor: number; readonly flowId: string }): Promise<RefundResult>;
  alarm(a: { readonly code: string; readonly message: string; readonly point?: number; readonly flowId?: string }): void;
  snapshot(): EngineSnapshot;
  submitPaymentReceipt(req: { readonly point: number; readonly ersReference: string; readonly receipt: ReceiptContent; readonly clientReference: string }): Promise<GlaseOutcome>;
}

export interface EngineKioskHostOptions {
  readonly points: readonly (KioskPoint & { readonly terminalId?: string })[];
  readonly engine: () => KioskEngine;
  /** The engine's events (the station's stream when engines are swapped). */
  readonly events$: Observable<EngineEvent>;
  readonly journal: Journal;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** From PAID: the release result must come within this (then: attention + alarm). Default 120 000. */
  readonly releaseTimeoutMs?: number;
  /** Shared with the technician's refunds (one at a time per payment, never more than was paid). */
  readonly refundGuard?: RefundGuard;
  /** submitPaymentReceipt once a sale was delivered (flows.submitReceipts). */
  readonly submitReceipts?: boolean;
  readonly random?: () => number;
  /** Finished sales stay in memory (key replays, reference lookups) this long. Default 24 h (sale-index.ts). */
  readonly keepFinalMs?: number;
}

interface Entry {
  rec: SaleRecord;
  chain: Promise<unknown>;
  releaseTimer?: () => void;
  waiters: Array<() => void>;
  settling: boolean;
}

function conflict(kind: KioskConflict, message: string, sale?: KioskSale): AgentError {
  return new AgentError("CONFLICT", message, { conflict: kind, ...(sale ? { state: sale.state, saleId: sale.saleId } : {}) });
}

export class EngineKioskHost implements KioskHost {
  /** Bounded: unfinished sales and the finished ones of the last keepFinalMs, indexed (sale-index.ts). */
  private readonly entries: SaleIndex<Entry>;
  private readonly listeners: SaleListeners;
  private readonly refunds: SaleRefunds;
  private readonly receipts: SaleReceipts;
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private readonly sub;
  private closed = false;
  private seq = 0;
  /** What controllers see of a point (not its terminal). */
  private readonly publicPoints: readonly KioskPoint[];
  /** Stored Glase IDs (assign-id), over the configured ones. */
  private readonly glaseIds = new Map<number, string>();

  constructor(private readonly o: EngineKioskHostOptions) {
    this.ready = new Promise((r) => (this.markReady = r));
    this.entries = new SaleIndex<Entry>(o.keepFinalMs);
    this.listeners = new SaleListeners(o.logger);
    this.publicPoints = o.points.map(({ terminalId: _t, ...p }) => p);
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
        const s = this.entries.get(saleId)?.rec.sale;
        if (!s) return;
        try {
          this.o.engine().alarm(receiptNotSubmittedAlarm(s, why));
        } catch (err) {
          o.logger.warn("kiosk_receipt_alarm_not_raised", { saleId, err }); // no engine now: the log line above stays
        }
      },
    });
    this.sub = o.events$.subscribe((e) => {
      if (e.type === "flow" && e.flow.kind === "pos" && this.entries.has(e.flow.flowId)) void this.onPosFlow(e.flow.flowId, e.flow.finished, e.flow.state, e.flow.outcome);
    });
  }

  /** Reads the journal's sales (before the engine starts: recovered POS flows ask for their release). */
  async load(): Promise<void> {
    for (const rec of await loadSaleRecords(this.o.journal)) {
      this.entries.add({ rec, chain: Promise.resolve(), waiters: [], settling: false });
    }
    this.entries.sweep(this.o.scheduler.now());
    this.markReady();
  }

  /** After the engine recovered its flows: picks every unfinished sale up where it stopped. */
  async resume(): Promise<void> {
    await this.ready;
    for (const e of this.entries.values()) {
      const s = e.rec.sale;
      if (receiptPending(e.rec.receipt)) this.submitReceipt(e);
      if (FINAL_SALE_STATES.has(s.state)) continue;
      if (s.state === "starting" || s.state === "waiting") await this.reconcileOpen(e);
      else if (s.state === "paid") this.armReleaseTimer(e);
      else if (s.state === "refunding") this.settleRefund(e);
      else if (s.state === "attention" && s.refund?.state === "pending") this.settleRefund(e);
      else {
        // The engine's alarms live in memory: a sale still waiting for a technician says so again.
        const alarm = attentionAlarm(s, this.o.releaseTimeoutMs ?? 120_000);
        if (alarm) this.o.engine().alarm(alarm);
      }
    }
  }

  close(): void {
    this.closed = true;
    this.sub.unsubscribe();
    this.refunds.close();
    this.receipts.close();
    for (const e of this.entries.values()) e.releaseTimer?.();
  }

  points(): readonly KioskPoint[] {
    return this.publicPoints.map((p) => this.withGlaseId(p));
  }

  /**
   * The Glase ID sticker bound to a point's terminal (assign-id, kept with its stored credentials):
   * what the customer is told to scan, from the point's next sale change on (a sale's display only
   * changes with a new, journaled version of it).
   */
  setGlaseId(point: number, glaseId: string | undefined): void {
    if (glaseId === undefined) this.glaseIds.delete(point);
    else this.glaseIds.set(point, glaseId);
  }

  private withGlaseId<P extends KioskPoint>(p: P): P {
    const id = this.glaseIds.get(p.id);
    return id === undefined ? p : { ...p, glaseId: id };
  }

  private pointOf(point: number): KioskPoint {
    return this.withGlaseId(this.o.points.find((p) => p.id === point)!);
  }

  /** Sales held in memory (bounded: unfinished + finished within keepFinalMs). */
  stats(): { readonly salesInMemory: number } {
    return { salesInMemory: this.entries.size };
  }

  async requestSale(req: SaleRequest): Promise<KioskSale> {
    await this.ready;
    const fingerprint = saleFingerprint(req);
    if (req.idempotencyKey !== undefined) {
      const e = this.entries.byIdempotencyKey(req.idempotencyKey);
      if (e) {
        if (e.rec.fingerprint !== fingerprint) throw conflict("idempotency-mismatch", `idempotency key ${req.idempotencyKey} was used for a different sale`, e.rec.sale);
        await e.chain.catch(() => undefined); // the original request's start, if it is still under way
        return e.rec.sale;
      }
    }
    const point = checkSaleRequest(req, this.o.points);
    this.entries.sweep(this.o.scheduler.now());
    const busy = this.entries.busy(point.id);
    if (busy) throw conflict("point-busy", `point ${point.id} has sale ${busy.rec.sale.saleId} in progress`, busy.rec.sale);
    const ps = this.o.engine().snapshot();
    const eng = ps.points.find((p) => p.point === point.id);
    if (!ps.accepting || !eng || eng.state === "stopped" || eng.state === "offline") throw conflict("point-unavailable", `point ${point.id} takes no sale now (${!ps.accepting ? "closed" : (eng?.state ?? "not configured")})`);
    if (eng.flowId !== undefined) throw conflict("point-busy", `point ${point.id} has a payment in progress (${eng.flowId})`);
    const now = this.o.scheduler.now();
    const saleId = this.newSaleId(point.id);
    const sale: KioskSale = {
      saleId,
      version: 1,
      point: point.id,
      amountMinor: req.amountMinor,
      currency: req.currency,
      rows: saleRows(req, point.name ?? `Kiosk ${point.id}`, point.vatRatePercent),
      reference: req.reference,
      ...(req.idempotencyKey !== undefined ? { idempotencyKey: req.idempotencyKey } : {}),
      state: "starting",
      display: kioskDisplay({ state: "starting" }, this.pointOf(point.id)),
      createdAt: now,
      updatedAt: now,
    };
    const e: Entry = { rec: { sale, fingerprint }, chain: Promise.resolve(), waiters: [], settling: false };
    this.entries.add(e);
    return this.mutate(e, async () => {
      try {
        await this.o.journal.append(saleTransition(e.rec, { type: "requestSale" }, this.terminalOf(point.id)));
      } catch (err) {
        this.entries.remove(saleId);
        throw err;
      }
      this.emit(e.rec.sale);
      try {
        await this.o.engine().startPosPayment(point.id, req.amountMinor, sale.rows, { flowId: saleId, controllerRelease: true });
      } catch (err) {
        // Nothing was sent (the flow journals before its first call): the sale ends, the key is free.
        this.entries.releaseKey(e);
        await this.write(e, { state: "cancelled", cancelReason: "glase" }, { type: "refused" }, { refused: true });
        const reason = isAgentError(err, "CONFLICT") ? (err.context as { reason?: string } | undefined)?.reason : undefined;
        if (reason === "Busy") throw conflict("point-busy", `point ${point.id} has a payment in progress`);
        if (isAgentError(err, "CONFLICT")) throw conflict("point-unavailable", `point ${point.id} takes no sale now (${reason ?? "refused"})`);
        throw err;
      }
      return e.rec.sale;
    });
  }

  async cancelSale(saleId: string, reason: CancelReason): Promise<KioskSale> {
    const e = this.entry(saleId);
    const asked = await this.mutate(e, async () => {
      const s = e.rec.sale;
      if (s.state === "cancelled" || s.cancelRequested !== undefined) return undefined;
      if (s.state !== "starting" && s.state !== "waiting") throw conflict("not-cancellable", `sale ${saleId} is ${s.state}: too late to cancel`, s);
      await this.write(e, { cancelRequested: reason }, { type: "cancelSale", reason });
      return e.rec.sale;
    });
    if (asked) await this.o.engine().cancelPosPayment(saleId);
    return asked ?? e.rec.sale;
  }

  async reportRelease(saleId: string, result: ReleaseResult): Promise<KioskSale> {
    const e = this.entry(saleId);
    const sale = await this.mutate(e, async () => {
      const s = e.rec.sale;
      const tech = e.rec.technician;
      if (tech) {
        this.o.logger.warn("kiosk_release_after_technician", { saleId, reported: result.outcome, decided: tech.outcome, by: tech.by });
        throw conflict("not-releasable", `sale ${saleId} was settled by a technician (${tech.outcome}, ${tech.by}): the controller's result ${result.outcome} is not taken`, s);
      }
      if (s.release) {
        if (sameResult(s.release.result, result)) return s;
        throw conflict("release-already-reported", `sale ${saleId} already has release result ${s.release.result.outcome}`, s);
      }
      const late = s.state === "attention" && s.attention === "release-result-missing";
      if (s.state !== "paid" && !late) throw conflict("not-releasable", `sale ${saleId} is ${s.state}: nothing to release`, s);
      const refund = refundFor(s, result);
      e.releaseTimer?.();
      const release = { result, at: this.o.scheduler.now(), late };
      const input = { type: "reportRelease", result };
      if (result.outcome === "delivered") await this.write(e, { state: "delivered", release, attention: undefined }, input, await this.receiptDue(s));
      else if (result.outcome === "unknown") {
        await this.write(e, { state: "attention", attention: "release-unknown", release }, input, {}, () => this.o.engine().alarm(releaseUnknownAlarm(s, result.reason)));
      } else await this.write(e, { state: "refunding", release, attention: undefined, refund: { amountMinor: refund, state: "pending" } }, input);
      return e.rec.sale;
    });
    for (const w of e.waiters.splice(0)) w();
    if (sale.state === "refunding") this.settleRefund(e);
    if (receiptPending(e.rec.receipt)) this.submitReceipt(e);
    return sale;
  }

  /**
   * A technician's decision on a sale waiting in `attention` for its release result (missing, or
   * the controller could not tell): journaled with who and when, then carried out as a controller's
   * result would be — delivered: the receipt; failed: the one refund of what was not delivered
   * (deliveredMinor). The point takes a new sale; a result the controller reports later is refused.
   */
  async resolveSale(saleId: string, decision: { readonly outcome: "delivered" | "failed"; readonly deliveredMinor?: number }, by: string): Promise<KioskSale> {
    // "delivered" settles the whole amount: a partial amount with it is a technician's mistake
    // (they meant failed with what came out), never silently a full delivery.
    if (decision.outcome === "delivered" && decision.deliveredMinor !== undefined) {
      throw new AgentError("INPUT_INVALID", "deliveredMinor: only with outcome failed (what came out of a partial delivery); delivered means the whole amount", { field: "deliveredMinor" });
    }
    await this.ready;
    const e = this.entry(saleId);
    const sale = await this.mutate(e, async () => {
      const s = e.rec.sale;
      const waiting = s.state === "attention" && (s.attention === "release-result-missing" || s.attention === "release-unknown");
      if (!waiting || e.rec.technician) throw conflict("not-releasable", `sale ${saleId} is ${s.state}${s.attention ? ` (${s.attention})` : ""}: nothing for a technician to settle`, s);
      const result: ReleaseResult =
        decision.outcome === "delivered" ? { outcome: "delivered" } : { outcome: "failed", reason: `technician ${by}`, ...(decision.deliveredMinor ? { deliveredMinor: decision.deliveredMinor } : {}) };
      const refund = refundFor(s, result); // INPUT_INVALID { field: "deliveredMinor" }
      e.releaseTimer?.();
      const now = this.o.scheduler.now();
      const technician = { by, at: now, outcome: decision.outcome, ...(decision.deliveredMinor ? { deliveredMinor: decision.deliveredMinor } : {}) };
      const release = { result, at: now, late: true };
      const input = { type: "technician", by, decision };
      if (result.outcome === "delivered") await this.write(e, { state: "delivered", release, attention: undefined }, input, { technician, ...(await this.receiptDue(s)) });
      else await this.write(e, { state: "refunding", release, attention: undefined, refund: { amountMinor: refund, state: "pending" } }, input, { technician });
      return e.rec.sale;
    });
    this.o.logger.info("kiosk_sale_resolved", { saleId, outcome: decision.outcome, deliveredMinor: decision.deliveredMinor ?? 0, by });
    for (const w of e.waiters.splice(0)) w();
    if (sale.state === "refunding") this.settleRefund(e);
    if (receiptPending(e.rec.receipt)) this.submitReceipt(e);
    return sale;
  }

  async getSale(saleId: string): Promise<KioskSale | undefined> {
    await this.ready;
    const e = this.entries.get(saleId);
    if (e) return e.rec.sale;
    // Finished and dropped from memory: the journal still has it (for its retention).
    const row = await this.o.journal.flow(saleRowId(saleId));
    return row?.kind === KIOSK_SALE_KIND ? (row.state as SaleRecord).sale : undefined;
  }

  async findSale(q: SaleQuery): Promise<KioskSale | undefined> {
    await this.ready;
    if ("idempotencyKey" in q) {
      return this.entries.byIdempotencyKey(q.idempotencyKey)?.rec.sale;
    }
    return this.entries.byReference(q.reference, q.point, q.points)?.rec.sale;
  }

  subscribe(listener: (event: KioskHostEvent) => void, filter?: KioskEventFilter): Unsubscribe {
    return this.listeners.subscribe(listener, filter);
  }

  /**
   * The engine's `release` for POS flows started with controllerRelease: journals `paid` (the
   * release request) and resolves once the controller's result is journaled — rejecting when it
   * failed, so the flow ends without a receipt. Not a host sale: nothing to do.
   */
  async release(_point: number, _amountMinor: number, flowId: string): Promise<void> {
    await this.ready;
    const e = this.entries.get(flowId);
    if (!e) return;
    await this.mutate(e, async () => {
      const s = e.rec.sale;
      if (s.state !== "starting" && s.state !== "waiting" && s.state !== "cancelled") return;
      const pos = await posRow(this.o.journal, flowId);
      const now = this.o.scheduler.now();
      const deadline = now + (this.o.releaseTimeoutMs ?? 120_000);
      await this.write(
        e,
        { state: "paid", ersReference: pos?.state.ersReference, invoiceReference: pos?.state.invoiceRef ?? s.invoiceReference, paidAt: now, releaseDeadline: deadline, cancelRequested: undefined, cancelReason: undefined },
        { type: "paid" },
      );
      this.armReleaseTimer(e);
    });
    for (;;) {
      const answer = releaseAnswer(e.rec.sale);
      if (answer === "delivered") return;
      if (answer === "not-delivered") throw new AgentError("DEVICE_REJECTED", `kiosk sale ${flowId}: not delivered`, { saleId: flowId });
      if (this.closed) throw new AgentError("ABORTED", "kiosk host closed");
      await new Promise<void>((resolve) => e.waiters.push(resolve));
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  private async onPosFlow(saleId: string, finished: boolean, phase: string, outcome: string | undefined): Promise<void> {
    const e = this.entries.get(saleId)!;
    await this.mutate(e, async () => {
      const s = e.rec.sale;
      if (s.state !== "starting" && s.state !== "waiting") return;
      if (!finished) {
        if (s.state === "starting" && (phase === "polling" || phase === "canceling")) {
          const pos = await posRow(this.o.journal, saleId);
          await this.write(e, { state: "waiting", invoiceReference: pos?.state.invoiceRef }, { type: "pos", phase });
        }
        return;
      }
      if (outcome === "paid" || outcome === "not-delivered") return;
      const pos = await posRow(this.o.journal, saleId);
      await this.write(e, { state: "cancelled", cancelReason: cancelReasonOf(s, pos?.state, outcome), cancelRequested: undefined }, { type: "pos", outcome });
    }).catch((err: unknown) => this.o.logger.error("kiosk_sale_update_failed", { saleId, err }));
  }

  /** A sale left open by a restart: its POS flow says where it is. */
  private async reconcileOpen(e: Entry): Promise<void> {
    const saleId = e.rec.sale.saleId;
    const pos = await posRow(this.o.journal, saleId);
    if (!pos) {
      // Journaled, never started: no invoice went out.
      await this.mutate(e, () => this.write(e, { state: "cancelled", cancelReason: "controller", cancelRequested: undefined }, { type: "recover", pos: "none" }));
      return;
    }
    if (pos.finished) await this.onPosFlow(saleId, true, pos.state.phase ?? "finished", pos.state.outcome);
    else {
      if (pos.state.phase === "polling" || pos.state.phase === "canceling") await this.onPosFlow(saleId, false, pos.state.phase, undefined);
      if (e.rec.sale.cancelRequested !== undefined) await this.o.engine().cancelPosPayment(saleId);
    }
  }

  private armReleaseTimer(e: Entry): void {
    e.releaseTimer?.();
    const s = e.rec.sale;
    const left = Math.max(0, (s.releaseDeadline ?? this.o.scheduler.now()) - this.o.scheduler.now());
    e.releaseTimer = this.o.scheduler.setTimer(left, () => {
      void this.mutate(e, async () => {
        const now = e.rec.sale;
        if (now.state !== "paid" || now.release) return;
        await this.write(e, { state: "attention", attention: "release-result-missing" }, { type: "timer", name: "release" }, {}, () =>
          this.o.engine().alarm(releaseMissingAlarm(now, this.o.releaseTimeoutMs ?? 120_000)),
        );
      }).catch((err: unknown) => this.o.logger.error("kiosk_sale_update_failed", { saleId: s.saleId, err }));
    });
  }

  /** The one refund of a failed release (sale-refund.ts); one settle per sale at a time. */
  private settleRefund(e: Entry): void {
    if (e.settling || this.closed) return;
    e.settling = true;
    const s = e.rec.sale;
    const req = { flowId: refundFlowId(s.saleId), point: s.point, ersReference: s.ersReference ?? "", amountMinor: s.refund!.amountMinor, paidMinor: s.amountMinor, currency: s.currency };
    const apply = async (end: RefundEnd): Promise<boolean> => {
      if (end.kind === "closed" || this.closed) return false; // the next host reads it from the refund flow's row
      await this.mutate(e, async () => {
        const amountMinor = req.amountMinor;
        if (end.kind === "done") await this.write(e, { state: "refunded", attention: undefined, refund: { amountMinor, state: "done", ...(end.ersReference ? { ersReference: end.ersReference } : {}) } }, { type: "refund", end });
        else if (end.kind === "failed") {
          await this.write(e, { state: "attention", attention: "refund-failed", refund: { amountMinor, state: "failed" } }, { type: "refund", end }, {}, () => this.o.engine().alarm(refundFailedAlarm(s, amountMinor, end.why)));
        } else await this.write(e, { state: "attention", attention: "refund-failed", refund: { amountMinor, state: "pending" } }, { type: "refund", end });
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
  private async receiptDue(s: KioskSale): Promise<Partial<SaleRecord>> {
    if (!this.o.submitReceipts || s.ersReference === undefined) return {};
    const printed = (await posRow(this.o.journal, s.saleId))?.state.receipt;
    const content = receiptContent(s, printed, this.o.points.find((p) => p.id === s.point), this.o.scheduler.now());
    return { receipt: { state: "due", attempt: 1, sends: 0, content } };
  }

  /** Sends the delivered sale's receipt (sale-receipt.ts): each send journaled before, its answer after. */
  private submitReceipt(e: Entry): void {
    this.receipts.run({
      saleId: e.rec.sale.saleId,
      current: () => e.rec.receipt,
      sale: () => e.rec.sale,
      journal: (next, input) => this.mutate(e, () => this.writeRecord(e, { receipt: next }, input)),
    });
  }

  /** Journals the sale's record without a new version of the sale (nothing the controller shows changed). */
  private async writeRecord(e: Entry, extra: Partial<SaleRecord>, input: unknown): Promise<void> {
    const rec: SaleRecord = { ...e.rec, ...extra };
    await this.o.journal.append(saleTransition(rec, input, this.terminalOf(rec.sale.point)));
    e.rec = rec;
    this.entries.changed(e); // a receipt no longer owed: the sale may be swept now
  }

  /** Journals the sale's next version, then shows it to the listeners. */
  private async write(e: Entry, patch: Partial<KioskSale>, input: unknown, extra: Partial<SaleRecord> = {}, durable?: () => void): Promise<void> {
    const sale = nextSale(e.rec.sale, patch, this.o.scheduler.now(), this.pointOf(e.rec.sale.point));
    const rec: SaleRecord = { ...e.rec, ...extra, sale };
    await this.o.journal.append(saleTransition(rec, input, this.terminalOf(sale.point)));
    e.rec = rec;
    this.entries.changed(e);
    if (FINAL_SALE_STATES.has(sale.state)) e.releaseTimer?.();
    durable?.(); // an alarm: raised before the controller sees the state it explains
    this.emit(sale);
  }

  /** One change of a sale at a time, in order. */
  private mutate<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
    const run = e.chain.catch(() => undefined).then(fn);
    e.chain = run;
    return run;
  }

  private entry(saleId: string): Entry {
    const e = this.entries.get(saleId);
    if (!e) throw new AgentError("NOT_FOUND", `no sale ${saleId}`, { saleId });
    return e;
  }

  private terminalOf(point: number): string | undefined {
    return this.o.points.find((p) => p.id === point)?.terminalId;
  }

  private newSaleId(point: number): string {
    this.seq = (this.seq + 1) % 1296;
    return newSaleId(point, this.o.scheduler.now(), this.seq, (this.o.random ?? Math.random)());
  }

  private emit(sale: KioskSale): void {
    this.listeners.emit(sale);
  }

}
