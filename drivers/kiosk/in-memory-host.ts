// The kiosk contract kept in memory: the reference twin of the engine-backed KioskHost, for the
// tests of its users (the Kiosk API, the MDB driver) and for simulations. It applies the
// contract's rules exactly (sale-rules.ts: validation, idempotency fingerprints, one release
// result, refund once, release deadline → attention), while the Glase side is driven by the test
// or simulation through the controls below (openInvoice, pay, expire…) instead of a real flow.
import type { Scheduler } from "../../base/clock.ts";
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
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
import { checkSaleRequest, kioskDisplay, refundFor, saleFingerprint, saleRows, sameResult } from "./sale-rules.ts";

export interface InMemoryKioskHostOptions {
  readonly points: readonly KioskPoint[];
  readonly scheduler: Scheduler;
  /** Time from PAID within which the release result must come (then: attention, alarm). Default 120 000. */
  readonly releaseTimeoutMs?: number;
  /** starting → waiting as soon as the sale is requested (the invoice "sent"). Default true. */
  readonly autoOpen?: boolean;
  /** What a cancel of an open invoice meets: "cancelled" (default) or "paid" (code 50: paid meanwhile). */
  readonly onCancel?: (sale: KioskSale) => "cancelled" | "paid";
  /** Whether Glase accepts a refund. Default: always. */
  readonly refundAccepted?: (sale: KioskSale, amountMinor: number) => boolean;
  readonly logger?: Logger;
}

interface Entry {
  sale: KioskSale;
  fingerprint: string;
  cancelDeadline?: () => void;
  releaseTimer?: () => void;
}

function conflict(conflict: KioskConflict, message: string, sale?: KioskSale): AgentError {
  return new AgentError("CONFLICT", message, { conflict, ...(sale ? { state: sale.state, saleId: sale.saleId } : {}) });
}

export class InMemoryKioskHost implements KioskHost {
  /** Every refund handed to "Glase", in order: a test checks there is at most one per sale. */
  readonly refunds: Array<{ readonly saleId: string; readonly amountMinor: number }> = [];
  /** Sales whose receipt was written. */
  readonly receipts: string[] = [];
  readonly alarms: Array<{ readonly saleId: string; readonly code: string }> = [];
  private readonly entries = new Map<string, Entry>();
  private readonly byKey = new Map<string, string>();
  private readonly listeners = new Set<{ fn: (e: KioskHostEvent) => void; points?: ReadonlySet<number> }>();
  private readonly unavailable = new Set<number>();
  private seq = 0;

  constructor(private readonly options: InMemoryKioskHostOptions) {}

  points(): readonly KioskPoint[] {
    return this.options.points;
  }

  async requestSale(req: SaleRequest): Promise<KioskSale> {
    const fingerprint = saleFingerprint(req);
    if (req.idempotencyKey !== undefined) {
      const id = this.byKey.get(req.idempotencyKey);
      if (id !== undefined) {
        const e = this.entries.get(id)!;
        if (e.fingerprint !== fingerprint) throw conflict("idempotency-mismatch", `idempotency key ${req.idempotencyKey} was used for a different sale`, e.sale);
        return e.sale;
      }
    }
    const point = checkSaleRequest(req, this.options.points);
    if (this.unavailable.has(point.id)) throw conflict("point-unavailable", `point ${point.id} takes no sale now`);
    const busy = [...this.entries.values()].find((e) => e.sale.point === point.id && ["starting", "waiting", "paid"].includes(e.sale.state));
    if (busy) throw conflict("point-busy", `point ${point.id} has sale ${busy.sale.saleId} in progress`, busy.sale);
    const now = this.options.scheduler.now();
    const sale: KioskSale = {
      saleId: `sale-${++this.seq}`,
      version: 1,
      point: point.id,
      amountMinor: req.amountMinor,
      currency: req.currency,
      rows: saleRows(req, point.name ?? `Kiosk ${point.id}`),
      reference: req.reference,
      ...(req.idempotencyKey !== undefined ? { idempotencyKey: req.idempotencyKey } : {}),
      state: "starting",
      display: kioskDisplay({ state: "starting" }, point),
      createdAt: now,
      updatedAt: now,
    };
    this.entries.set(sale.saleId, { sale, fingerprint });
    if (req.idempotencyKey !== undefined) this.byKey.set(req.idempotencyKey, sale.saleId);
    this.emit(sale);
    if (this.options.autoOpen ?? true) return this.openInvoice(sale.saleId);
    return sale;
  }

  async cancelSale(saleId: string, reason: CancelReason): Promise<KioskSale> {
    const e = this.entry(saleId);
    const s = e.sale;
    if (s.state === "cancelled" || s.cancelRequested !== undefined) return s;
    if (s.state !== "starting" && s.state !== "waiting") throw conflict("not-cancellable", `sale ${saleId} is ${s.state}: too late to cancel`, s);
    const asked = this.update(e, { cancelRequested: reason });
    // The cancelInvoice answer comes later, as from Glase.
    queueMicrotask(() => {
      if (e.sale.state !== "starting" && e.sale.state !== "waiting") return;
      if ((this.options.onCancel?.(e.sale) ?? "cancelled") === "paid") this.pay(saleId);
      else this.update(e, { state: "cancelled", cancelReason: reason, cancelRequested: undefined });
    });
    return asked;
  }

  async reportRelease(saleId: string, result: ReleaseResult): Promise<KioskSale> {
    const e = this.entry(saleId);
    const s = e.sale;
    if (s.release) {
      if (sameResult(s.release.result, result)) return s;
      throw conflict("release-already-reported", `sale ${saleId} already has release result ${s.release.result.outcome}`, s);
    }
    const late = s.state === "attention" && s.attention === "release-result-missing";
    if (s.state !== "paid" && !late) throw conflict("not-releasable", `sale ${saleId} is ${s.state}: nothing to release`, s);
    const refund = refundFor(s, result);
    e.releaseTimer?.();
    const at = this.options.scheduler.now();
    const release = { result, at, late };
    if (result.outcome === "delivered") {
      this.receipts.push(saleId);
      return this.update(e, { state: "delivered", release, attention: undefined });
    }
    if (result.outcome === "unknown") {
      this.alarms.push({ saleId, code: "release-unknown" });
      return this.update(e, { state: "attention", attention: "release-unknown", release });
    }
    const refunding = this.update(e, { state: "refunding", release, attention: undefined, refund: { amountMinor: refund, state: "pending" } });
    queueMicrotask(() => this.settleRefund(e, refund));
    return refunding;
  }

  async getSale(saleId: string): Promise<KioskSale | undefined> {
    return this.entries.get(saleId)?.sale;
  }

  async findSale(q: SaleQuery): Promise<KioskSale | undefined> {
    if ("idempotencyKey" in q) {
      const id = this.byKey.get(q.idempotencyKey);
      return id === undefined ? undefined : this.entries.get(id)?.sale;
    }
    let found: KioskSale | undefined;
    for (const { sale } of this.entries.values()) {
      if (sale.reference === q.reference && (q.point === undefined || sale.point === q.point) && (q.points === undefined || q.points.includes(sale.point))) found = sale; // insertion order: the newest wins
    }
    return found;
  }

  subscribe(listener: (event: KioskHostEvent) => void, filter?: KioskEventFilter): Unsubscribe {
    const entry = { fn: listener, ...(filter?.points ? { points: new Set(filter.points) } : {}) };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  // ---- controls: what Glase and the POS flow would do ---------------------------------------------

  /** The invoice was sent: starting → waiting. */
  openInvoice(saleId: string): KioskSale {
    const e = this.entry(saleId);
    if (e.sale.state !== "starting") return e.sale;
    return this.update(e, { state: "waiting", invoiceReference: `inv-${saleId}` });
  }

  /** The customer paid and the poll read PAID: → paid (release), the release deadline starts. */
  pay(saleId: string, ersReference = `ers-${saleId}`): KioskSale {
    const e = this.entry(saleId);
    if (e.sale.state !== "starting" && e.sale.state !== "waiting") return e.sale;
    const now = this.options.scheduler.now();
    const timeout = this.options.releaseTimeoutMs ?? 120_000;
    e.releaseTimer = this.options.scheduler.setTimer(timeout, () => {
      if (e.sale.state !== "paid") return;
      this.alarms.push({ saleId, code: "release-result-missing" });
      this.update(e, { state: "attention", attention: "release-result-missing" });
    });
    return this.update(e, { state: "paid", ersReference, paidAt: now, releaseDeadline: now + timeout, cancelRequested: undefined });
  }

  /** The invoice ended at Glase without payment (CANCELED/FAILED/EXPIRED, or sendInvoice failed). */
  expire(saleId: string, reason: CancelReason = "glase"): KioskSale {
    const e = this.entry(saleId);
    if (e.sale.state !== "starting" && e.sale.state !== "waiting") return e.sale;
    return this.update(e, { state: "cancelled", cancelReason: reason, cancelRequested: undefined });
  }

  /** A technician stopped the point / the agent drains: new sales are refused with point-unavailable. */
  setAvailable(point: number, available: boolean): void {
    if (available) this.unavailable.delete(point);
    else this.unavailable.add(point);
  }

  /** Every sale, oldest first. */
  sales(): readonly KioskSale[] {
    return [...this.entries.values()].map((e) => e.sale);
  }

  // ---- internals -----------------------------------------------------------------------------------

  private settleRefund(e: Entry, amountMinor: number): void {
    if (e.sale.state !== "refunding") return;
    if (this.options.refundAccepted?.(e.sale, amountMinor) ?? true) {
      this.refunds.push({ saleId: e.sale.saleId, amountMinor });
      this.update(e, { state: "refunded", refund: { amountMinor, state: "done", ersReference: `refund-${e.sale.saleId}` } });
    } else {
      this.alarms.push({ saleId: e.sale.saleId, code: "refund-failed" });
      this.update(e, { state: "attention", attention: "refund-failed", refund: { amountMinor, state: "failed" } });
    }
  }

  private entry(saleId: string): Entry {
    const e = this.entries.get(saleId);
    if (!e) throw new AgentError("NOT_FOUND", `no sale ${saleId}`, { saleId });
    return e;
  }

  private update(e: Entry, patch: Partial<KioskSale>): KioskSale {
    const merged = { ...e.sale, ...patch, version: e.sale.version + 1, updatedAt: this.options.scheduler.now() };
    for (const k of Object.keys(merged) as Array<keyof KioskSale>) if (merged[k] === undefined) delete merged[k];
    const point = this.options.points.find((p) => p.id === merged.point)!;
    const sale: KioskSale = { ...merged, display: kioskDisplay(merged, point) };
    e.sale = sale;
    if (FINAL_SALE_STATES.has(sale.state)) e.releaseTimer?.();
    this.emit(sale);
    return sale;
  }

  private emit(sale: KioskSale): void {
    for (const l of [...this.listeners]) {
      if (l.points && !l.points.has(sale.point)) continue;
      try {
        l.fn({ type: "sale", sale });
      } catch (err) {
        this.options.logger?.error("kiosk_listener_failed", { saleId: sale.saleId, err });
      }
    }
  }
}
