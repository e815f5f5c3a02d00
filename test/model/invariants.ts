// What must hold in the world, whatever happened (issue 9, "the model-based campaign"): checked
// as events happen (hooks), after every command (step) and once everything is quiet (quiescent).
// Each violation has a stable code (scenarios.ts names the issue-9 sequence behind each finding).
import sqlite3 from "sqlite3";
import type { Tx } from "./dispenser-model.ts";
import type { ModelInvoice, ModelNote } from "./glase-model.ts";
import type { World } from "./world.ts";
import { judgeSales } from "./kiosk-sales.ts";

const MUTATING = new Set(["sendInvoice", "updateInvoice", "cancelInvoice", "commitReservation", "refundPayment", "markTransactionPeriod"]);

export const flowOfRef = (ref: string): string => ref.slice(0, ref.lastIndexOf("-"));

export class Invariants {
  private readonly flaggedTx = new Set<string>();

  constructor(private readonly w: World) {
    w.model.onNote = (n) => this.onNote(n);
    w.onAlarm = (a) => this.onAlarm(a.code, a.flowId);
    w.onKilled = () => this.durability(w.clock.wall() - w.settings.retentionMs);
    w.board.hooks = {
      authorized: (tx, issued) => {
        this.onAuthorized(tx, issued);
        w.customers.authorized(tx);
      },
      metered: (tx) => this.onMetered(tx),
    };
  }

  private onNote(n: ModelNote): void {
    const w = this.w;
    switch (n.kind) {
      case "second-commit":
        return w.violate("second-commit", `commitReservation reached ${n.invoice} again after a commit was applied`);
      case "refund-resent":
        return w.violate("refund-sent-twice", `refund ${n.clientInvoiceId} applied a second time`);
      case "invalid-request":
        return w.violate(`invalid-${n.op}`, `${n.op} refused with ${n.code}: ${n.why}`);
      case "reversed": {
        // A flow that re-sent its invoice (lost answer) and left the first one to be paid is its own case.
        const inv = w.model.invoices.get(n.invoice)!;
        const resent = inv.clientInvoiceId !== undefined && w.model.invoicesOf(inv.clientInvoiceId).length > 1;
        if (resent && (this.paidUnderSupersede(inv) || this.hiddenByLateLanding(inv))) return;
        return w.violate(resent ? "paid-orphan-not-read" : inv.paidBy === "commit" ? "commit-paid-not-read" : "paid-not-read-20s", `${n.invoice} (${inv.clientInvoiceId}) was PAID and not polled within 20 s: reversed`);
      }
      case "lapsed": {
        // The flow holding the reservation let it lapse while it still ran (neither settled nor parked).
        const inv = w.model.invoices.get(n.invoice)!;
        const f = inv.clientInvoiceId ? w.flows.get(inv.clientInvoiceId) : undefined;
        if (f && !f.finished && !f.parked && !w.alarmedFlow(f.flowId)) w.violateOnce(`lapsed:${n.invoice}`, "lapsed-while-flow-running", `${n.invoice} of ${f.flowId} lapsed while the flow was ${f.state}, no alarm`);
        return;
      }
      case "superseded": {
        // The contract's one prescription: a flow whose sendInvoice answer was lost re-sends and
        // supersedes its OWN invoice. Another live flow's open invoice must never be superseded.
        if (!n.victim || n.victim === n.by) return;
        const victim = w.flows.get(n.victim);
        if (!victim || victim.finished) return;
        // A request of a flow that is already over, processed late, is the hostile network's doing.
        const stale = n.by !== undefined && w.flows.get(n.by)?.finished === true;
        // A sendInvoice processed later than two call timeouts after it was sent (hangLong; §4.1 sets
        // no bound) — the agent had taken it as lost, as §6.15 prescribes — is the network's doing
        // too; what the agent owes is the terminal's lost-send watch, judged by the money rules.
        const landing = w.wire.log.find((e) => e.op === "sendInvoice" && e.arrivedAt === n.at && e.fault === "hangLong");
        if (landing && n.at - landing.sentAt > 2 * w.settings.glaseCallTimeoutMs) return;
        w.violate(stale ? "superseded-by-stale-request" : "superseded-other-flow", `${n.by}'s sendInvoice superseded ${n.invoice} (${n.was}) of live flow ${n.victim}`);
        return;
      }
    }
  }

  /**
   * The one race the contract leaves (§6.4, §6.15): an invoice whose sendInvoice answer was lost has
   * no reference for us, so only a new invoice can close it — and a customer who pays it after our
   * last read of the terminal's current invoice but before the new invoice arrives leaves a PAID no
   * one can read (Glase reverses it: the customer gets the money back). Excused only when the flow
   * sent the new invoice the moment that read answered (it showed the old one still open).
   */
  private paidUnderSupersede(inv: ModelInvoice): boolean {
    // (By terminal: the supersede may be the flow's own or its terminal's lost-send watch's, agent/core/send-watch.ts.)
    const log = this.w.wire.log.filter((e) => e.ref !== undefined && e.terminal === inv.terminalId);
    const next = log.find((e) => e.op === "sendInvoice" && e.arrivedAt !== undefined && e.arrivedAt >= inv.paidAt! && e.sentAt > inv.sentAt);
    if (!next) return false;
    const read = log.filter((e) => e.op === "getPaymentStatus" && e.sentAt < next.sentAt && e.arrivedAt !== undefined).at(-1);
    if (!read || read.args.ref !== undefined || read.arrivedAt! > inv.paidAt!) return false;
    const roundTrip = 2 * (read.arrivedAt! - read.sentAt);
    return next.sentAt <= read.sentAt + roundTrip + 1;
  }

  /**
   * A late invoice (its sendInvoice never answered: the agent never had its reference) paid, and
   * before the next read at the contract's once-a-second cadence another request already in flight
   * before the payment (a late send, §4.1) opened a newer invoice on the terminal: the paid one is
   * no longer the terminal's current invoice, and without its reference nothing can read it (§9
   * A12). Not a defect of the agent; the watch reads at the contract's rate.
   */
  private hiddenByLateLanding(inv: ModelInvoice): boolean {
    const w = this.w;
    const log = w.wire.log.filter((e) => e.op === "sendInvoice" && e.terminal === inv.terminalId);
    const own = log.find((e) => e.arrivedAt === inv.sentAt);
    if (!own || (own.fault !== "hangLong" && own.fault !== "hang" && own.fault !== "lostAnswer")) return false;
    const newer = [...w.model.invoices.values()].filter((j) => j.terminalId === inv.terminalId && j.sentAt > inv.paidAt!).sort((a, b) => a.sentAt - b.sentAt)[0];
    if (!newer || newer.sentAt - inv.paidAt! > w.settings.pollIntervalMs + 100) return false;
    const by = log.find((e) => e.arrivedAt === newer.sentAt);
    return by !== undefined && by.sentAt < inv.paidAt!;
  }

  /** Deadline-driven parks must come near the TRUE deadline (a wall-clock step must not move it). */
  private onAlarm(code: string, flowId: string | undefined): void {
    if ((code !== "settlement-parked" && code !== "dispenser-unreachable") || !flowId) return;
    const w = this.w;
    const inv = this.latestInvoice(flowId);
    if (!inv || inv.status !== "RESERVED" || inv.lapseAt === undefined) return;
    const left = inv.lapseAt - w.clock.mono;
    const plausible = w.settings.commitSafetyMarginS * 1000 + w.settings.reservationWaitMs + 10_000;
    if (left > plausible) w.violate("parked-before-deadline", `${flowId} parked (${code}) with ${Math.round(left / 1000)} s of its reservation left`);
  }

  private onAuthorized(tx: Tx, issued: number): void {
    const stoppedAt = this.w.stopped.get(tx.point);
    if (stoppedAt !== undefined && issued > stoppedAt) this.w.violate("authorized-while-stopped", `point ${tx.point} authorized (${tx.id}) after a technician stopped it`);
  }

  private onMetered(tx: Tx): void {
    if (this.flaggedTx.has(tx.id)) return;
    const last = this.latestInvoice(tx.id);
    if (last && last.status === "RESERVED") return;
    if (this.w.alarmedFlow(tx.id)) return;
    if (last && this.lateSupersede(last)) return; // judged again at the next metering, and by money()
    this.flaggedTx.add(tx.id);
    const code = last?.cause === "lapsed" ? "delivered-past-lapse" : last?.status === "PAID" ? "delivered-after-settlement" : "delivered-without-reservation";
    this.w.violate(code, `point ${tx.point} metered ${tx.milli} on ${tx.id} while its invoice is ${last?.status ?? "missing"}${last?.cause ? ` (${last.cause})` : ""}, no alarm`);
  }

  /**
   * A sendInvoice of the flow's processed later than any wait (§4.1 sets no bound: hangLong) made
   * `inv` and superseded the invoice the pump runs on (§6.4). Nothing can see that before a read:
   * the flow's reservation watch reads once per 5 poll intervals, so metering goes on that long
   * (plus a round trip) — after it the flow must have stopped and alarmed.
   */
  private lateSupersede(inv: ModelInvoice): boolean {
    const w = this.w;
    const created = w.wire.log.find((e) => e.op === "sendInvoice" && e.arrivedAt === inv.sentAt && e.ref !== undefined && flowOfRef(e.ref) === inv.clientInvoiceId);
    if (!created || created.arrivedAt! - created.sentAt <= 2 * w.settings.glaseCallTimeoutMs) return false;
    return w.clock.mono - inv.sentAt <= 5 * w.settings.pollIntervalMs + 2000;
  }

  private latestInvoice(flowId: string): ModelInvoice | undefined {
    return this.w.model.invoicesOf(flowId).sort((a, b) => b.sentAt - a.sentAt)[0];
  }

  /** After every command. */
  step(): void {
    const w = this.w;
    const perFlow = new Map<string, number>();
    for (const r of w.releases) perFlow.set(r.flowId, (perFlow.get(r.flowId) ?? 0) + 1);
    for (const r of w.releases) {
      if (!r.paidAtGlase) w.violateOnce(`release-before-paid:${r.flowId}`, "release-before-paid", `product released for ${r.flowId} while its invoice is not PAID`);
      if ((perFlow.get(r.flowId) ?? 0) > 1) w.violateOnce(`release-twice:${r.flowId}`, "released-twice", `product released ${perFlow.get(r.flowId)} times for ${r.flowId}`);
    }
    for (const inv of w.model.invoices.values()) {
      const cid = inv.clientInvoiceId;
      if (!cid) continue;
      if (inv.status === "RESERVED" && w.flows.get(cid)?.finished && !w.alarmedFlow(cid)) {
        w.violateOnce(`left-open:${inv.ref}`, "reservation-left-open", `${inv.ref} is RESERVED but flow ${cid} finished (${w.flows.get(cid)?.outcome}) without an alarm`);
      }
      const tx = w.board.txs.get(cid);
      if (inv.status === "PAID" && inv.paidBy === "commit" && inv.paidMinor! > Math.min(tx?.amountMinor ?? 0, tx?.limitMinor ?? 0)) {
        w.violateOnce(`overcharge:${inv.ref}`, "overcharged", `${cid} committed ${inv.paidMinor} but the board metered ${tx?.amountMinor ?? 0} (limit ${tx?.limitMinor})`);
      }
    }
  }

  /** Once the world is quiet. final = every customer left and every fault healed. */
  quiescent(quiet: boolean, final: boolean): void {
    const w = this.w;
    if (!quiet) w.violateOnce("never-ends", "flow-never-ends", `not quiet after the horizon: ${w.engine?.snapshot().flows.filter((f) => !f.finished && !f.parked).map((f) => `${f.flowId}:${f.state}`).join(", ")}`);
    this.parkedAlarms();
    this.refunds();
    this.reconciliations();
    this.callRates();
    if (final) {
      this.money();
      judgeSales(w, w.engine?.snapshot().alarms ?? [], w.engine?.snapshot().flows ?? []);
    }
  }

  /** Every parked flow has an alarm in the CURRENT engine (a restart must raise it again); no flow vanished. */
  parkedAlarms(): void {
    const w = this.w;
    const engine = w.engine;
    if (!engine) return;
    const snap = engine.snapshot();
    const live = new Set(snap.flows.map((f) => f.flowId));
    for (const f of snap.flows) {
      if (f.parked && !w.alarms.some((a) => a.gen === w.gen.id && a.alarm.flowId === f.flowId)) {
        w.violateOnce(`parked-silent:${w.gen.id}:${f.flowId}`, "parked-without-alarm", `flow ${f.flowId} is parked (${f.state}) with no alarm in this engine`);
      }
    }
    for (const f of w.flows.values()) if (!f.finished && !live.has(f.flowId)) w.violateOnce(`lost:${f.flowId}`, "flow-lost", `flow ${f.flowId} (${f.state}) vanished after a restart`);
  }

  private money(): void {
    const w = this.w;
    for (const tx of w.board.txs.values()) {
      const invs = w.model.invoicesOf(tx.id);
      if (invs.some((i) => i.cause === "reversed")) continue; // already a violation of its own
      const charged = invs.filter((i) => i.status === "PAID").reduce((a, i) => a + i.paidMinor!, 0);
      const due = Math.min(tx.amountMinor, tx.limitMinor);
      const alarmed = w.alarmedFlow(tx.id);
      if (charged === due) {
        if (tx.amountMinor > tx.limitMinor && !alarmed) w.violateOnce(`overrun:${tx.id}`, "overrun-silent", `${tx.id} metered ${tx.amountMinor} over the limit ${tx.limitMinor}, no alarm`);
      } else if (!(charged === 0 && alarmed)) {
        // Settled before the sale ended on the board: the agent did not wait for the final figure.
        const settledAt = w.wire.log.find((e) => (e.op === "updateInvoice" || e.op === "commitReservation") && e.ref !== undefined && flowOfRef(e.ref) === tx.id)?.sentAt;
        // Settling the known figure is all that is left when the board cannot be reached at the commit
        // deadline (the reservation would lapse otherwise) — with the alarm that says so.
        const boardGone = settledAt !== undefined && w.board.linkDownDuring(settledAt - 2000, settledAt) && w.alarms.some((a) => a.alarm.flowId === tx.id && a.alarm.code === "delivery-unfinished");
        if (boardGone && charged > 0 && charged < due) continue;
        const early = charged > 0 && settledAt !== undefined && settledAt < (tx.endedAt ?? Infinity);
        const canceledEarly = charged === 0 && invs.some((i) => i.cause === "merchant" && i.endedAt! < (tx.endedAt ?? Infinity));
        const code = early ? "committed-while-delivering" : canceledEarly ? "canceled-while-authorized" : "charged-wrong-amount";
        w.violateOnce(`charged:${tx.id}`, code, `${tx.id} charged ${charged}, metered ${tx.amountMinor} (limit ${tx.limitMinor})${alarmed ? " (alarmed)" : ", no alarm"}`);
      }
    }
    for (const inv of w.model.invoices.values()) {
      if (inv.paidBy === "commit" && inv.clientInvoiceId && !w.board.txs.has(inv.clientInvoiceId)) w.violateOnce(`nodelivery:${inv.ref}`, "charged-without-delivery", `${inv.ref} committed without any sale on the board`);
      if (inv.cause === "lapsed" && inv.reservedAt !== undefined && inv.clientInvoiceId && !w.alarmedFlow(inv.clientInvoiceId)) {
        w.violateOnce(`lapsed:${inv.ref}`, "reservation-lapsed-silently", `${inv.ref} of ${inv.clientInvoiceId} lapsed while RESERVED, no alarm`);
      }
      const f = inv.clientInvoiceId ? w.flows.get(inv.clientInvoiceId) : undefined;
      // (A late invoice paid after its flow ended is the terminal's lost-send watch's to tell: paid-unclaimed with its refund line.)
      const toldLate = inv.ersReference !== undefined && w.alarms.some((a) => a.alarm.code === "paid-unclaimed" && a.alarm.message.includes(`ctl refund ${inv.ersReference} `));
      if (f?.kind === "pos" && inv.status === "PAID" && !w.releases.some((r) => r.flowId === f.flowId) && !w.alarmedFlow(f.flowId) && !toldLate) {
        w.violateOnce(`unreleased:${f.flowId}`, "paid-not-released", `${f.flowId} PAID ${inv.paidMinor} but nothing was released, no alarm`);
      }
    }
  }

  private refunds(): void {
    const w = this.w;
    const byPayment = new Map<string, number>();
    for (const r of w.model.refunds) byPayment.set(r.paymentErs, (byPayment.get(r.paymentErs) ?? 0) + r.amountMinor);
    for (const [ers, sum] of byPayment) {
      const paid = [...w.model.invoices.values()].find((i) => i.ersReference === ers)?.paidMinor ?? 0;
      if (sum > paid) w.violateOnce(`refund-sum:${ers}`, "refunds-exceed-payment", `refunds ${sum} > payment ${paid} on ${ers}`);
    }
    for (const t of w.tech) {
      if (t.kind !== "refund" || !t.outcome) continue;
      if (t.outcome.ok) {
        // The reference must be THIS refund's (a row of another refund in a report is not proof).
        const ref = String(t.outcome.value?.refundErsReference ?? "");
        const flowId = String(t.outcome.value?.flowId ?? "");
        if (!w.model.refunds.some((r) => r.ersReference === ref && r.clientInvoiceId === flowId)) {
          w.violateOnce(`refund-phantom:${ref}`, "refund-phantom", `technician told refund ${flowId} succeeded as ${ref}; Glase has no such refund of that flow`);
        }
      } else if (t.outcome.error?.code === "GLASE_RESULT") {
        const flowId = String(t.outcome.error.context?.flowId ?? "");
        if (w.model.refunds.some((r) => r.clientInvoiceId === flowId)) w.violateOnce(`refund-misreported:${flowId}`, "refund-reported-failed", `technician told refund ${flowId} failed, but Glase applied it`);
      }
    }
  }

  private reconciliations(): void {
    const w = this.w;
    for (const t of w.tech) {
      if (t.kind !== "reconciliation" || !t.outcome?.ok) continue;
      const flowId = String(t.outcome.value?.flowId);
      const first = w.wire.log.find((e) => e.op === "markTransactionPeriod" && e.applied && e.code === 0 && e.ref !== undefined && flowOfRef(e.ref) === flowId);
      const period = first ? [...w.model.periods.values()].find((p) => p.markRef === first.ref) : undefined;
      const got = t.outcome.value?.transactionPeriodId;
      if (!period || got !== period.id) {
        w.violateOnce(`recon:${flowId}`, "reconciliation-wrong-period", `${flowId} reported period ${String(got)} but the shift was closed as ${period?.id ?? "?"}`);
      } else if (!(w.wire.reports.get(period.id) ?? []).includes(String(t.outcome.value?.report))) {
        w.violateOnce(`recon-report:${flowId}`, "reconciliation-wrong-report", `${flowId}'s report is not Glase's report of ${period.id}`);
      }
    }
  }

  /** Contract: poll once a second; retries spaced. A flow hammering Glase is a bug. */
  private callRates(): void {
    const w = this.w;
    const times = new Map<string, number[]>();
    for (const e of w.wire.log) if (e.ref) times.set(flowOfRef(e.ref), [...(times.get(flowOfRef(e.ref)) ?? []), e.sentAt]);
    for (const [flow, ts] of times) {
      for (let i = 25; i < ts.length; i++) {
        if (ts[i]! - ts[i - 25]! < 10_000) {
          w.violateOnce(`storm:${flow}`, "call-storm", `flow ${flow} sent 26 requests within ${ts[i]! - ts[i - 25]!} ms`);
          break;
        }
      }
    }
  }

  /** Every request that reached Glase and changes something had its intent journaled first (durably). */
  async durability(compactedBefore: number): Promise<void> {
    const w = this.w;
    const rows = await new Promise<{ flow_id: string; effects: string }[]>((resolve, reject) => {
      const db = new sqlite3.Database(w.path, sqlite3.OPEN_READONLY, (err) => err && reject(err));
      db.all("SELECT flow_id, effects FROM steps", (err, r) => (db.close(), err ? reject(err) : resolve(r as { flow_id: string; effects: string }[])));
    });
    const flowsInJournal = new Set(rows.map((r) => r.flow_id));
    const refs = new Set<string>();
    for (const r of rows) for (const m of r.effects.matchAll(/"ref":"([^"]+)"/g)) refs.add(m[1]!);
    for (const e of w.wire.log) {
      if (!e.ref || !MUTATING.has(e.op) || e.arrivedAt === undefined || refs.has(e.ref)) continue;
      const flow = flowOfRef(e.ref);
      const f = w.flows.get(flow);
      if (!flowsInJournal.has(flow) && f?.finished && f.updatedAt < compactedBefore) continue; // compacted away, legitimately
      w.violateOnce(`durable:${e.ref}`, "journal-lost-step", `${e.op} ${e.ref} reached Glase but its intent is not in the journal`);
    }
  }
}
