// The subscribers of a KioskHost (the Kiosk API's event stream, the MDB driver): every change of a
// sale, after it is journaled, to those watching its point. A listener that throws is logged and
// never stops the others (contract.ts subscribe).
import type { KioskEventFilter, KioskHostEvent, KioskSale, Unsubscribe } from "../../contracts/kiosk.ts";
import type { Logger } from "../../base/log.ts";

export class SaleListeners {
  private readonly listeners = new Set<{ fn: (e: KioskHostEvent) => void; points?: ReadonlySet<number> }>();

  constructor(private readonly logger: Logger) {}

  subscribe(listener: (event: KioskHostEvent) => void, filter?: KioskEventFilter): Unsubscribe {
    const entry = { fn: listener, ...(filter?.points ? { points: new Set(filter.points) } : {}) };
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  emit(sale: KioskSale): void {
    for (const l of [...this.listeners]) {
      if (l.points && !l.points.has(sale.point)) continue;
      try {
        l.fn({ type: "sale", sale });
      } catch (err) {
        this.logger.error("kiosk_listener_failed", { saleId: sale.saleId, err });
      }
    }
  }
}
