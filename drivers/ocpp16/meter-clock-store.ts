// The chargers' meter clock bounds (charger-state.ts: the least arrival − stamp of their
// MeterValues) kept in the driver's durable store (review 12n #1). The bound is what says when a
// stamped sample was taken at the latest; a restarted agent that had to learn it afresh would
// learn it from the charger's queue drained after the outage — the newest queued sample's wait
// taken for the link delay — and every queued sample would look taken after a stop sent
// meanwhile: a charger that obeyed the stop billed the whole reservation. So each new (lower)
// bound is written, and read back at start.
import type { Logger } from "../../base/log.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";
import type { ChargerRuntime } from "./charger-state.ts";

const PREFIX = "meter-clock/";

export class MeterClockStore {
  /** Writes in order: a lower bound never overwritten by an older, higher one. */
  private chain: Promise<void> = Promise.resolve();
  /** The bound last written per charger: a jump down is logged. */
  private readonly written = new Map<string, number>();

  constructor(
    private readonly store: DriverStore,
    private readonly log: Logger,
  ) {}

  /** Every configured charger's stored bound, into its runtime (before any charger is served); `now`: since when it is known. */
  async load(runtimes: ReadonlyMap<string, ChargerRuntime>, now: number): Promise<void> {
    for (const { key, value } of await this.store.list(PREFIX)) {
      const rt = runtimes.get(key.slice(PREFIX.length));
      if (!rt || typeof value !== "number" || !Number.isFinite(value)) continue;
      rt.leastMeterDelayMs = Math.min(rt.leastMeterDelayMs ?? Infinity, value);
      rt.meterBoundSince ??= now;
      this.written.set(rt.config.id, rt.leastMeterDelayMs);
    }
  }

  /** The runtime's bound was lowered: written (a failure is logged; the bound in memory still serves this runtime). */
  save(rt: ChargerRuntime): Promise<void> {
    const id = rt.config.id;
    const before = this.written.get(id);
    if (rt.leastMeterDelayMs !== undefined) this.written.set(id, rt.leastMeterDelayMs);
    // A sample stamped seconds ahead of the others (a clock stepped back since, a stamp at its
    // interval's end): every sample now looks older than it is — stamped overrun evidence is lost
    // for this charger (review 12n #5; the safe side: its progress is settled instead). Said once per jump.
    if (before !== undefined && rt.leastMeterDelayMs !== undefined && before - rt.leastMeterDelayMs > 5_000) {
      this.log.warn("meter_clock_bound_jumped", { chargePointId: id, fromMs: before, toMs: rt.leastMeterDelayMs, consequence: "samples stamped before this jump look older: stamped overrun evidence of this charger is weaker from now on" });
    }
    return (this.chain = this.chain
      .then(() => (rt.leastMeterDelayMs === undefined ? undefined : this.store.put(PREFIX + id, rt.leastMeterDelayMs)))
      .catch((err: unknown) => this.log.error("meter_clock_store_failed", { chargePointId: id, err })));
  }

  /** Every write begun so far is done (close). */
  async flushed(): Promise<void> {
    await this.chain;
  }
}
