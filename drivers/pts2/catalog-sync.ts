// The controller's fuel grades and nozzles, read from it: at link-up, before a poll that lacks
// them, and every priceCheckIntervalMs (when old closed transaction records are pruned too); each
// read checked against the configured grades (grades.ts) — a mismatch is a fault event. Apart
// from the driver (driver.ts), which sells with what this has read.
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import { decodeFuelGrades, decodePumpNozzles } from "./decode-config.ts";
import { mismatchFault } from "./grades.ts";
import { Pts2Part, type Pts2Parts } from "./parts.ts";

export class CatalogSync extends Pts2Part {
  /** The controller FuelGradeIds the agent sells (decoded strictly; others tolerantly). */
  private readonly sold: ReadonlySet<number>;
  private readonly raiseOnce: (e: Extract<DispenserEvent, { type: "fault" }>) => void;
  private catalogRead: Promise<void> | undefined;
  private cancelPriceCheck: (() => void) | undefined;
  private closed = false;

  constructor(d: Pts2Parts & { readonly sold: ReadonlySet<number>; readonly raiseOnce: (e: Extract<DispenserEvent, { type: "fault" }>) => void }) {
    super(d);
    this.sold = d.sold;
    this.raiseOnce = d.raiseOnce;
  }

  close(): void {
    this.closed = true;
    this.cancelPriceCheck?.();
  }

  /** One read of grades and nozzles at a time; callers arriving meanwhile share it. */
  refreshCatalog(): Promise<void> {
    this.catalogRead ??= this.readCatalog().finally(() => (this.catalogRead = undefined));
    return this.catalogRead;
  }

  private async readCatalog(): Promise<void> {
    const [grades, nozzles] = await Promise.all([this.exchange.request("GetFuelGradesConfiguration"), this.exchange.request("GetPumpNozzlesConfiguration")]);
    let decoded;
    try {
      decoded = { grades: decodeFuelGrades(grades.data, this.units, this.sold), nozzles: decodePumpNozzles(nozzles.data) };
    } catch (err) {
      // Nothing can be sold without the catalogue: a person must know, not just a log line. A
      // controller-wide alarm (no point): told to a flow on a pump, it stopped a running fill for a
      // price re-read that failed once (review 14v W2), and raised once it named only the first pump.
      this.raiseOnce({ type: "fault", point: null, code: "PTS_GRADES_UNREADABLE", message: `the controller's fuel grade / nozzle configuration cannot be read: ${err instanceof Error ? err.message : String(err)}; sales go on with the configuration last read (none before the first read: no sale until it can)` });
      throw err;
    }
    const { mismatches, changed } = this.catalog.update(decoded.grades, decoded.nozzles);
    if (!changed) return;
    for (const m of mismatches) {
      this.log.warn("pts_price_mismatch", { ...m, policy: this.config.priceMismatch });
      this.emit(mismatchFault(m, this.config.priceMismatch));
    }
    if (mismatches.length === 0) this.log.info("pts_prices_agree", { grades: this.config.grades.length });
  }

  /** Every priceCheckIntervalMs: the controller's prices again, and old closed records forgotten. */
  schedulePriceCheck(): void {
    if (this.closed) return;
    this.cancelPriceCheck = this.scheduler.setTimer(this.config.priceCheckIntervalMs, () => {
      void this.refreshCatalog()
        .catch((err: unknown) => this.log.debug("pts_price_check_failed", { err }))
        .then(() => this.book.prune(this.config.retentionMs))
        .catch((err: unknown) => this.log.warn("pts_prune_failed", { err }))
        .finally(() => this.schedulePriceCheck());
    });
  }
}
