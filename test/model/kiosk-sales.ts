// Kiosk sales in the model world (issue 13): the REAL engine-backed KioskHost (agent/kiosk/) on the
// generation's engine and journal, driven by a kiosk controller the way a kiosk app or a vending
// machine drives it — it asks for a sale, the customer pays or declines at Glase (customers.ts),
// the controller or the customer cancels, and on `paid` the controller hands out the product and
// reports what happened: delivered, failed, a partial delivery, unknown, never (its report lost), or
// late (after the release deadline). The controller persists that it handed out BEFORE it does
// (world memory survives a kill), so after a restart it re-reports the same result and never hands
// out twice; it reads `paid` level-triggered (getSale), never relying on an event it may have missed.
//
// The judge (judgeSales): released at most once (w.releases, invariants.ts), refunded at most once
// (Glase's refunds of the sale's one refund flow), never a refund of a delivered or unknown release,
// refund = amount − delivered, a paid sale never ends cancelled or open, every sale in `attention`
// has its alarm in the CURRENT engine, and a controller's report is never lost.
import type { AlarmInfo, FlowSummary } from "../../agent/engine-api.ts";
import type { EngineKioskHost } from "../../agent/kiosk/engine-host.ts";
import type { KioskSale, ReleaseResult } from "../../contracts/kiosk.ts";
import type { Generation } from "./glase-wire.ts";
import { KIOSK_POINT, type World } from "./world.ts";

export type ReleaseKind = "delivered" | "failed" | "partial" | "unknown" | "never" | "late";

export interface ReleasePlan {
  readonly kind: ReleaseKind;
  /** From `paid` to the hand-out (and the report, except for "late"). */
  readonly afterMs: number;
  /** partial: the share delivered, 1–99 %. */
  readonly percent?: number;
}

export interface SaleWatch {
  readonly saleId: string;
  readonly amountMinor: number;
  readonly plan: ReleasePlan;
  /** Persisted by the controller BEFORE it hands out: it never hands out again. */
  handedOut?: ReleaseResult;
  /** The host accepted the controller's report. */
  reported?: boolean;
  /** The newest version any generation showed (durable: shown after its journal write). */
  last: KioskSale;
  /** Generation whose timer will hand out (one at a time). */
  scheduledGen?: number;
  /** Refusals of a report the controller did not expect. */
  readonly refusals: string[];
}

export const RELEASE_TIMEOUT_MS = 120_000;

const OPEN = new Set(["starting", "waiting", "paid"]);
const FINAL = new Set(["delivered", "cancelled", "refunded"]);

export class KioskSales {
  readonly sales = new Map<string, SaleWatch>();
  /** The plan of the sale being requested (its first event names its id). */
  private asking?: { readonly amountMinor: number; readonly plan: ReleasePlan };
  host?: EngineKioskHost;
  private gen?: Generation;
  seq = 0;

  constructor(private readonly w: World) {}

  /** The POS flow of a host sale (its release goes to the host, not to the world's direct release). */
  owns(flowId: string): boolean {
    return this.sales.has(flowId);
  }

  /** A POS flow that waits on a sale at rest (attention: a technician decides) is at rest too. */
  resting(flowId: string): boolean {
    const s = this.sales.get(flowId)?.last;
    return s !== undefined && s.state === "attention";
  }

  /** Every sale at rest, but some refund waits behind a parked flow of the kiosk's terminal (only a technician moves it). */
  blockedByParked(flows: readonly FlowSummary[]): boolean {
    const open = [...this.sales.values()].filter((x) => x.last.state !== "attention" && !FINAL.has(x.last.state));
    return open.length > 0 && open.every((x) => x.last.state === "refunding") && flows.some((f) => f.parked && f.point === KIOSK_POINT);
  }

  /** Open sales' states at a kill (coverage restart@sale:…). */
  openPhases(): string[] {
    return [...this.sales.values()].filter((x) => OPEN.has(x.last.state) || x.last.state === "refunding").map((x) => `sale:${x.last.state}`);
  }

  /** A new generation's host: watch it, then pick up every sale the controller still owes a report. */
  async attach(gen: Generation, host: EngineKioskHost): Promise<void> {
    this.host = host;
    this.gen = gen;
    host.subscribe(({ sale }) => {
      if (!gen.alive) return;
      let x = this.sales.get(sale.saleId);
      if (!x) {
        const a = this.asking ?? { amountMinor: sale.amountMinor, plan: { kind: "delivered", afterMs: 0 } };
        x = { saleId: sale.saleId, amountMinor: a.amountMinor, plan: a.plan, last: sale, refusals: [] };
        this.sales.set(sale.saleId, x);
      }
      if (sale.version > x.last.version) x.last = sale;
      const k = this.w.killAt;
      if (k && k.phase === `sale:${sale.state}`) k.due = true;
      this.poke(x, sale);
    });
    for (const x of this.sales.values()) {
      const s = await host.getSale(x.saleId);
      if (!gen.alive) return;
      if (s) {
        if (s.version > x.last.version) x.last = s;
        this.poke(x, s);
      }
    }
  }

  /** The customer at the kiosk asks for a sale (a busy or closed point: they walk away). */
  async request(amountMinor: number, plan: ReleasePlan): Promise<void> {
    const host = this.host;
    if (!host) return;
    this.asking = { amountMinor, plan };
    const n = ++this.seq;
    await host.requestSale({ point: KIOSK_POINT, amountMinor, currency: "SEK", reference: `order-${n}`, ...(n % 2 === 0 ? { idempotencyKey: `kiosk:${n}` } : {}) }).catch(() => undefined);
    this.asking = undefined;
  }

  /** The customer (or the controller) cancels the open sale, if any. */
  async cancel(by: "customer" | "controller"): Promise<void> {
    const open = [...this.sales.values()].filter((x) => x.last.state === "starting" || x.last.state === "waiting").at(-1);
    if (open && this.host) await this.host.cancelSale(open.saleId, by).catch(() => undefined);
  }

  /** Level-triggered: a sale that is `paid` (or waits for its late result) gets its hand-out or its report again. */
  private poke(x: SaleWatch, s: KioskSale): void {
    const gen = this.gen!;
    const waitsForResult = s.state === "paid" || (s.state === "attention" && s.attention === "release-result-missing");
    if (!waitsForResult || x.reported) return;
    if (x.handedOut) {
      // It already handed out: it reports what it persisted (again after a restart; a repeat is a no-op).
      if (x.plan.kind !== "late" || s.state === "attention") this.report(x, x.handedOut);
      return;
    }
    if (s.state !== "paid" || x.plan.kind === "never" || x.scheduledGen === gen.id) return;
    x.scheduledGen = gen.id;
    this.w.clock.schedule(x.plan.afterMs, () => {
      if (!gen.alive || x.handedOut) return;
      const now = this.sales.get(x.saleId)!.last;
      if (now.state !== "paid") return;
      const result = resultOf(x);
      x.handedOut = result;
      const paid = this.w.model.invoicesOf(x.saleId).some((i) => i.status === "PAID");
      this.w.releases.push({ flowId: x.saleId, point: KIOSK_POINT, amountMinor: x.amountMinor, at: this.w.clock.mono, paidAtGlase: paid });
      if (x.plan.kind === "late") this.w.clock.schedule(RELEASE_TIMEOUT_MS + 1000, () => gen.alive && this.report(x, result), "controller");
      else this.report(x, result);
    }, "controller");
  }

  private report(x: SaleWatch, result: ReleaseResult): void {
    const gen = this.gen!;
    this.host!.reportRelease(x.saleId, result).then(
      () => gen.alive && (x.reported = true),
      (e: { code?: string; context?: { conflict?: string } }) => {
        if (gen.alive) x.refusals.push(`${e.code ?? "?"}${e.context?.conflict ? `:${e.context.conflict}` : ""}`);
      },
    );
  }

  /** The technician at the machine (ctl kiosk-resolve) settles every sale waiting for its release result, by what came out. */
  async technicianSettles(): Promise<number> {
    let n = 0;
    for (const x of this.sales.values()) {
      const s = x.last;
      if (!this.host || s.state !== "attention" || (s.attention !== "release-result-missing" && s.attention !== "release-unknown")) continue;
      const out = x.handedOut;
      const decision =
        out?.outcome === "delivered" ? ({ outcome: "delivered" } as const) : ({ outcome: "failed", ...(out?.outcome === "failed" && out.deliveredMinor ? { deliveredMinor: out.deliveredMinor } : {}) } as const);
      await this.host.resolveSale(x.saleId, decision, "model technician").then(() => n++, (e: unknown) => x.refusals.push(`resolve:${String(e)}`));
    }
    return n;
  }

  /** Reads every sale from the current host (the last write of a killed generation may not have been shown). */
  async refresh(): Promise<void> {
    for (const x of this.sales.values()) {
      const s = await this.host?.getSale(x.saleId);
      if (s && s.version > x.last.version) x.last = s;
    }
  }
}

function resultOf(x: SaleWatch): ReleaseResult {
  switch (x.plan.kind) {
    case "delivered":
    case "late":
      return { outcome: "delivered" };
    case "failed":
      return { outcome: "failed", reason: "vend jam" };
    case "partial": {
      const d = Math.max(1, Math.min(x.amountMinor - 1, Math.floor((x.amountMinor * (x.plan.percent ?? 50)) / 100)));
      return x.amountMinor > 1 ? { outcome: "failed", reason: "ran dry", deliveredMinor: d } : { outcome: "failed", reason: "ran dry" };
    }
    case "unknown":
      return { outcome: "unknown", reason: "machine reset mid-vend" };
    case "never":
      return { outcome: "delivered" };
  }
}

const deliveredOf = (x: SaleWatch, r: ReleaseResult | undefined): number => (r?.outcome === "failed" ? (r.deliveredMinor ?? 0) : x.amountMinor);

/** Once the world is quiet and healed: the money rules of every kiosk sale. */
export function judgeSales(w: World, alarmsNow: readonly AlarmInfo[], flowsNow: readonly FlowSummary[]): void {
  for (const x of w.sales.sales.values()) {
    const s = x.last;
    const id = x.saleId;
    const invs = w.model.invoicesOf(id);
    const paid = invs.filter((i) => i.status === "PAID");
    const refunds = w.model.refunds.filter((r) => r.clientInvoiceId === `R-${id}`);
    const result = s.release?.result;
    // A late invoice of the sale (a sendInvoice processed after its flow gave up or was paid, §4.1)
    // that a customer paid: nothing was released for it. The agent must have read it (no reversal)
    // and told a technician with the exact refund line (paid-twice / paid-unclaimed, agent/core/send-watch.ts):
    // that PAID is the technician's to refund, not the sale's settlement.
    const toldLate = (ers: string | undefined) => ers !== undefined && w.alarms.some((a) => (a.alarm.code === "paid-unclaimed" || a.alarm.code === "paid-twice") && a.alarm.message.includes(`ctl refund ${ers} `));
    const untold = paid.filter((i) => !toldLate(i.ersReference));
    if (paid.length > 1 && untold.length > 1) w.violateOnce(`sale-paid-twice:${id}`, "sale-paid-twice", `${id}: ${paid.length} PAID invoices`);
    if (refunds.length > 1) w.violateOnce(`sale-refunds:${id}`, "sale-refunded-twice", `${id}: ${refunds.length} refunds applied at Glase`);
    if (refunds.length > 0) {
      if (result?.outcome !== "failed") w.violateOnce(`sale-refund-why:${id}`, "sale-refunded-not-failed", `${id} refunded ${refunds[0]!.amountMinor} with release result ${result?.outcome ?? "none"}`);
      else if (refunds[0]!.amountMinor !== x.amountMinor - deliveredOf(x, result)) {
        w.violateOnce(`sale-refund-amount:${id}`, "sale-refund-wrong-amount", `${id} refunded ${refunds[0]!.amountMinor}, amount ${x.amountMinor} − delivered ${deliveredOf(x, result)}`);
      }
    }
    if (x.handedOut?.outcome === "delivered" && refunds.length > 0) w.violateOnce(`sale-both:${id}`, "released-and-refunded", `${id} delivered and refunded ${refunds[0]!.amountMinor}`);
    // A parked refund a technician marked settled ("it is there") ends the sale refunded on their
    // word; the model's technician acts blindly, so Glase may hold none — theirs to answer for.
    const technicianSaidRefunded = refunds.length === 0 && w.markedSettled.has(`R-${id}`);
    if (s.state === "refunded" && refunds.length !== 1 && !technicianSaidRefunded) w.violateOnce(`sale-refunded-none:${id}`, "sale-refunded-without-refund", `${id} shows refunded, Glase applied ${refunds.length} refunds`);
    if (s.state === "delivered" && refunds.length > 0) w.violateOnce(`sale-delivered-refunded:${id}`, "sale-delivered-refunded", `${id} delivered but refunded`);
    const parkedOnTerminal = flowsNow.some((f) => f.parked && f.point === KIOSK_POINT);
    if (paid.length === 1 && untold.length === 1 && paid[0]!.cause !== "reversed" && ["starting", "waiting", "cancelled", "paid", ...(parkedOnTerminal ? [] : ["refunding"])].includes(s.state)) {
      w.violateOnce(`sale-paid-open:${id}`, "paid-sale-not-settled", `${id} PAID ${paid[0]!.paidMinor} but the sale rests ${s.state}${s.cancelReason ? ` (${s.cancelReason})` : ""}`);
    }
    if (paid.length === 0 && (s.state === "delivered" || s.state === "refunded" || s.release)) w.violateOnce(`sale-unpaid:${id}`, "sale-settled-unpaid", `${id} is ${s.state} without a PAID invoice`);
    if (x.handedOut && x.plan.kind !== "never" && !s.release) w.violateOnce(`sale-report-lost:${id}`, "release-report-lost", `${id}: the controller handed out (${x.handedOut.outcome}) but the host has no result (${s.state}; refusals ${x.refusals.join(",") || "none"})`);
    if (x.refusals.length > 0 && x.handedOut && s.release && JSON.stringify(s.release.result) !== JSON.stringify(x.handedOut)) {
      w.violateOnce(`sale-report-differs:${id}`, "release-result-differs", `${id}: reported ${JSON.stringify(x.handedOut)}, recorded ${JSON.stringify(s.release.result)}`);
    }
    if (w.config.submitReceipts && s.ersReference !== undefined) {
      // Its Glase receipt (sale-receipt.ts): after a delivery, never for a sale that was not delivered.
      const sent = w.wire.log.filter((e) => e.op === "submitPaymentReceipt" && e.applied && e.args.ers === s.ersReference);
      if (s.state === "delivered" && sent.length === 0) w.violateOnce(`receipt-lost:${id}`, "receipt-not-submitted", `${id} delivered, no receipt reached Glase`);
      if (s.state !== "delivered" && s.state !== "attention" && sent.length > 0) w.violateOnce(`receipt-undelivered:${id}`, "receipt-for-undelivered", `${id} is ${s.state} but ${sent.length} receipts were submitted`);
      const refs = new Set(sent.map((e) => e.ref));
      if (refs.size > 1 && !sent.some((e) => e.fault !== undefined)) w.violateOnce(`receipt-twice:${id}`, "receipt-submitted-twice", `${id}: ${refs.size} receipts under different references, no fault`);
    }
    // The sale's own alarm, or its refund flow's (a parked refund: the technician settles that flow).
    if (s.state === "attention" && !alarmsNow.some((a) => a.flowId === id || a.flowId === `R-${id}`)) w.violateOnce(`sale-silent:${w.gen.id}:${id}`, "sale-attention-without-alarm", `${id} rests in attention (${s.attention}) with no alarm in this engine`);
  }
}
