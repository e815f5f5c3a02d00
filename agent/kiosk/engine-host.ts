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
// Its parts: sale-book.ts (each change journaled, then shown), sale-settlement.ts (the release
// deadline, the refund, the receipt), kiosk-points.ts (the points as controllers see them).
import { AgentError, isAgentError } from "../../base/errors.ts";
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
import { KIOSK_SALE_KIND, type SaleRecord, loadSaleRecords, posRow, saleRowId, saleTransition } from "./sale-record.ts";
import { cancelReasonOf, releaseAnswer } from "./sale-mapping.ts";
import { receiptPending } from "./sale-receipt.ts";
import { attentionAlarm, releaseUnknownAlarm } from "./sale-alarms.ts";
import type { EngineKioskHostOptions } from "./host-options.ts";
import { KioskPoints } from "./kiosk-points.ts";
import { SaleBook, type Entry } from "./sale-book.ts";
import { SaleSettlement } from "./sale-settlement.ts";

export type { EngineKioskHostOptions, KioskEngine } from "./host-options.ts";

function conflict(kind: KioskConflict, message: string, sale?: KioskSale): AgentError {
  return new AgentError("CONFLICT", message, { conflict: kind, ...(sale ? { state: sale.state, saleId: sale.saleId } : {}) });
}

export class EngineKioskHost implements KioskHost {
  private readonly kioskPoints: KioskPoints;
  private readonly book: SaleBook;
  private readonly settlement: SaleSettlement;
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private readonly sub;
  private closed = false;

  constructor(private readonly o: EngineKioskHostOptions) {
    this.ready = new Promise((r) => (this.markReady = r));
    this.kioskPoints = new KioskPoints(o);
    this.book = new SaleBook(o, this.kioskPoints);
    this.settlement = new SaleSettlement(o, this.book);
    this.sub = o.events$.subscribe((e) => {
      if (e.type === "flow" && e.flow.kind === "pos" && this.book.entries.has(e.flow.flowId)) void this.onPosFlow(e.flow.flowId, e.flow.finished, e.flow.state, e.flow.outcome);
    });
  }

  /** Reads the journal's sales (before the engine starts: recovered POS flows ask for their release). */
  async load(): Promise<void> {
    for (const rec of await loadSaleRecords(this.o.journal)) {
      this.book.entries.add({ rec, chain: Promise.resolve(), waiters: [], settling: false });
    }
    this.book.entries.sweep(this.o.scheduler.now());
    this.markReady();
  }

  /** After the engine recovered its flows: picks every unfinished sale up where it stopped. */
  async resume(): Promise<void> {
    await this.ready;
    for (const e of this.book.entries.values()) {
      const s = e.rec.sale;
      if (receiptPending(e.rec.receipt)) this.settlement.submitReceipt(e);
      if (FINAL_SALE_STATES.has(s.state)) continue;
      if (s.state === "starting" || s.state === "waiting") await this.reconcileOpen(e);
      else if (s.state === "paid") this.settlement.armReleaseTimer(e);
      else if (s.state === "refunding") this.settlement.settleRefund(e);
      else if (s.state === "attention" && s.refund?.state === "pending") this.settlement.settleRefund(e);
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
    this.settlement.close();
    for (const e of this.book.entries.values()) e.releaseTimer?.();
  }

  points(): readonly KioskPoint[] {
    return this.kioskPoints.points();
  }

  /** The Glase ID sticker bound to a point's terminal (see KioskPoints.setGlaseId). */
  setGlaseId(point: number, glaseId: string | undefined): void {
    this.kioskPoints.setGlaseId(point, glaseId);
  }

  /** Sales held in memory (bounded: unfinished + finished within keepFinalMs). */
  stats(): { readonly salesInMemory: number } {
    return { salesInMemory: this.book.entries.size };
  }

  async requestSale(req: SaleRequest): Promise<KioskSale> {
    await this.ready;
    const fingerprint = saleFingerprint(req);
    if (req.idempotencyKey !== undefined) {
      const e = this.book.entries.byIdempotencyKey(req.idempotencyKey);
      if (e) {
        if (e.rec.fingerprint !== fingerprint) throw conflict("idempotency-mismatch", `idempotency key ${req.idempotencyKey} was used for a different sale`, e.rec.sale);
        await e.chain.catch(() => undefined); // the original request's start, if it is still under way
        return e.rec.sale;
      }
    }
    const point = checkSaleRequest(req, this.o.points);
    this.book.entries.sweep(this.o.scheduler.now());
    const busy = this.book.entries.busy(point.id);
    if (busy) throw conflict("point-busy", `point ${point.id} has sale ${busy.rec.sale.saleId} in progress`, busy.rec.sale);
    const ps = this.o.engine().snapshot();
    const eng = ps.points.find((p) => p.point === point.id);
    if (!ps.accepting || !eng || eng.state === "stopped" || eng.state === "offline") throw conflict("point-unavailable", `point ${point.id} takes no sale now (${!ps.accepting ? "closed" : (eng?.state ?? "not configured")})`);
    if (eng.flowId !== undefined) throw conflict("point-busy", `point ${point.id} has a payment in progress (${eng.flowId})`);
    const now = this.o.scheduler.now();
    const saleId = this.book.newSaleId(point.id);
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
      display: kioskDisplay({ state: "starting" }, this.kioskPoints.pointOf(point.id)),
      createdAt: now,
      updatedAt: now,
    };
    const e: Entry = { rec: { sale, fingerprint }, chain: Promise.resolve(), waiters: [], settling: false };
    this.book.entries.add(e);
    return this.book.mutate(e, async () => {
      try {
        await this.o.journal.append(saleTransition(e.rec, { type: "requestSale" }, this.kioskPoints.terminalOf(point.id)));
      } catch (err) {
        this.book.entries.remove(saleId);
        throw err;
      }
      this.book.emit(e.rec.sale);
      try {
        await this.o.engine().startPosPayment(point.id, req.amountMinor, sale.rows, { flowId: saleId, controllerRelease: true });
      } catch (err) {
        // Nothing was sent (the flow journals before its first call): the sale ends, the key is free.
        this.book.entries.releaseKey(e);
        await this.book.write(e, { state: "cancelled", cancelReason: "glase" }, { type: "refused" }, { refused: true });
        const reason = isAgentError(err, "CONFLICT") ? (err.context as { reason?: string } | undefined)?.reason : undefined;
        if (reason === "Busy") throw conflict("point-busy", `point ${point.id} has a payment in progress`);
        if (isAgentError(err, "CONFLICT")) throw conflict("point-unavailable", `point ${point.id} takes no sale now (${reason ?? "refused"})`);
        throw err;
      }
      return e.rec.sale;
    });
  }

  async cancelSale(saleId: string, reason: CancelReason): Promise<KioskSale> {
    const e = this.book.entry(saleId);
    const asked = await this.book.mutate(e, async () => {
      const s = e.rec.sale;
      if (s.state === "cancelled" || s.cancelRequested !== undefined) return undefined;
      if (s.state !== "starting" && s.state !== "waiting") throw conflict("not-cancellable", `sale ${saleId} is ${s.state}: too late to cancel`, s);
      await this.book.write(e, { cancelRequested: reason }, { type: "cancelSale", reason });
      return e.rec.sale;
    });
    if (asked) await this.o.engine().cancelPosPayment(saleId);
    return asked ?? e.rec.sale;
  }

  async reportRelease(saleId: string, result: ReleaseResult): Promise<KioskSale> {
    const e = this.book.entry(saleId);
    const sale = await this.book.mutate(e, async () => {
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
      if (result.outcome === "delivered") await this.book.write(e, { state: "delivered", release, attention: undefined }, input, await this.settlement.receiptDue(s));
      else if (result.outcome === "unknown") {
        await this.book.write(e, { state: "attention", attention: "release-unknown", release }, input, {}, () => this.o.engine().alarm(releaseUnknownAlarm(s, result.reason)));
      } else await this.book.write(e, { state: "refunding", release, attention: undefined, refund: { amountMinor: refund, state: "pending" } }, input);
      return e.rec.sale;
    });
    for (const w of e.waiters.splice(0)) w();
    if (sale.state === "refunding") this.settlement.settleRefund(e);
    if (receiptPending(e.rec.receipt)) this.settlement.submitReceipt(e);
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
    const e = this.book.entry(saleId);
    const sale = await this.book.mutate(e, async () => {
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
      if (result.outcome === "delivered") await this.book.write(e, { state: "delivered", release, attention: undefined }, input, { technician, ...(await this.settlement.receiptDue(s)) });
      else await this.book.write(e, { state: "refunding", release, attention: undefined, refund: { amountMinor: refund, state: "pending" } }, input, { technician });
      return e.rec.sale;
    });
    this.o.logger.info("kiosk_sale_resolved", { saleId, outcome: decision.outcome, deliveredMinor: decision.deliveredMinor ?? 0, by });
    for (const w of e.waiters.splice(0)) w();
    if (sale.state === "refunding") this.settlement.settleRefund(e);
    if (receiptPending(e.rec.receipt)) this.settlement.submitReceipt(e);
    return sale;
  }

  async getSale(saleId: string): Promise<KioskSale | undefined> {
    await this.ready;
    const e = this.book.entries.get(saleId);
    if (e) return e.rec.sale;
    // Finished and dropped from memory: the journal still has it (for its retention).
    const row = await this.o.journal.flow(saleRowId(saleId));
    return row?.kind === KIOSK_SALE_KIND ? (row.state as SaleRecord).sale : undefined;
  }

  async findSale(q: SaleQuery): Promise<KioskSale | undefined> {
    await this.ready;
    if ("idempotencyKey" in q) {
      return this.book.entries.byIdempotencyKey(q.idempotencyKey)?.rec.sale;
    }
    return this.book.entries.byReference(q.reference, q.point, q.points)?.rec.sale;
  }

  subscribe(listener: (event: KioskHostEvent) => void, filter?: KioskEventFilter): Unsubscribe {
    return this.book.listeners.subscribe(listener, filter);
  }

  /**
   * The engine's `release` for POS flows started with controllerRelease: journals `paid` (the
   * release request) and resolves once the controller's result is journaled — rejecting when it
   * failed, so the flow ends without a receipt. Not a host sale: nothing to do.
   */
  async release(_point: number, _amountMinor: number, flowId: string): Promise<void> {
    await this.ready;
    const e = this.book.entries.get(flowId);
    if (!e) return;
    await this.book.mutate(e, async () => {
      const s = e.rec.sale;
      if (s.state !== "starting" && s.state !== "waiting" && s.state !== "cancelled") return;
      const pos = await posRow(this.o.journal, flowId);
      const now = this.o.scheduler.now();
      const deadline = now + (this.o.releaseTimeoutMs ?? 120_000);
      await this.book.write(
        e,
        { state: "paid", ersReference: pos?.state.ersReference, invoiceReference: pos?.state.invoiceRef ?? s.invoiceReference, paidAt: now, releaseDeadline: deadline, cancelRequested: undefined, cancelReason: undefined },
        { type: "paid" },
      );
      this.settlement.armReleaseTimer(e);
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
    const e = this.book.entries.get(saleId)!;
    await this.book.mutate(e, async () => {
      const s = e.rec.sale;
      if (s.state !== "starting" && s.state !== "waiting") return;
      if (!finished) {
        if (s.state === "starting" && (phase === "polling" || phase === "canceling")) {
          const pos = await posRow(this.o.journal, saleId);
          await this.book.write(e, { state: "waiting", invoiceReference: pos?.state.invoiceRef }, { type: "pos", phase });
        }
        return;
      }
      if (outcome === "paid" || outcome === "not-delivered") return;
      const pos = await posRow(this.o.journal, saleId);
      await this.book.write(e, { state: "cancelled", cancelReason: cancelReasonOf(s, pos?.state, outcome), cancelRequested: undefined }, { type: "pos", outcome });
    }).catch((err: unknown) => this.o.logger.error("kiosk_sale_update_failed", { saleId, err }));
  }

  /** A sale left open by a restart: its POS flow says where it is. */
  private async reconcileOpen(e: Entry): Promise<void> {
    const saleId = e.rec.sale.saleId;
    const pos = await posRow(this.o.journal, saleId);
    if (!pos) {
      // Journaled, never started: no invoice went out.
      await this.book.mutate(e, () => this.book.write(e, { state: "cancelled", cancelReason: "controller", cancelRequested: undefined }, { type: "recover", pos: "none" }));
      return;
    }
    if (pos.finished) await this.onPosFlow(saleId, true, pos.state.phase ?? "finished", pos.state.outcome);
    else {
      if (pos.state.phase === "polling" || pos.state.phase === "canceling") await this.onPosFlow(saleId, false, pos.state.phase, undefined);
      if (e.rec.sale.cancelRequested !== undefined) await this.o.engine().cancelPosPayment(saleId);
    }
  }

}
