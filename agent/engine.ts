// The payment engine: hosts one FlowRunner per running flow and answers the daemon's commands. It
// composes the parts in agent/engine/ — the flow registry, point admission (with the offline hold),
// the alarms, effect execution, journal compaction — and asks each flow kind's descriptor
// (agent/flows/kinds/) how to start it. Types: agent/engine-api.ts. Recovery at start:
// agent/flows/recovery.ts. The dispenser boundary, receipts and read models live in agent/flows/.
import { Subject } from "rxjs";
import { AgentError } from "../base/errors.ts";
import type { DispenserEvent } from "../contracts/dispenser.ts";
import type { InvoiceRow } from "../contracts/glase/types.ts";
import type { Effect } from "./core/effects.ts";
import type { FlowInput, GlaseOutcome } from "./core/inputs.ts";
import type { ReconciliationState } from "./core/reconciliation.ts";
import type { RefundState } from "./core/refund.ts";
import type { ReceiptContent } from "../contracts/printer.ts";
import { executeGlaseCall } from "./flows/glase-executor.ts";
import type { FlowState } from "./core/transition.ts";
import type {
  EngineEvent,
  EngineSnapshot,
  FlowSummary,
  JournalEntry,
  ParkedAction,
  PaymentEngine,
  PaymentEngineOptions,
  PosPaymentOptions,
  ReconciliationResult,
  RecoveryReport,
  RefundResult,
  StoredReceipt,
} from "./engine-api.ts";
import { EngineAlarms } from "./engine/alarm-log.ts";
import { JournalCompaction } from "./engine/compaction.ts";
import { securingAtStopMessage, waitForDrain } from "./engine/drain.ts";
import { EffectExecutor, type PerformedEffect } from "./engine/effect-executor.ts";
import { FlowRegistry, RECENT_FLOWS } from "./engine/flow-registry.ts";
import { OrphanSales } from "./engine/orphan-sales.ts";
import { SendWatches } from "./engine/send-watches.ts";
import { StationPoints } from "./engine/point-admission.ts";
import { ClockWatch } from "./flows/clock-watch.ts";
import { routeDispenserEvent } from "./flows/dispenser-link.ts";
import { posFlow, posStartFor } from "./flows/kinds/pos.ts";
import { preliminaryFlow, preliminaryStartFor } from "./flows/kinds/preliminary.ts";
import { reconciliationFlow } from "./flows/kinds/reconciliation.ts";
import { refundFlow } from "./flows/kinds/refund.ts";
import { flowKind } from "./flows/kinds/registry.ts";
import { ReceiptDesk } from "./flows/receipt-desk.ts";
import { recentFinishedFlows, recoverFlows } from "./flows/recovery.ts";
import { FlowRunner, type RunnerHost } from "./flows/runner.ts";
import { journalEntry, summarize } from "./flows/snapshot.ts";
import { TerminalPeriods } from "./flows/terminal-periods.ts";

export function createPaymentEngine(opts: PaymentEngineOptions): PaymentEngine {
  return new Engine(opts);
}

class Engine implements PaymentEngine, RunnerHost {
  readonly events$ = new Subject<EngineEvent>();
  readonly journal;
  readonly scheduler;
  readonly settings;
  readonly logger;
  private readonly points: StationPoints;
  private readonly flows: FlowRegistry;
  private readonly alarms: EngineAlarms;
  private readonly executor: EffectExecutor;
  private readonly compaction: JournalCompaction;
  private readonly receiptDesk: ReceiptDesk;
  private readonly periods: TerminalPeriods;
  private readonly orphans: OrphanSales;
  private readonly watches: SendWatches;
  /** Only with a wall clock to compare (the daemon's): tests drive a fake clock. */
  private readonly clockWatch?: ClockWatch;
  private closed = false;
  /** While a drain ends sessions: the phase each flow was last told to end in (told once per phase). */
  private endingSessions?: Map<string, string>;
  private unsubscribe?: () => void;

  constructor(private readonly opts: PaymentEngineOptions) {
    this.journal = opts.journal;
    this.scheduler = opts.scheduler;
    this.settings = opts.settings;
    this.logger = opts.logger;
    const now = () => this.scheduler.now();
    this.points = new StationPoints(opts.points, now, opts.settings.retryMaxMs, opts.dispenser, (point) => this.events$.next({ type: "point", point }));
    this.flows = new FlowRegistry(now, () => this.random());
    this.alarms = new EngineAlarms(now, opts.logger, (point, alarm) => this.points.noteAlarm(point, alarm), (alarm) => this.events$.next({ type: "alarm", alarm }), opts.journal);
    this.receiptDesk = new ReceiptDesk(opts.journal, opts.printer, opts.logger, now, (receipt) => this.events$.next({ type: "receipt", receipt }));
    this.periods = new TerminalPeriods(opts.journal, now, opts.settings.glaseCallTimeoutMs);
    this.orphans = new OrphanSales({ dispenser: opts.dispenser, now, logger: opts.logger, finishedFlow: (flowId) => this.flows.finishedFlow(flowId), alarm: (a) => this.alarms.raise(a) });
    this.watches = new SendWatches({ flows: this.flows, journal: opts.journal, logger: opts.logger, ctx: () => this.ctx(), launch: (s, e) => this.launch(s, e), alarm: (a) => this.alarms.raise(a) });
    this.compaction = new JournalCompaction(opts.journal, opts.scheduler, opts.settings.retentionMs, opts.logger);
    this.executor = new EffectExecutor({
      glase: opts.glase,
      ...(opts.dispenser ? { dispenser: opts.dispenser } : {}),
      ...(opts.release ? { release: opts.release } : {}),
      credentials: { terminal: (id) => this.points.terminal(id), ...(opts.reseller ? { reseller: opts.reseller } : {}) },
      points: this.points,
      alarms: this.alarms,
      receipts: this.receiptDesk,
      logger: opts.logger,
      callTimeoutMs: opts.settings.glaseCallTimeoutMs,
      statusTimeoutMs: opts.settings.statusCallTimeoutMs ?? Math.min(opts.settings.glaseCallTimeoutMs, 3000),
      terminalHeld: (terminalId) => this.watches.held(terminalId), now,
    });
    if (opts.wallClock) this.clockWatch = new ClockWatch(opts.scheduler, opts.wallClock, (a) => this.alarms.raiseAlarm(undefined, a.code, a.message));
  }

  random(): number {
    return (this.opts.random ?? Math.random)();
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  async start(): Promise<RecoveryReport> {
    const t0 = Date.now();
    // A technician's stop outlives the process: those points stay out of service until resumed.
    this.points.restoreStopped(await this.journal.stoppedPoints());
    const recovered = await recoverFlows(this.journal, this.scheduler.now(), this.settings, this.random());
    for (const { state, effects, startedAt } of recovered) {
      const runner = new FlowRunner(this, state, startedAt);
      this.attach(runner);
      runner.resume(effects);
    }
    // A stop journaled before the restart reaches the flow that was running on the point (the flow
    // state may predate it): it must not authorize or release on a point out of service.
    for (const p of this.points.all()) if (p.stopped && p.active) await p.active.feed({ type: "technician", action: "stop" });
    await this.watches.recoverHandOvers(this.scheduler.now()); // sales first: a PAID read while a flow held the till is judged on them (rv 6 #2)
    this.watches.refresh(); // lost sends of flows that ended before the restart are watched on
    await this.alarms.restore(this.journal); // money alarms not yet acknowledged (a finished flow's too: review 7 #1)
    // After a restart `ctl flows --all` shows what finished before it (a confirmed refund): checked before another.
    this.flows.restoreRecent(await recentFinishedFlows(this.journal, RECENT_FLOWS, this.logger));
    if (this.opts.dispenser) this.unsubscribe = this.opts.dispenser.onEvent((e) => this.onDispenserEvent(e));
    this.opts.dispenser?.replayAlarms?.(this.scheduler.now() - this.opts.settings.retentionMs); // now listening: the money alarms a driver holds durably, kept once (review 13c C2)
    this.clockWatch?.start((await this.journal.tail(1))[0]?.at);
    this.points.accepting = true;
    this.compaction.start();
    const parked = recovered.filter((r) => r.state.phase === "parked").length;
    const report: RecoveryReport = { resumed: recovered.length, parked, flowIds: recovered.map((r) => r.state.flowId), durationMs: Date.now() - t0 };
    this.logger.info("engine_started", { resumed: report.resumed, parked, ms: report.durationMs });
    return report;
  }

  stopAccepting(): void {
    this.points.accepting = false;
  }

  async drain(timeoutMs: number, opts: { readonly endSessions?: boolean } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (opts.endSessions) {
      this.endingSessions = new Map();
      for (const r of this.flows.running()) this.endSession(r);
    }
    await waitForDrain({
      flows: this.flows,
      events$: this.events$,
      deadline,
      securingWaitMs: this.settings.drainSecuringWaitMs,
      stillSecuring: (s) => this.alarms.raiseAlarm(s, "pump-may-be-authorized", securingAtStopMessage(s)),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.points.accepting = false;
    this.unsubscribe?.();
    this.clockWatch?.stop();
    // Not awaited: a compaction batch may wait behind appends of flows being stopped; it ends (or
    // fails quietly, stopped) on its own, and the journal's close waits for its statements.
    void this.compaction.stop();
    this.flows.stopAll();
    this.flows.abortWaiters();
    this.events$.complete();
  }

  // ---- starting flows -------------------------------------------------------------------------

  private ctx() {
    return { now: this.scheduler.now(), settings: this.settings, random: this.random() };
  }

  private attach(runner: FlowRunner): void {
    this.flows.add(runner);
    this.points.occupy(runner);
    this.watches.started(runner.state);
  }

  /** Journals a new flow's first state before any of its effects runs; a failed write starts nothing. */
  private async launch(state: FlowState, effects: readonly Effect[]): Promise<FlowRunner> {
    const runner = new FlowRunner(this, state);
    this.attach(runner);
    try {
      await runner.begin(effects, { type: "start" });
    } catch (err) {
      this.flows.remove(runner);
      this.points.release(runner);
      this.watches.ended(state); // its terminal's watch was told it is held
      throw err;
    }
    return runner;
  }

  /** Launches a flow whose caller waits for its end (a refund, a reconciliation). */
  private async launchAndAwait(flowId: string, state: FlowState, effects: readonly Effect[]): Promise<FlowState> {
    const done = this.flows.waitFor(flowId);
    await this.launch(state, effects).catch((err: unknown) => (this.flows.forgetWaiter(flowId), Promise.reject(err)));
    return done;
  }

  private onCustomerCall(point: number, gradeId: string | undefined, presetMinor: number | undefined): void {
    const p = this.points.get(point);
    if (!p || p.config.kind === "kiosk") return;
    const why = this.points.refusal(p);
    if (why) {
      this.points.display(point, why);
      return;
    }
    const step = preliminaryFlow.start(preliminaryStartFor(p.config, this.flows.newFlowId(`P${point}-`), gradeId, presetMinor), this.ctx());
    this.launch(step.state, step.effects).catch((err: unknown) => {
      this.logger.error("flow_start_failed", { point, err });
      this.points.display(point, "Payment unavailable");
    });
  }

  async startPosPayment(point: number, amountMinor: number, rows?: readonly InvoiceRow[], opts: PosPaymentOptions = {}): Promise<string> {
    const p = this.points.require(point);
    if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new AgentError("INPUT_INVALID", `amount must be a positive integer of minor units, got ${amountMinor}`, { amountMinor });
    const why = this.points.refusal(p);
    if (why) throw new AgentError("CONFLICT", `point ${point} cannot take a payment now: ${why}`, { point, reason: why });
    const flowId = this.flows.ownFlowId(opts.flowId, `K${point}-`);
    const step = posFlow.start({ ...posStartFor(p.config, flowId, amountMinor, rows), ...(opts.controllerRelease ? { controllerRelease: true } : {}) }, this.ctx());
    const runner = await this.launch(step.state, step.effects);
    return runner.flowId;
  }

  /** A customer's (or controller's) cancel of an unpaid POS payment; the flow decides whether it can still be cancelled. */
  async cancelPosPayment(flowId: string): Promise<void> {
    const r = this.flows.get(flowId);
    if (!r || r.state.kind !== posFlow.kind) return;
    await r.feed({ type: "technician", action: "cancel" });
  }

  async startRefund(req: { readonly point?: number; readonly terminal?: string; readonly ersReference: string; readonly amountMinor: number; readonly flowId?: string }): Promise<RefundResult> {
    const cfg = this.points.terminalFor(req);
    if (!Number.isSafeInteger(req.amountMinor) || req.amountMinor <= 0) throw new AgentError("INPUT_INVALID", `refund amount must be a positive integer of minor units`, { amountMinor: req.amountMinor });
    const terminalId = cfg.terminal.terminalId;
    // Its check reads this terminal's period: nothing else may mark it while the refund is unresolved.
    this.periods.assertFree(terminalId, "refund", this.flows.states());
    const others = await this.periods.otherRefunds(terminalId, req.amountMinor);
    this.periods.assertFree(terminalId, "refund", this.flows.states()); // the journal read yielded
    const flowId = this.flows.ownFlowId(req.flowId, "R");
    const step = refundFlow.start({ flowId, terminalId, point: cfg.id, currency: cfg.currency, ersReference: req.ersReference, amountMinor: req.amountMinor, others }, this.ctx());
    return refundFlow.resultOf(flowId, (await this.launchAndAwait(flowId, step.state, step.effects)) as RefundState);
  }

  async startReconciliation(req: { readonly scope: "shop" | "terminal"; readonly terminal?: string; readonly reportId: string; readonly nextReportIds?: readonly string[] }): Promise<ReconciliationResult> {
    let shift = {};
    if (req.scope === "terminal") {
      this.points.terminalFor({ terminal: req.terminal });
      this.periods.assertFree(req.terminal!, "reconciliation", this.flows.states());
      // The periods refunds marked since the last close are the shift's too: the close reads them all.
      shift = await this.periods.shift(req.terminal!);
      this.periods.assertFree(req.terminal!, "reconciliation", this.flows.states()); // the journal read yielded
    } else if (!this.opts.reseller) throw new AgentError("CONFIG_INVALID", "shop reconciliation needs the shop (reseller) credentials", {});
    const flowId = this.flows.newFlowId("C");
    const step = reconciliationFlow.start({ flowId, scope: req.scope, ...(req.terminal !== undefined ? { terminalId: req.terminal } : {}), reportId: req.reportId, ...(req.nextReportIds?.length ? { nextReportIds: req.nextReportIds } : {}), ...shift }, this.ctx());
    return reconciliationFlow.resultOf(flowId, (await this.launchAndAwait(flowId, step.state, step.effects)) as ReconciliationState);
  }

  // ---- technician commands --------------------------------------------------------------------

  async stopPoint(point: number): Promise<void> {
    const p = await this.points.stop(point, this.journal);
    if (p.active) await p.active.feed({ type: "technician", action: "stop" });
    this.points.changed(p);
  }

  /** Puts a stopped point back into service (durably: a restart does not stop it again). */
  resumePoint(point: number): Promise<void> {
    return this.points.resume(point, this.journal);
  }

  async resolveParked(flowId: string, action: ParkedAction): Promise<void> {
    const r = this.flows.get(flowId);
    if (!r) throw new AgentError("NOT_FOUND", `no running flow ${flowId}`, { flowId });
    if (action === "claim" || action === "disown") {
      // The driver records the decision (durably); a parked flow then reads the sale again, one
      // still retrying its read picks the decision up at its next read.
      const d = this.opts.dispenser;
      if (!d?.resolveSale) throw new AgentError("NOT_FOUND", "no controller of this station takes a sale ownership decision (claim/disown are for PTS_OWNERSHIP_UNKNOWN)", { flowId });
      await d.resolveSale(flowId, action === "claim" ? "ours" : "not-ours");
      if (r.state.phase === "parked") await r.feed({ type: "technician", action: "retry" });
      return;
    }
    // A flow securing its pump (money settled, the board not reachable) ends on a technician's
    // mark-settled: they checked at the pump that it is off.
    const securing = r.state.phase === "securing" && action === "mark-settled";
    if (r.state.phase !== "parked" && !securing) throw new AgentError("CONFLICT", `flow ${flowId} is not parked (${r.state.phase})`, { flowId });
    await r.feed({ type: "technician", action });
  }

  /** The engine API's alarm(): one no flow raised (the kiosk host: a release result that never came). */
  alarm(a: { readonly point?: number; readonly flowId?: string; readonly code: string; readonly message: string }): void {
    this.alarms.raise(a);
  }

  // ---- receipts, journal, snapshot ------------------------------------------------------------

  receipts(): Promise<readonly StoredReceipt[]> {
    return this.receiptDesk.list();
  }

  /** The receipt of a payment, by its ersReference (indexed lookup). */
  async receiptOf(ersReference: string): Promise<StoredReceipt | undefined> {
    return (await this.receiptDesk.matching(ersReference)).find((r) => r.ersReference === ersReference);
  }

  reprint(key: string): Promise<void> {
    return this.receiptDesk.reprint(key);
  }

  async journalTail(n: number): Promise<readonly JournalEntry[]> {
    return (await this.journal.tail(n)).map(journalEntry);
  }

  snapshot(): EngineSnapshot {
    return {
      accepting: this.points.accepting,
      points: this.points.snapshots(),
      flows: this.flows.summaries(this.scheduler.now()),
      alarms: this.alarms.list(),
    };
  }

  // ---- RunnerHost -----------------------------------------------------------------------------

  perform(runner: FlowRunner, effect: PerformedEffect): Promise<FlowInput | undefined> {
    return this.executor.perform(runner, effect);
  }

  /** A kiosk sale's receipt to Glase once delivered (agent/kiosk/sale-receipt.ts journals it). */
  async submitPaymentReceipt(req: { readonly point: number; readonly ersReference: string; readonly receipt: ReceiptContent; readonly clientReference: string }): Promise<GlaseOutcome> {
    const terminal = this.points.get(req.point)?.config.terminal;
    if (!terminal) throw new AgentError("NOT_FOUND", `no point ${req.point}`, { point: req.point });
    return executeGlaseCall(this.opts.glase, { terminal }, { op: "submitPaymentReceipt", ersReference: req.ersReference, receipt: req.receipt }, { clientReference: req.clientReference, timeoutMs: this.settings.glaseCallTimeoutMs });
  }

  changed(runner: FlowRunner): void {
    const s = runner.state;
    const summary = summarize(runner, this.scheduler.now());
    if (s.phase === "finished") this.finish(runner, summary);
    else if (s.phase === "parked") this.flows.answer(s); // a parked refund must still answer its caller
    this.events$.next({ type: "flow", flow: summary });
    if (this.endingSessions && s.phase !== "finished") this.endSession(runner);
    const p = this.points.pointOf(s);
    if (p) this.points.changed(p);
  }

  /** A drain that ends sessions tells the flow, once in each phase its kind can be ended in. */
  private endSession(runner: FlowRunner): void {
    const s = runner.state;
    const input = flowKind(s).drainInput?.(s);
    if (!input || this.endingSessions?.get(s.flowId) === s.phase) return;
    this.endingSessions?.set(s.flowId, s.phase);
    this.logger.info("drain_ends_session", { flowId: s.flowId, phase: s.phase });
    void runner.feed(input);
  }

  journalFailed(runner: FlowRunner, err: unknown): void {
    this.logger.error("journal_write_failed", { flowId: runner.flowId, err });
    this.alarms.raiseAlarm(runner.state, "journal-failed", `flow ${runner.flowId} stopped: the journal could not record its next step`);
  }

  private finish(runner: FlowRunner, summary: FlowSummary): void {
    this.flows.finished(runner, summary);
    this.points.release(runner);
    const s = runner.state;
    this.points.holdIfOffline(s);
    this.periods.ended(s);
    this.watches.ended(s);
    this.logger.info("flow_finished", { flowId: s.flowId, kind: s.kind, outcome: s.outcome });
    this.flows.answer(s);
  }

  // ---- dispenser events -----------------------------------------------------------------------

  private onDispenserEvent(e: DispenserEvent): void {
    if (this.closed) return;
    routeDispenserEvent(e, {
      customerCall: (point, gradeId, presetMinor) => this.onCustomerCall(point, gradeId, presetMinor),
      byTransaction: (transactionId) => this.flows.get(transactionId),
      activeOn: (point) => this.points.get(point)?.active,
      running: () => this.flows.running(),
      orphanSale: (e) => this.orphans.report(e),
      finishedFlow: (id) => this.flows.finishedFlow(id) !== undefined, // (a finished flow's late device alarm is still its own)
      deviceAlarm: (a) => void this.alarms.raiseDevice(a), logger: this.logger });
  }
}
