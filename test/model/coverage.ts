// How much of the interesting space the runs reached: per counter, in how many runs it happened.
// Printed after a campaign so a generator tweak that stops reaching commits or lapses is seen.
import type { World } from "./world.ts";

export class Coverage {
  readonly runsWith = new Map<string, number>();
  runs = 0;

  record(w: World): void {
    this.runs++;
    const hit = new Set<string>();
    const invs = [...w.model.invoices.values()];
    if (invs.some((i) => i.paidBy === "commit")) hit.add("commit");
    if (invs.some((i) => i.paidBy === "debit")) hit.add("pos-paid");
    if (invs.some((i) => i.cause === "lapsed" && i.reservedAt !== undefined)) hit.add("lapse-reserved");
    if (invs.some((i) => i.cause === "reversed")) hit.add("reversal");
    if (invs.some((i) => i.cause === "superseded")) hit.add("supersede");
    if (invs.some((i) => i.cause === "merchant" && i.reservedAt !== undefined)) hit.add("cancel-reserved");
    if (w.model.refunds.length > 0) hit.add("refund");
    if (w.tech.some((t) => t.kind === "reconciliation" && t.outcome?.ok)) hit.add("reconciled");
    if (w.releases.length > 0) hit.add("released");
    if (w.alarms.length > 0) hit.add("alarm");
    if (w.flows.size > 0 && [...w.flows.values()].some((f) => f.parked)) hit.add("parked");
    if ([...w.board.txs.values()].some((t) => t.amountMinor > t.limitMinor)) hit.add("overrun");
    if ([...w.board.txs.values()].some((t) => t.reason === "limit")) hit.add("end-limit");
    if ([...w.board.txs.values()].some((t) => t.reason === "stopped" && t.milli > 0)) hit.add("end-stopped");
    if (w.wire.log.some((e) => e.fault === "lostAnswer" && e.op === "commitReservation")) hit.add("commit-answer-lost");
    if (w.journal && w.journal.compactions > 0) hit.add("compaction");
    if (w.kills.length > 0) hit.add("restart");
    for (const k of w.kills) for (const phase of k.phases) hit.add(`restart@${phase}`);
    for (const x of w.sales.sales.values()) {
      const s = x.last;
      const r = s.release?.result;
      hit.add("kiosk-sale");
      if (s.state === "delivered") hit.add(s.release?.late ? "sale-delivered-late" : "sale-delivered");
      if (s.state === "refunded") hit.add(r?.outcome === "failed" && (r.deliveredMinor ?? 0) > 0 ? "sale-refunded-partial" : "sale-refunded");
      if (s.state === "attention") hit.add(`sale-attention-${s.attention}`);
      if (s.state === "cancelled") hit.add(`sale-cancelled-${s.cancelReason}`);
    }
    for (const h of hit) this.runsWith.set(h, (this.runsWith.get(h) ?? 0) + 1);
  }

  merge(other: { runs: number; runsWith: Iterable<[string, number]> }): void {
    this.runs += other.runs;
    for (const [k, n] of other.runsWith) this.runsWith.set(k, (this.runsWith.get(k) ?? 0) + n);
  }

  format(): string {
    const keys = [...this.runsWith.keys()].sort();
    return `coverage (runs reaching, of ${this.runs}): ${keys.map((k) => `${k}=${this.runsWith.get(k)}`).join(" ")}`;
  }
}
