// The MDB cashless driver: the agent is the vending machine's cashless device, through a Qibixx
// MDB adapter (protocol.ts), and sells each vend through the kiosk contract's host:
//
//   c,STATUS,VEND,<amount>,<item> → requestSale (rows from the product table)
//   sale paid                     → C,VEND,<amount> (approve)
//   c,VEND,SUCCESS                → reportRelease delivered (receipt)
//   c,ERR,VEND 3                  → reportRelease failed (the host refunds, once)
//   customer cancel / timeout     → cancelSale + C,STOP (deny); paid anyway → failed → refund
//   machine reset after approval  → reportRelease unknown (alarm; a technician decides)
//
// Every step is written to the DriverStore before it is acted on (vend-store.ts), and all work
// runs one step at a time in arrival order (adapter lines, host events, timers), so link losses,
// garbage, a machine that resets mid-vend and agent restarts lose nothing and never approve twice.
// Its parts: adapter-lines.ts (what each adapter line means for the vend), adapter-link.ts (the
// connection over time), vend-book.ts (the open vends and what follows from a record alone).
import type { Scheduler } from "../../base/clock.ts";
import { AgentError, isAgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";
import type { CancelReason, KioskHost, KioskSale, ReleaseResult, Unsubscribe } from "../../contracts/kiosk.ts";
import type { MdbSettings } from "./config.ts";
import type { MdbConnector } from "./link.ts";
import { AdapterLink, type MdbLinkState } from "./adapter-link.ts";
import { command } from "./protocol.ts";
import { AdapterLines } from "./adapter-lines.ts";
import { VendBook } from "./vend-book.ts";
import type { VendRecord } from "./vend-store.ts";
import { bootInstant } from "./boot-clock.ts";

export type { MdbLinkState } from "./adapter-link.ts";

export interface MdbDeps {
  readonly host: KioskHost;
  readonly store: DriverStore;
  readonly logger: Logger;
  /** Payment deadlines. Default: the system clock. */
  readonly scheduler?: Scheduler;
}

export interface MdbStats {
  readonly linkUp: boolean;
  readonly readerEnabled: boolean;
  readonly badLines: number;
  readonly vends: number;
  readonly reconnects: number;
}

const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export class MdbCashlessDriver {
  private readonly log: Logger;
  private readonly scheduler: Scheduler;
  private readonly book: VendBook;
  private readonly adapter: AdapterLink;
  /** The approval this process wrote and the machine has not answered yet. */
  private justApproved: number | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private unsubscribe: Unsubscribe | undefined;
  private readerEnabled = false;
  private counters = { vends: 0 };
  private readonly lines: AdapterLines;
  private denyAtLinkUp = false;
  /** The last expected refusal logged (a closed/busy point): told once, not on every vend request. */
  private lastRefusal: string | undefined;

  constructor(
    private readonly s: MdbSettings,
    connector: MdbConnector,
    private readonly deps: MdbDeps,
  ) {
    this.log = deps.logger;
    this.scheduler = deps.scheduler ?? systemScheduler;
    this.book = new VendBook(s, deps.store, this.scheduler);
    this.lines = new AdapterLines(s, this.scheduler, this.log, {
      run: (step) => this.run(step),
      active: () => this.book.active(),
      startVend: (amountMinor, product) => this.startVend(amountMinor, product),
      abandon: (rec, why, reason, deny) => this.abandon(rec, why, reason, deny),
      endApproved: (a, why) => this.endApproved(a, why),
      report: (rec, result) => this.report(rec, result),
      send: (line) => this.send(line),
      setReaderEnabled: (enabled) => {
        this.readerEnabled = enabled;
      },
      justApproved: () => this.justApproved,
    });
    this.adapter = new AdapterLink(s, connector, deps.logger, {
      onLine: (line) => this.lines.onLine(line),
      onUp: () => this.onLinkUp(),
      onLost: () => {
        this.readerEnabled = false;
      },
    });
  }

  /** Resumes what the store remembers, listens to the host, then connects (and keeps reconnecting). */
  async start(): Promise<void> {
    this.unsubscribe = this.deps.host.subscribe((e) => this.run(() => this.onSale(e.sale)), { points: [this.s.point] });
    this.run(() => this.resume());
    await this.chain;
    await this.adapter.connect();
  }

  stats(): MdbStats {
    return { linkUp: this.adapter.conn !== undefined, readerEnabled: this.readerEnabled, ...this.lines.counters, ...this.counters, reconnects: this.adapter.reconnects };
  }

  /** The adapter link's state now and at every change (see AdapterLink.onLink). */
  onLink(listener: (s: MdbLinkState) => void): () => void {
    return this.adapter.onLink(listener);
  }

  /** Resolves once the adapter link is up (or rejects after timeoutMs). */
  waitForLink(timeoutMs: number): Promise<void> {
    return this.adapter.waitForLink(timeoutMs);
  }

  /** Settles when everything queued so far was handled (tests, orderly shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.adapter.stop();
    for (const cancel of this.book.deadlines.values()) cancel();
    await this.chain;
    await this.adapter.release();
  }

  // ---- serialised work ----------------------------------------------------------------------------

  private run(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => this.log.error("mdb_step_failed", { err }));
  }

  private send(line: string): void {
    this.adapter.send(line);
  }

  /** The link is up: the reader enabled, a deny owed sent, approvals decided while it was down sent if the machine still waits. */
  private onLinkUp(): void {
    this.send(command.enable());
    if (this.denyAtLinkUp) this.send(command.deny());
    this.denyAtLinkUp = false;
    this.run(async () => {
      for (const id of [...this.book.unsent]) {
        const r = this.book.records.get(id);
        this.book.unsent.delete(id);
        if (r?.phase !== "approved") continue;
        if (this.book.pastPaymentDeadline(r)) await this.endApproved(r, "the link came back after the machine's payment deadline");
        else await this.sendApproval(r);
      }
    });
  }

  // ---- the vend ----------------------------------------------------------------------------------

  private async startVend(amountMinor: number, product: string): Promise<void> {
    this.counters.vends++;
    if (this.s.maxAmountMinor !== undefined && amountMinor > this.s.maxAmountMinor) {
      this.log.warn("mdb_vend_above_maximum", { amountMinor, max: this.s.maxAmountMinor, product });
      return this.send(command.deny());
    }
    const vendId = await this.book.vends.nextId();
    const rec = await this.book.save({
      vendId,
      amountMinor,
      product,
      phase: "requesting",
      at: this.scheduler.now(),
      boot: bootInstant(),
      key: `${this.s.id}:${this.book.epoch}:vend-${vendId}`,
      reference: `${this.s.id}-vend-${this.book.epoch}-${vendId}`,
    });
    this.armDeadline(rec);
    await this.request(rec);
  }

  private async request(rec: VendRecord): Promise<void> {
    let sale: KioskSale;
    try {
      sale = await this.deps.host.requestSale({
        point: this.s.point,
        amountMinor: rec.amountMinor,
        currency: this.s.currency,
        rows: this.book.rows(rec),
        reference: rec.reference ?? `${this.s.id}-vend-${rec.vendId}`,
        idempotencyKey: this.book.key(rec),
      });
    } catch (err) {
      const conflict = isAgentError(err, "CONFLICT") ? err.context?.conflict : undefined;
      if (conflict === "point-unavailable" || conflict === "point-busy") {
        // Expected (the agent is stopping, the point is stopped or busy): the vend is denied; one
        // line when the reason changes, not a warning with a stack on every vend request.
        const reason = (err as AgentError).message;
        if (reason !== this.lastRefusal) this.log.info("mdb_sale_refused", { vendId: rec.vendId, conflict, reason });
        this.lastRefusal = reason;
      } else {
        this.log.warn("mdb_sale_refused", { vendId: rec.vendId, code: (err as AgentError).code, conflict, err });
      }
      this.send(command.deny());
      const made = await this.deps.host.findSale({ idempotencyKey: this.book.key(rec) }).catch(() => undefined);
      if (!made) return this.book.forget(rec);
      return this.abandon({ ...rec, saleId: made.saleId }, "the sale could not be confirmed", "controller", false);
    }
    if (sale.release !== undefined || !["starting", "waiting", "paid"].includes(sale.state)) {
      // The key answered with a sale that is already over: not this customer's. Deny, never hang.
      this.log.error("mdb_vend_key_is_an_old_sale", { vendId: rec.vendId, key: this.book.key(rec), saleId: sale.saleId, state: sale.state });
      if (this.adapter.conn) this.send(command.deny());
      else this.denyAtLinkUp = true; // resumed before the link is up: the machine may still wait
      return this.book.forget(rec);
      return this.book.forget(rec);
    }
    await this.onSaleState(await this.book.save({ ...rec, phase: "waiting", saleId: sale.saleId }), sale);
  }

  private armDeadline(r: VendRecord): void {
    // A vend of a previous process: timed on the boot clock (pastPaymentDeadline says why).
    const left = Math.max(0, this.s.paymentTimeoutMs - this.book.elapsedSince(r));
    this.book.deadlines.set(
      r.vendId,
      this.scheduler.setTimer(left, () =>
        this.run(async () => {
          const now = this.book.records.get(r.vendId);
          if (now?.phase === "waiting") await this.abandon(now, `not paid within ${this.s.paymentTimeoutMs / 1000} s`, "controller", true);
        }),
      ),
    );
  }

  private async onSale(sale: KioskSale): Promise<void> {
    const rec = [...this.book.records.values()].find((r) => r.saleId === sale.saleId);
    if (rec) await this.onSaleState(rec, sale);
  }

  private async onSaleState(rec: VendRecord, sale: KioskSale): Promise<void> {
    switch (sale.state) {
      case "paid":
        if (rec.phase === "waiting") return this.approve(rec);
        if (rec.phase === "abandoned") return this.report(rec, { outcome: "failed", reason: `paid after the vend was given up: ${rec.why ?? "machine stopped waiting"}` });
        return;
      case "cancelled":
        if (rec.phase === "waiting") this.send(command.deny());
        if (rec.phase === "waiting" || rec.phase === "abandoned") await this.book.forget(rec);
        return;
      case "delivered":
      case "refunding":
      case "refunded":
      case "attention":
        // The host has the result (attention without one: a late result may still come from the machine).
        if (rec.phase === "result" || sale.release !== undefined) {
          if (rec.phase === "waiting") this.send(command.deny()); // the machine still waits for an answer
          await this.book.forget(rec);
        }
        return;
      case "starting":
      case "waiting":
        if (rec.phase === "abandoned" && sale.cancelRequested === undefined) await this.cancel(rec, "controller");
        return;
    }
  }

  private async approve(rec: VendRecord): Promise<void> {
    // Paid after the machine stopped waiting (e.g. while the agent was down): a C,VEND now would
    // vend whatever the next customer selected on this customer's money. Give it up → failed → refund.
    if (this.book.pastPaymentDeadline(rec)) return this.abandon(rec, `paid after the machine's payment deadline (${this.s.paymentTimeoutMs / 1000} s)`, "controller", true);
    this.book.deadlines.get(rec.vendId)?.();
    await this.sendApproval({ ...rec, phase: "approved" });
  }

  /**
   * Stored BEFORE C,VEND is written, so a restart never approves twice: approveSent true ("may have
   * gone out") when the link is up, false when it is down (sent when it is back, in this run only).
   * A write that fails is NOT taken as proof that nothing went out (part of the line may have):
   * the machine's answer, or the host's release deadline, settles it.
   */
  private async sendApproval(rec: VendRecord): Promise<void> {
    const conn = this.adapter.conn;
    const r = await this.book.save({ ...rec, approveSent: conn !== undefined });
    if (!conn || this.adapter.conn !== conn) {
      if (r.approveSent) await this.book.save({ ...r, approveSent: false }); // the link went while saving: nothing written
      this.book.unsent.add(r.vendId);
      return this.log.warn("mdb_approval_waits_for_link", { vendId: r.vendId });
    }
    this.justApproved = r.vendId;
    await conn.write(command.approve(r.amountMinor, this.s.amountFormat)).catch((err: unknown) => this.log.warn("mdb_approval_write_failed", { vendId: r.vendId, err }));
  }

  /** The approved vend ended without a result: refunded if C,VEND certainly never went out. */
  private endApproved(a: VendRecord, why: string): Promise<void> {
    if (a.approveSent === false) return this.report(a, { outcome: "failed", reason: `${why}; the approval was never sent to the machine` });
    return this.report(a, { outcome: "unknown", reason: why });
  }

  private async abandon(rec: VendRecord, why: string, reason: CancelReason, deny: boolean): Promise<void> {
    this.book.deadlines.get(rec.vendId)?.();
    const r = await this.book.save({ ...rec, phase: "abandoned", why });
    this.log.info("mdb_vend_abandoned", { vendId: r.vendId, why });
    if (deny) this.send(command.deny());
    await this.cancel(r, reason);
  }

  private async cancel(rec: VendRecord, reason: CancelReason): Promise<void> {
    if (rec.saleId === undefined) return this.book.forget(rec);
    let sale: KioskSale | undefined;
    try {
      sale = await this.deps.host.cancelSale(rec.saleId!, reason);
    } catch (err) {
      if (!isAgentError(err, "CONFLICT") && !isAgentError(err, "NOT_FOUND")) throw err;
      sale = await this.deps.host.getSale(rec.saleId!); // paid meanwhile: onSaleState reports it failed
    }
    if (sale) await this.onSaleState(rec, sale);
    else await this.book.forget(rec);
  }

  private async report(rec: VendRecord, result: ReleaseResult): Promise<void> {
    if (this.justApproved === rec.vendId) this.justApproved = undefined;
    const r = await this.book.save({ ...rec, phase: "result", result });
    try {
      await this.deps.host.reportRelease(r.saleId!, result);
    } catch (err) {
      if (!isAgentError(err, "CONFLICT") && !isAgentError(err, "NOT_FOUND")) {
        this.log.warn("mdb_report_retry_later", { vendId: r.vendId, err });
        return; // kept: reported again on the next start
      }
      this.log.error("mdb_report_refused", { vendId: r.vendId, outcome: result.outcome, err });
    }
    await this.book.forget(r);
  }

  // ---- restart -------------------------------------------------------------------------------------

  private async resume(): Promise<void> {
    for (const r of await this.book.vends.all()) {
      this.book.records.set(r.vendId, r);
      this.log.info("mdb_vend_resumed", { vendId: r.vendId, phase: r.phase });
      if (r.phase === "requesting") {
        this.armDeadline(r);
        await this.request(r); // the same idempotency key: the same sale
        continue;
      }
      if (r.phase === "result") {
        await this.report(r, r.result!);
        continue;
      }
      const sale = await this.deps.host.getSale(r.saleId!);
      if (!sale) {
        this.log.warn("mdb_vend_sale_unknown", { vendId: r.vendId, saleId: r.saleId });
        await this.book.forget(r);
        continue;
      }
      if (r.phase === "waiting") this.armDeadline(r);
      // approved: C,VEND may or may not have gone out; never re-sent — the machine's answer (or its
      // timeout, VEND 1) or the host's release deadline settles it.
      await this.onSaleState(r, sale);
    }
  }


}
