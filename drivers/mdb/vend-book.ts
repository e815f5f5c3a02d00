// The vends the MDB driver has open: each one's record, written to the DriverStore before the
// driver acts on it (vend-store.ts), and what follows from a record alone — the sale's idempotency
// key, its invoice rows from the product table, how long ago it was requested (on the boot clock
// for a vend of a previous process). Apart from cashless.ts, which decides what happens to a vend.
import { randomBytes } from "node:crypto";
import type { Scheduler } from "../../base/clock.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";
import type { InvoiceRow } from "../../contracts/glase/types.ts";
import { sinceOnThisBoot } from "./boot-clock.ts";
import type { MdbSettings } from "./config.ts";
import { VendStore, type VendRecord } from "./vend-store.ts";

export class VendBook {
  readonly vends: VendStore;
  readonly records = new Map<number, VendRecord>();
  readonly deadlines = new Map<number, () => void>();
  /** Approvals decided while the link was down: sent when it is back if the machine still waits (never after a restart). */
  readonly unsent = new Set<number>();
  /**
   * New on every start: part of each new vend's idempotency key and reference, so a vend id that
   * restarts at 1 (drivers.sqlite lost, or restored from an older copy than the journal) is a new
   * sale, never the replay of one the journal still keeps (its retention is 90 days).
   */
  readonly epoch = randomBytes(5).toString("hex");

  constructor(
    private readonly s: MdbSettings,
    store: DriverStore,
    private readonly scheduler: Scheduler,
  ) {
    this.vends = new VendStore(store);
  }

  active(): VendRecord | undefined {
    return [...this.records.values()].find((r) => r.phase === "requesting" || r.phase === "waiting" || r.phase === "approved");
  }

  async save(r: VendRecord): Promise<VendRecord> {
    await this.vends.put(r);
    this.records.set(r.vendId, r);
    return r;
  }

  async forget(r: VendRecord): Promise<void> {
    this.deadlines.get(r.vendId)?.();
    this.deadlines.delete(r.vendId);
    this.unsent.delete(r.vendId);
    await this.vends.delete(r);
    this.records.delete(r.vendId);
  }

  key(r: VendRecord): string {
    return r.key ?? `${this.s.id}:vend-${r.vendId}`;
  }

  rows(r: VendRecord): InvoiceRow[] {
    const p = this.s.products[r.product];
    const money = { currency: this.s.currency, minor: r.amountMinor };
    return [
      {
        itemDescription: p?.description ?? `${this.s.genericDescription} (item ${r.product})`,
        itemQuantity: "1",
        itemUnitPrice: money,
        itemTotalAmount: money,
        ...(p?.sku !== undefined ? { itemSKU: p.sku } : {}),
        ...(p?.taxRatePercent !== undefined ? { itemTaxRate: String(p.taxRatePercent) } : {}),
      },
    ];
  }

  /**
   * The machine waits paymentTimeoutMs for our answer, then gives up (and may serve someone else).
   * A vend requested before this process started is timed on the kernel's boot clock: the wall
   * clock of a board without an RTC may come back behind after a power cut (fake-hwclock, NTP not
   * yet synced), so it is never believed across a restart; another boot (or a record without its
   * boot instant) is past the deadline — given up, refunded if paid (review 13-3 #1). Within a
   * run the scheduler's clock is monotonic.
   */
  pastPaymentDeadline(rec: VendRecord): boolean {
    return this.elapsedSince(rec) >= this.s.paymentTimeoutMs;
  }

  /** How long ago a vend was requested; for one of a previous process the later of the boot clock and the wall clock (past is past), another boot is forever. */
  elapsedSince(rec: VendRecord): number {
    if (rec.key?.includes(`:${this.epoch}:`)) return this.scheduler.now() - rec.at;
    const onBoot = sinceOnThisBoot(rec.boot);
    return onBoot === undefined ? Number.POSITIVE_INFINITY : Math.max(onBoot, this.scheduler.now() - rec.at);
  }
}
