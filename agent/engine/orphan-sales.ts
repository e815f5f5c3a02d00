// Dispenser sales no live flow owns. A pump that meters or ends a sale whose flow has finished (or
// that this journal never knew: restored from an old backup, lost) is fuel nobody will settle. The
// flows guard their own pumps (agent/core/preliminary-pump.ts); this is the engine's last line:
// - progress of such a sale stops its point (spaced per sale) and tells a technician once;
// - its END tells a technician what was delivered beyond what the flow settled, unless the flow
//   that finished on it settled at least that much (a board repeating an END after a reconnect).
import type { DispenserEvent, DispenserController } from "../../contracts/dispenser.ts";
import type { Logger } from "../../base/log.ts";
import type { FlowSummary } from "../engine-api.ts";

type SaleEvent = Extract<DispenserEvent, { type: "progress" | "end" }>;
type Entry = { stoppedAt: number; readonly alarmed: Set<SaleEvent["type"]> };

/** A sale's point is stopped again at most this often while it keeps reporting. */
const RESTOP_MS = 1000;
/** Sales remembered for spacing and the one-alarm rule (oldest forgotten first). */
const REMEMBERED = 200;

export interface OrphanSaleHost {
  readonly dispenser: DispenserController | undefined;
  readonly now: () => number;
  readonly logger: Logger;
  /** A finished flow by id, if the engine still remembers it (`ctl flows --all`). */
  finishedFlow(flowId: string): FlowSummary | undefined;
  alarm(a: { readonly point: number; readonly flowId: string; readonly code: string; readonly message: string }): void;
}

export class OrphanSales {
  /** transactionId → when its point was last stopped, and which alarms were raised (once each per sale). */
  private readonly seen = new Map<string, Entry>();

  constructor(private readonly host: OrphanSaleHost) {}

  /** A progress or END for a transaction no running flow owns. */
  report(e: SaleEvent): void {
    const flow = this.host.finishedFlow(e.transactionId);
    const settled = flow?.outcome === "paid" ? (flow.amountMinor ?? 0) : 0;
    if (e.type === "end") {
      this.host.logger.warn("orphan_sale_end", { point: e.point, transactionId: e.transactionId, amountMinor: e.amountMinor, settled });
      if (e.amountMinor <= settled) return;
      this.once(e, `point ${e.point}: sale ${e.transactionId} ended at ${e.amountMinor} with no flow to settle it (${describe(flow)}, ${settled} settled): ${e.amountMinor - settled} delivered unpaid`);
      return;
    }
    const entry = this.entry(e.transactionId);
    const now = this.host.now();
    if (now - entry.stoppedAt >= RESTOP_MS) {
      entry.stoppedAt = now;
      this.host.logger.warn("orphan_sale_stopped", { point: e.point, transactionId: e.transactionId, amountMinor: e.amountMinor });
      this.host.dispenser?.stop(e.point).catch((err: unknown) => this.host.logger.warn("orphan_sale_stop_failed", { point: e.point, transactionId: e.transactionId, err }));
    }
    this.once(e, `point ${e.point}: sale ${e.transactionId} is delivering (${e.amountMinor} metered) with no flow to settle it (${describe(flow)}); stopping the point`);
  }

  private once(e: SaleEvent, message: string): void {
    const entry = this.entry(e.transactionId);
    if (entry.alarmed.has(e.type)) return;
    entry.alarmed.add(e.type);
    this.host.alarm({ point: e.point, flowId: e.transactionId, code: "delivery-without-flow", message });
  }

  private entry(transactionId: string): Entry {
    let entry = this.seen.get(transactionId);
    if (!entry) {
      entry = { stoppedAt: -Infinity, alarmed: new Set() };
      this.seen.set(transactionId, entry);
      if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
    }
    return entry;
  }
}

function describe(flow: FlowSummary | undefined): string {
  return flow ? `its flow finished ${flow.outcome ?? flow.state}` : "no flow of this journal";
}
