// The kiosk host's sales in memory, bounded: every unfinished sale, and the finished ones of the
// last `keepFinalMs` (default 24 h) — the horizon of idempotency-key replays and reference
// lookups. Older finished sales are dropped from memory (the journal keeps them for its retention;
// getSale reads them from there by id). Lookups go through indices, never a scan of every sale:
// key → sale, reference → sales, and the small set of unfinished sales (the point-busy check).
import { FINAL_SALE_STATES, type KioskPointId } from "../../contracts/kiosk.ts";
import type { SaleRecord } from "./sale-record.ts";
import { receiptPending } from "./sale-receipt.ts";

/** Finished for memory: a final state AND no Glase receipt still owed (one owed is still sent, even after keepFinalMs). */
const settled = (rec: SaleRecord): boolean => FINAL_SALE_STATES.has(rec.sale.state) && !receiptPending(rec.receipt);

export const DEFAULT_KEEP_FINAL_MS = 24 * 3600_000;

export class SaleIndex<E extends { rec: SaleRecord }> {
  private readonly entries = new Map<string, E>();
  private readonly byKey = new Map<string, string>();
  private readonly byRef = new Map<string, Set<string>>();
  private readonly unfinished = new Set<string>();
  /** Finished sales in the order they finished (roughly oldest first): the sweep's queue. */
  private readonly finished: string[] = [];
  private readonly queued = new Set<string>();

  constructor(private readonly keepFinalMs: number = DEFAULT_KEEP_FINAL_MS) {}

  get size(): number {
    return this.entries.size;
  }

  get(saleId: string): E | undefined {
    return this.entries.get(saleId);
  }

  has(saleId: string): boolean {
    return this.entries.has(saleId);
  }

  values(): IterableIterator<E> {
    return this.entries.values();
  }

  /** A sale (new, or read from the journal); its key is indexed unless the start was refused. */
  add(e: E): void {
    const s = e.rec.sale;
    this.entries.set(s.saleId, e);
    if (s.idempotencyKey !== undefined && !e.rec.refused) this.byKey.set(s.idempotencyKey, s.saleId);
    let refs = this.byRef.get(s.reference);
    if (!refs) this.byRef.set(s.reference, (refs = new Set()));
    refs.add(s.saleId);
    this.changed(e);
  }

  /** Forgets a sale whose start failed before it was journaled. */
  remove(saleId: string): void {
    const e = this.entries.get(saleId);
    if (!e) return;
    this.entries.delete(saleId);
    this.unfinished.delete(saleId);
    this.releaseKey(e);
    const refs = this.byRef.get(e.rec.sale.reference);
    refs?.delete(saleId);
    if (refs?.size === 0) this.byRef.delete(e.rec.sale.reference);
  }

  /** The key is free again (the engine refused the start: nothing was sent). */
  releaseKey(e: E): void {
    const key = e.rec.sale.idempotencyKey;
    if (key !== undefined && this.byKey.get(key) === e.rec.sale.saleId) this.byKey.delete(key);
  }

  byIdempotencyKey(key: string): E | undefined {
    const id = this.byKey.get(key);
    return id === undefined ? undefined : this.entries.get(id);
  }

  /** The newest (by creation) non-refused sale with this reference, on that point / among those points. */
  byReference(reference: string, point?: KioskPointId, points?: readonly KioskPointId[]): E | undefined {
    let found: E | undefined;
    for (const id of this.byRef.get(reference) ?? []) {
      const e = this.entries.get(id);
      if (!e || e.rec.refused) continue;
      const s = e.rec.sale;
      if (point !== undefined && s.point !== point) continue;
      if (points !== undefined && !points.includes(s.point)) continue;
      if (!found || s.createdAt >= found.rec.sale.createdAt) found = e;
    }
    return found;
  }

  /** A sale on this point that is not released or ended yet. */
  busy(point: KioskPointId): E | undefined {
    for (const id of this.unfinished) {
      const e = this.entries.get(id);
      const s = e?.rec.sale;
      if (s && s.point === point && (s.state === "starting" || s.state === "waiting" || s.state === "paid")) return e;
    }
    return undefined;
  }

  /** After every change of a sale's record: keeps the unfinished set and the finished queue. */
  changed(e: E): void {
    const s = e.rec.sale;
    if (!settled(e.rec)) {
      this.unfinished.add(s.saleId);
      return;
    }
    this.unfinished.delete(s.saleId);
    if (!this.queued.has(s.saleId)) (this.queued.add(s.saleId), this.finished.push(s.saleId));
  }

  /** Drops finished sales last changed more than keepFinalMs ago; returns how many. */
  sweep(now: number): number {
    let dropped = 0;
    while (this.finished.length > 0) {
      const id = this.finished[0]!;
      const e = this.entries.get(id);
      if (e && settled(e.rec) && now - e.rec.sale.updatedAt < this.keepFinalMs) break;
      this.finished.shift();
      this.queued.delete(id);
      if (e && !settled(e.rec)) continue; // not finished any more (cannot happen today): kept
      if (e) {
        this.remove(id);
        dropped++;
      }
    }
    return dropped;
  }
}
