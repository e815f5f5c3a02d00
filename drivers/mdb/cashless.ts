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
import type { Scheduler } from "../../base/clock.ts";
import { AgentError, isAgentError } from "../../base/errors.ts";
import type { InvoiceRow } from "../../contracts/glase/types.ts";
import type { Logger } from "../../base/log.ts";
import { randomBytes } from "node:crypto";
import type { DriverStore } from "../../contracts/driver-store.ts";
import type { CancelReason, KioskHost, KioskSale, ReleaseResult, Unsubscribe } from "../../contracts/kiosk.ts";
import type { MdbSettings } from "./config.ts";
import type { MdbConnection, MdbConnector } from "./link.ts";
import { command, parseAdapterLine, type AdapterLine } from "./protocol.ts";
import { VendStore, type VendRecord } from "./vend-store.ts";
import { bootInstant, sinceOnThisBoot } from "./boot-clock.ts";

export interface MdbDeps {
  readonly host: KioskHost;
  readonly store: DriverStore;
  readonly logger: Logger;
  /** Payment deadlines. Default: the system clock. */
  readonly scheduler?: Scheduler;
}

/** The adapter link as the station's device health shows it (degraded: why, while reconnecting). */
export interface MdbLinkState {
  readonly up: boolean;
  readonly detail?: string;
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
  private readonly vends: VendStore;
  private readonly records = new Map<number, VendRecord>();
  private readonly deadlines = new Map<number, () => void>();
  /** Approvals decided while the link was down: sent when it is back if the machine still waits (never after a restart). */
  private readonly unsent = new Set<number>();
  /** The approval this process wrote and the machine has not answered yet. */
  private justApproved: number | undefined;
  private chain: Promise<void> = Promise.resolve();
  private conn: MdbConnection | undefined;
  private generation = 0;
  private closed = false;
  private backoff: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private unsubscribe: Unsubscribe | undefined;
  private readerEnabled = false;
  private counters = { badLines: 0, vends: 0, reconnects: 0 };
  private lastBadLog = -Infinity;
  private readonly linkWaiters = new Set<() => void>();
  private denyAtLinkUp = false;
  /**
   * New on every start: part of each new vend's idempotency key and reference, so a vend id that
   * restarts at 1 (drivers.sqlite lost, or restored from an older copy than the journal) is a new
   * sale, never the replay of one the journal still keeps (its retention is 90 days).
   */
  private readonly epoch = randomBytes(5).toString("hex");
  private readonly linkListeners = new Set<(s: MdbLinkState) => void>();
  private link: MdbLinkState = { up: false, detail: "MDB adapter not connected yet" };
  /** The last expected refusal logged (a closed/busy point): told once, not on every vend request. */
  private lastRefusal: string | undefined;

  constructor(
    private readonly s: MdbSettings,
    private readonly connector: MdbConnector,
    private readonly deps: MdbDeps,
  ) {
    this.log = deps.logger;
    this.scheduler = deps.scheduler ?? systemScheduler;
    this.vends = new VendStore(deps.store);
    this.backoff = s.reconnectInitialMs;
  }

  /** Resumes what the store remembers, listens to the host, then connects (and keeps reconnecting). */
  async start(): Promise<void> {
    this.unsubscribe = this.deps.host.subscribe((e) => this.run(() => this.onSale(e.sale)), { points: [this.s.point] });
    this.run(() => this.resume());
    await this.chain;
    await this.connect();
  }

  stats(): MdbStats {
    return { linkUp: this.conn !== undefined, readerEnabled: this.readerEnabled, ...this.counters };
  }

  /**
   * The adapter link's state now and at every change (up, or lost with the reason). The station
   * turns it into device health (ctl status, ctl points) and a condition alarm (device-link-down).
   */
  onLink(listener: (s: MdbLinkState) => void): () => void {
    this.linkListeners.add(listener);
    listener(this.link);
    return () => this.linkListeners.delete(listener);
  }

  private setLink(next: MdbLinkState): void {
    if (this.closed || (next.up === this.link.up && next.detail === this.link.detail)) return;
    this.link = next;
    for (const l of [...this.linkListeners]) l(next);
  }

  /** Resolves once the adapter link is up (or rejects after timeoutMs). */
  waitForLink(timeoutMs: number): Promise<void> {
    if (this.conn) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => (clearTimeout(t), this.linkWaiters.delete(done), resolve());
      const t = setTimeout(() => (this.linkWaiters.delete(done), reject(new AgentError("DEVICE_DISCONNECTED", `MDB adapter link not up within ${timeoutMs} ms`))), timeoutMs);
      this.linkWaiters.add(done);
    });
  }

  /** Settles when everything queued so far was handled (tests, orderly shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    clearTimeout(this.reconnectTimer);
    for (const cancel of this.deadlines.values()) cancel();
    this.generation++;
    await this.chain;
    const conn = this.conn;
    this.conn = undefined;
    await conn?.close();
  }

  // ---- serialised work ----------------------------------------------------------------------------

  private run(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => this.log.error("mdb_step_failed", { err }));
  }

  private active(): VendRecord | undefined {
    return [...this.records.values()].find((r) => r.phase === "requesting" || r.phase === "waiting" || r.phase === "approved");
  }

  private async save(r: VendRecord): Promise<VendRecord> {
    await this.vends.put(r);
    this.records.set(r.vendId, r);
    return r;
  }

  private async forget(r: VendRecord): Promise<void> {
    this.deadlines.get(r.vendId)?.();
    this.deadlines.delete(r.vendId);
    this.unsent.delete(r.vendId);
    await this.vends.delete(r);
    this.records.delete(r.vendId);
  }

  private send(line: string): void {
    const conn = this.conn;
    if (!conn) return;
    conn.write(line).catch((err: unknown) => this.log.warn("mdb_write_failed", { line: line.trim(), err }));
  }

  // ---- the vend ----------------------------------------------------------------------------------

  private async startVend(amountMinor: number, product: string): Promise<void> {
    this.counters.vends++;
    if (this.s.maxAmountMinor !== undefined && amountMinor > this.s.maxAmountMinor) {
      this.log.warn("mdb_vend_above_maximum", { amountMinor, max: this.s.maxAmountMinor, product });
      return this.send(command.deny());
    }
    const vendId = await this.vends.nextId();
    const rec = await this.save({
      vendId,
      amountMinor,
      product,
      phase: "requesting",
      at: this.scheduler.now(),
      boot: bootInstant(),
      key: `${this.s.id}:${this.epoch}:vend-${vendId}`,
      reference: `${this.s.id}-vend-${this.epoch}-${vendId}`,
    });
    this.armDeadline(rec);
    await this.request(rec);
  }

  private key(r: VendRecord): string {
    return r.key ?? `${this.s.id}:vend-${r.vendId}`;
  }

  private async request(rec: VendRecord): Promise<void> {
    let sale: KioskSale;
    try {
      sale = await this.deps.host.requestSale({
        point: this.s.point,
        amountMinor: rec.amountMinor,
        currency: this.s.currency,
        rows: this.rows(rec),
        reference: rec.reference ?? `${this.s.id}-vend-${rec.vendId}`,
        idempotencyKey: this.key(rec),
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
      const made = await this.deps.host.findSale({ idempotencyKey: this.key(rec) }).catch(() => undefined);
      if (!made) return this.forget(rec);
      return this.abandon({ ...rec, saleId: made.saleId }, "the sale could not be confirmed", "controller", false);
    }
    if (sale.release !== undefined || !["starting", "waiting", "paid"].includes(sale.state)) {
      // The key answered with a sale that is already over: not this customer's. Deny, never hang.
      this.log.error("mdb_vend_key_is_an_old_sale", { vendId: rec.vendId, key: this.key(rec), saleId: sale.saleId, state: sale.state });
      if (this.conn) this.send(command.deny());
      else this.denyAtLinkUp = true; // resumed before the link is up: the machine may still wait
      return this.forget(rec);
      return this.forget(rec);
    }
    await this.onSaleState(await this.save({ ...rec, phase: "waiting", saleId: sale.saleId }), sale);
  }

  private rows(r: VendRecord): InvoiceRow[] {
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

  private armDeadline(r: VendRecord): void {
    // A vend of a previous process: timed on the boot clock (pastPaymentDeadline says why).
    const left = Math.max(0, this.s.paymentTimeoutMs - this.elapsedSince(r));
    this.deadlines.set(
      r.vendId,
      this.scheduler.setTimer(left, () =>
        this.run(async () => {
          const now = this.records.get(r.vendId);
          if (now?.phase === "waiting") await this.abandon(now, `not paid within ${this.s.paymentTimeoutMs / 1000} s`, "controller", true);
        }),
      ),
    );
  }

  private async onSale(sale: KioskSale): Promise<void> {
    const rec = [...this.records.values()].find((r) => r.saleId === sale.saleId);
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
        if (rec.phase === "waiting" || rec.phase === "abandoned") await this.forget(rec);
        return;
      case "delivered":
      case "refunding":
      case "refunded":
      case "attention":
        // The host has the result (attention without one: a late result may still come from the machine).
        if (rec.phase === "result" || sale.release !== undefined) {
          if (rec.phase === "waiting") this.send(command.deny()); // the machine still waits for an answer
          await this.forget(rec);
        }
        return;
      case "starting":
      case "waiting":
        if (rec.phase === "abandoned" && sale.cancelRequested === undefined) await this.cancel(rec, "controller");
        return;
    }
  }

  /**
   * The machine waits paymentTimeoutMs for our answer, then gives up (and may serve someone else).
   * A vend requested before this process started is timed on the kernel's boot clock: the wall
   * clock of a board without an RTC may come back behind after a power cut (fake-hwclock, NTP not
   * yet synced), so it is never believed across a restart; another boot (or a record without its
   * boot instant) is past the deadline — given up, refunded if paid (review 13-3 #1). Within a
   * run the scheduler's clock is monotonic.
   */
  private pastPaymentDeadline(rec: VendRecord): boolean {
    return this.elapsedSince(rec) >= this.s.paymentTimeoutMs;
  }

  /** How long ago a vend was requested; for one of a previous process the later of the boot clock and the wall clock (past is past), another boot is forever. */
  private elapsedSince(rec: VendRecord): number {
    if (rec.key?.includes(`:${this.epoch}:`)) return this.scheduler.now() - rec.at;
    const onBoot = sinceOnThisBoot(rec.boot);
    return onBoot === undefined ? Number.POSITIVE_INFINITY : Math.max(onBoot, this.scheduler.now() - rec.at);
  }

  private async approve(rec: VendRecord): Promise<void> {
    // Paid after the machine stopped waiting (e.g. while the agent was down): a C,VEND now would
    // vend whatever the next customer selected on this customer's money. Give it up → failed → refund.
    if (this.pastPaymentDeadline(rec)) return this.abandon(rec, `paid after the machine's payment deadline (${this.s.paymentTimeoutMs / 1000} s)`, "controller", true);
    this.deadlines.get(rec.vendId)?.();
    await this.sendApproval({ ...rec, phase: "approved" });
  }

  /**
   * Stored BEFORE C,VEND is written, so a restart never approves twice: approveSent true ("may have
   * gone out") when the link is up, false when it is down (sent when it is back, in this run only).
   * A write that fails is NOT taken as proof that nothing went out (part of the line may have):
   * the machine's answer, or the host's release deadline, settles it.
   */
  private async sendApproval(rec: VendRecord): Promise<void> {
    const conn = this.conn;
    const r = await this.save({ ...rec, approveSent: conn !== undefined });
    if (!conn || this.conn !== conn) {
      if (r.approveSent) await this.save({ ...r, approveSent: false }); // the link went while saving: nothing written
      this.unsent.add(r.vendId);
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
    this.deadlines.get(rec.vendId)?.();
    const r = await this.save({ ...rec, phase: "abandoned", why });
    this.log.info("mdb_vend_abandoned", { vendId: r.vendId, why });
    if (deny) this.send(command.deny());
    await this.cancel(r, reason);
  }

  private async cancel(rec: VendRecord, reason: CancelReason): Promise<void> {
    if (rec.saleId === undefined) return this.forget(rec);
    let sale: KioskSale | undefined;
    try {
      sale = await this.deps.host.cancelSale(rec.saleId!, reason);
    } catch (err) {
      if (!isAgentError(err, "CONFLICT") && !isAgentError(err, "NOT_FOUND")) throw err;
      sale = await this.deps.host.getSale(rec.saleId!); // paid meanwhile: onSaleState reports it failed
    }
    if (sale) await this.onSaleState(rec, sale);
    else await this.forget(rec);
  }

  private async report(rec: VendRecord, result: ReleaseResult): Promise<void> {
    if (this.justApproved === rec.vendId) this.justApproved = undefined;
    const r = await this.save({ ...rec, phase: "result", result });
    try {
      await this.deps.host.reportRelease(r.saleId!, result);
    } catch (err) {
      if (!isAgentError(err, "CONFLICT") && !isAgentError(err, "NOT_FOUND")) {
        this.log.warn("mdb_report_retry_later", { vendId: r.vendId, err });
        return; // kept: reported again on the next start
      }
      this.log.error("mdb_report_refused", { vendId: r.vendId, outcome: result.outcome, err });
    }
    await this.forget(r);
  }

  // ---- adapter lines -------------------------------------------------------------------------------

  private onLine(raw: string): void {
    const parsed = parseAdapterLine(raw, this.s.amountFormat);
    if (!parsed.ok && raw.startsWith("c,STATUS,VEND,")) {
      // A customer waits at the machine for an answer we cannot give (e.g. the adapter writes
      // amounts in the other scale than amountFormat): deny at once, and say why, loudly.
      this.counters.badLines++;
      this.run(() => this.onUnreadableVend(raw.slice(0, 80), parsed.problem));
      return;
    }
    if (!parsed.ok) {
      this.counters.badLines++;
      if (this.scheduler.now() - this.lastBadLog >= 1000) {
        this.lastBadLog = this.scheduler.now();
        this.log.warn("mdb_bad_line", { problem: parsed.problem, line: raw.slice(0, 80), total: this.counters.badLines });
      }
      return;
    }
    this.run(() => this.onAdapter(parsed.line));
  }

  private async onAdapter(line: AdapterLine): Promise<void> {
    const a = this.active();
    switch (line.kind) {
      case "vend-request":
        if (a && a.phase !== "approved" && a.amountMinor === line.amountMinor && a.product === line.product) return; // repeated after a reconnect
        if (a?.phase === "waiting") await this.abandon(a, "the machine asked for another vend", "controller", false);
        if (a?.phase === "approved") await this.endApproved(a, "the machine started a new vend without a result for the approved one");
        return this.startVend(line.amountMinor, line.product);
      case "vend-success":
        if (a?.phase === "approved") return this.report(a, { outcome: "delivered" });
        return this.log.warn("mdb_stray_success", {});
      case "error":
        return this.onError(a, line.error, line.text);
      case "status":
        this.readerEnabled = line.status === "ENABLED" || line.status === "IDLE";
        if (line.status === "INACTIVE" || line.status === "DISABLED") {
          if (a?.phase === "waiting") return this.abandon(a, `the machine reset or disabled the reader (${line.status})`, "controller", false);
          if (a?.phase === "approved") return this.endApproved(a, `the machine reset mid-vend (${line.status})`);
        } else if (a?.phase === "waiting") {
          return this.abandon(a, `the machine ended the session (${line.status})`, "controller", false);
        } else if (a?.phase === "approved") {
          return this.endApproved(a, `the session ended (${line.status}) without a vend result`);
        }
        return;
      case "chatter":
        return;
    }
  }

  private async onUnreadableVend(line: string, problem: string): Promise<void> {
    const a = this.active();
    if (a?.phase === "waiting") await this.abandon(a, "the machine asked for another vend", "controller", false);
    if (a?.phase === "approved") await this.endApproved(a, "the machine started a new vend without a result for the approved one");
    this.log.error("mdb_vend_request_unreadable", { line, problem, amountFormat: this.s.amountFormat, hint: "denied (C,STOP); check mdb amountFormat against the adapter's scale factor and decimals" });
    this.send(command.deny());
  }

  private async onError(a: VendRecord | undefined, error: string, text: string): Promise<void> {
    if (error === "vend-failed" && a?.phase === "approved") return this.report(a, { outcome: "failed", reason: `the machine could not dispense (${text})` });
    if (error === "vend-cancelled") {
      if (a?.phase === "waiting") return this.abandon(a, "vend cancelled at the machine", "customer", false);
      if (a?.phase === "approved") return this.report(a, { outcome: "failed", reason: `the machine cancelled the approved vend (${text})` });
    }
    if (error === "vend-reset") {
      if (a?.phase === "waiting") return this.abandon(a, "the machine reset", "controller", false);
      if (a?.phase === "approved") return this.endApproved(a, `the machine reset mid-vend (${text})`);
    }
    if (error === "wrong-state" && a?.phase === "approved" && this.justApproved === a.vendId) {
      return this.report(a, { outcome: "failed", reason: "the machine was no longer waiting for the approval" });
    }
    if (error !== "already-on") this.log.warn("mdb_adapter_error", { error, text, vend: a?.vendId, phase: a?.phase });
  }

  // ---- restart -------------------------------------------------------------------------------------

  private async resume(): Promise<void> {
    for (const r of await this.vends.all()) {
      this.records.set(r.vendId, r);
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
        await this.forget(r);
        continue;
      }
      if (r.phase === "waiting") this.armDeadline(r);
      // approved: C,VEND may or may not have gone out; never re-sent — the machine's answer (or its
      // timeout, VEND 1) or the host's release deadline settles it.
      await this.onSaleState(r, sale);
    }
  }

  // ---- link ----------------------------------------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.closed) return;
    const generation = ++this.generation;
    try {
      const conn = await this.connector({
        onLine: (line) => generation === this.generation && this.onLine(line),
        onClose: (err) => generation === this.generation && this.lost(err),
      });
      if (this.closed || generation !== this.generation) return void (await conn.close());
      this.conn = conn;
      this.backoff = this.s.reconnectInitialMs;
      this.log.info("mdb_link_up", { via: conn.description });
      this.setLink({ up: true });
      this.send(command.enable());
      if (this.denyAtLinkUp) this.send(command.deny());
      this.denyAtLinkUp = false;
      for (const w of [...this.linkWaiters]) w();
      this.run(async () => {
        for (const id of [...this.unsent]) {
          const r = this.records.get(id);
          this.unsent.delete(id);
          if (r?.phase !== "approved") continue;
          if (this.pastPaymentDeadline(r)) await this.endApproved(r, "the link came back after the machine's payment deadline");
          else await this.sendApproval(r);
        }
      });
    } catch (err) {
      this.log.debug("mdb_connect_failed", { err });
      if (!this.link.up && this.link.detail === "MDB adapter not connected yet") this.setLink({ up: false, detail: `MDB adapter not reachable (${err instanceof Error ? err.message : String(err)}); retrying` });
      this.scheduleReconnect();
    }
  }

  private lost(err: Error | undefined): void {
    if (this.closed) return;
    // One line with the reason: a lost link is an event (device health and an alarm follow), not a bug with a stack.
    this.log.warn("mdb_link_lost", { via: this.conn?.description, reason: err?.message ?? "closed" });
    this.setLink({ up: false, detail: `MDB adapter link lost${err ? ` (${err.message})` : ""}; reconnecting` });
    this.conn = undefined;
    this.readerEnabled = false;
    this.generation++;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    clearTimeout(this.reconnectTimer);
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.s.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.counters.reconnects++;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
