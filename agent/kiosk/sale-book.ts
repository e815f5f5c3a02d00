// The host's sales, kept twice: in memory (sale-index.ts, bounded) and in the journal. Every
// change is journaled as the sale's next version before the listeners see it, one change of a sale
// at a time, in order. Apart from the host (engine-host.ts), which decides the changes.
import { AgentError } from "../../base/errors.ts";
import { FINAL_SALE_STATES, type KioskSale } from "../../contracts/kiosk.ts";
import type { EngineKioskHostOptions } from "./host-options.ts";
import type { KioskPoints } from "./kiosk-points.ts";
import { SaleIndex } from "./sale-index.ts";
import { SaleListeners } from "./sale-listeners.ts";
import { type SaleRecord, newSaleId, nextSale, saleTransition } from "./sale-record.ts";

/** One sale of the host: its record, the chain of its changes, its release deadline, who waits for its release result. */
export interface Entry {
  rec: SaleRecord;
  chain: Promise<unknown>;
  releaseTimer?: () => void;
  waiters: Array<() => void>;
  settling: boolean;
}

export class SaleBook {
  /** Bounded: unfinished sales and the finished ones of the last keepFinalMs, indexed (sale-index.ts). */
  readonly entries: SaleIndex<Entry>;
  readonly listeners: SaleListeners;
  private seq = 0;

  constructor(
    private readonly o: Pick<EngineKioskHostOptions, "journal" | "scheduler" | "logger" | "random" | "keepFinalMs">,
    private readonly points: KioskPoints,
  ) {
    this.entries = new SaleIndex<Entry>(o.keepFinalMs);
    this.listeners = new SaleListeners(o.logger);
  }

  /** Journals the sale's record without a new version of the sale (nothing the controller shows changed). */
  async writeRecord(e: Entry, extra: Partial<SaleRecord>, input: unknown): Promise<void> {
    const rec: SaleRecord = { ...e.rec, ...extra };
    await this.o.journal.append(saleTransition(rec, input, this.points.terminalOf(rec.sale.point)));
    e.rec = rec;
    this.entries.changed(e); // a receipt no longer owed: the sale may be swept now
  }

  /** Journals the sale's next version, then shows it to the listeners. */
  async write(e: Entry, patch: Partial<KioskSale>, input: unknown, extra: Partial<SaleRecord> = {}, durable?: () => void): Promise<void> {
    const sale = nextSale(e.rec.sale, patch, this.o.scheduler.now(), this.points.pointOf(e.rec.sale.point));
    const rec: SaleRecord = { ...e.rec, ...extra, sale };
    await this.o.journal.append(saleTransition(rec, input, this.points.terminalOf(sale.point)));
    e.rec = rec;
    this.entries.changed(e);
    if (FINAL_SALE_STATES.has(sale.state)) e.releaseTimer?.();
    durable?.(); // an alarm: raised before the controller sees the state it explains
    this.emit(sale);
  }

  /** One change of a sale at a time, in order. */
  mutate<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
    const run = e.chain.catch(() => undefined).then(fn);
    e.chain = run;
    return run;
  }

  entry(saleId: string): Entry {
    const e = this.entries.get(saleId);
    if (!e) throw new AgentError("NOT_FOUND", `no sale ${saleId}`, { saleId });
    return e;
  }

  newSaleId(point: number): string {
    this.seq = (this.seq + 1) % 1296;
    return newSaleId(point, this.o.scheduler.now(), this.seq, (this.o.random ?? Math.random)());
  }

  emit(sale: KioskSale): void {
    this.listeners.emit(sale);
  }
}
