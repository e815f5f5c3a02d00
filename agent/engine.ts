// The payment engine: hosts one FlowRunner per running flow, routes dispenser events to them,
// performs their effects (Glase, dispenser, printer, alarms) and answers the daemon's commands.
// Types: agent/engine-api.ts. Recovery at start: agent/flows/recovery.ts. The dispenser boundary,
// receipts and the flows' start parameters/results live beside it in agent/flows/.
import { Subject } from "rxjs";
import type { DispenserEvent } from "../drivers/dispenser/contract.ts";
import type { Effect } from "./core/effects.ts";
import type { FlowInput, GlaseOutcome } from "./core/inputs.ts";
import type { ReceiptContent } from "../contracts/printer.ts";
import { startPos } from "./core/pos.ts";
import { startPreliminary } from "./core/preliminary.ts";
import { startReconciliation } from "./core/reconciliation.ts";
import { startRefund } from "./core/refund.ts";
import type { FlowState } from "./core/transition.ts";
import type {
  AlarmInfo,
  EngineEvent,
  EngineSnapshot,
  FlowSummary,
  JournalEntry,
  ParkedAction,
  PaymentEngine,
  PaymentEngineOptions,
  PointConfig,
  PosPaymentOptions,
  ReconciliationResult,
  RecoveryReport,
  RefundResult,
  StoredReceipt,
} from "./engine-api.ts";
import { AgentError } from "./errors.ts";
import { performDispenserEffect, routeDispenserEvent } from "./flows/dispenser-link.ts";
import { posStartFor, preliminaryStartFor, reconciliationResultOf, refundResultOf } from "./flows/flow-requests.ts";
import { executeGlaseCall, type GlaseCallTarget } from "./flows/glase-executor.ts";
import { ReceiptDesk } from "./flows/receipt-desk.ts";
import { recentFinishedFlows, recoverFlows } from "./flows/recovery.ts";
import { FlowRunner, type RunnerHost } from "./flows/runner.ts";
import { type PointRuntime, journalEntry, pointSnapshot, summarize } from "./flows/snapshot.ts";
import { ClockWatch } from "./flows/clock-watch.ts";
import { TerminalPeriods } from "./flows/terminal-periods.ts";
import type { InvoiceRow, TerminalCredentials } from "./glase/types.ts";

const RECENT_FLOWS = 200;
const OFFLINE_HOLD_FACTOR = 2;

type Waiter = { resolve: (s: FlowState) => void; reject: (e: unknown) => void };

export function createPaymentEngine(opts: PaymentEngineOptions): PaymentEngine {
  return new Engine(opts);
}

class Engine implements PaymentEngine, RunnerHost {
  readonly events$ = new Subject<EngineEvent>();
  readonly journal;
  readonly scheduler;
  readonly settings;
  readonly logger;
  private readonly points = new Map<number, PointRuntime>();
  private readonly runners = new Map<string, FlowRunner>();
  private readonly recent: FlowSummary[] = [];
  private readonly alarms: AlarmInfo[] = [];
  private readonly waiters = new Map<string, Waiter>();
  private accepting = false;
  private closed = false;
  private seq = 0;
  private alarmSeq = 0;
  private unsubscribe?: () => void;
  /** Only with a wall clock to compare (the daemon's): tests drive a fake clock. */
  private readonly clockWatch?: ClockWatch;
  private cancelCompaction?: () => void;
  private readonly receiptDesk: ReceiptDesk;
  private readonly statusTimeoutMs: number;
  private readonly periods: TerminalPeriods;

  constructor(private readonly opts: PaymentEngineOptions) {
    this.journal = opts.journal;
    this.scheduler = opts.scheduler;
    this.settings = opts.settings;
    this.logger = opts.logger;
    this.receiptDesk = new ReceiptDesk(opts.journal, opts.printer, opts.logger, () => this.scheduler.now(), (receipt) => this.events$.next({ type: "receipt", receipt }));
    this.statusTimeoutMs = opts.settings.statusCallTimeoutMs ?? Math.min(opts.settings.glaseCallTimeoutMs, 3000);
    this.periods = new TerminalPeriods(opts.journal, () => this.scheduler.now(), opts.settings.glaseCallTimeoutMs);
    if (opts.wallClock) this.clockWatch = new ClockWatch(opts.scheduler, opts.wallClock, (a) => this.raiseAlarm(undefined, a.code, a.message));
    const byTerminal = new Map<string, number>();
    for (const p of opts.points) {
      if (this.points.has(p.id)) throw new AgentError("CONFIG_INVALID", `point ${p.id} is configured twice`, { point: p.id });
      // A cash-register terminal holds one open invoice (§6.4): two points on one terminal would
      // supersede (cancel) each other's invoices.
      const other = byTerminal.get(p.terminal.terminalId);
      if (other !== undefined) {
        throw new AgentError("CONFIG_INVALID", `point ${other} and point ${p.id} use the same terminal ${p.terminal.terminalId}; every point needs its own terminal`, { points: [other, p.id] });
      }
      byTerminal.set(p.terminal.terminalId, p.id);
      this.points.set(p.id, { config: p, stopped: false, offlineUntil: 0, alarms: [] });
    }
  }

  random(): number {
    return (this.opts.random ?? Math.random)();
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  async start(): Promise<RecoveryReport> {
    const t0 = Date.now();
    // A technician's stop outlives the process: those points stay out of service until resumed.
    for (const id of await this.journal.stoppedPoints()) {
      const p = this.points.get(id);
      if (p) p.stopped = true;
    }
    const recovered = await recoverFlows(this.journal, this.scheduler.now(), this.settings, this.random());
    for (const { state, effects, startedAt } of recovered) {
      const runner = new FlowRunner(this, state, startedAt);
      this.attach(runner);
      runner.resume(effects);
    }
    // A stop journaled before the restart reaches the flow that was running on the point (the flow
    // state may predate it): it must not authorize or release on a point out of service.
    for (const p of this.points.values()) if (p.stopped && p.active) await p.active.feed({ type: "technician", action: "stop" });
    // After a restart `ctl flows --all` still shows what finished before it (a refund confirmed
    // before a power cut), so a technician checks it before asking for another one.
    this.recent.push(...(await recentFinishedFlows(this.journal, RECENT_FLOWS, this.logger)));
    if (this.opts.dispenser) this.unsubscribe = this.opts.dispenser.onEvent((e) => this.onDispenserEvent(e));
    this.clockWatch?.start((await this.journal.tail(1))[0]?.at);
    this.accepting = true;
    this.scheduleCompaction(0);
    const parked = recovered.filter((r) => r.state.phase === "parked").length;
    const report: RecoveryReport = { resumed: recovered.length, parked, flowIds: recovered.map((r) => r.state.flowId), durationMs: Date.now() - t0 };
    this.logger.info("engine_started", { resumed: report.resumed, parked, ms: report.durationMs });
    return report;
  }

  stopAccepting(): void {
    this.accepting = false;
  }

  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && [...this.runners.values()].some((r) => r.state.phase !== "parked")) {
      await new Promise<void>((resolve) => {
        const sub = this.events$.subscribe(() => (sub.unsubscribe(), resolve()));
        const cancel = setTimeout(() => (sub.unsubscribe(), resolve()), Math.max(1, Math.min(500, deadline - Date.now())));
        cancel.unref?.();
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.accepting = false;
    this.unsubscribe?.();
    this.clockWatch?.stop();
    this.cancelCompaction?.();
    for (const r of this.runners.values()) r.stop();
    for (const w of this.waiters.values()) w.reject(new AgentError("ABORTED", "engine closed"));
    this.waiters.clear();
    this.events$.complete();
  }

  private scheduleCompaction(delayMs: number): void {
    if (this.closed) return;
    this.cancelCompaction = this.scheduler.setTimer(delayMs, () => {
      this.journal
        .compact(this.scheduler.now() - this.opts.settings.retentionMs)
        .then((n) => n > 0 && this.logger.info("journal_compacted", { flows: n }))
        .catch((err: unknown) => this.logger.error("journal_compaction_failed", { err }))
        .finally(() => this.scheduleCompaction(Math.max(60_000, Math.min(3_600_000, this.opts.settings.retentionMs / 4))));
    });
  }

  // ---- starting flows -------------------------------------------------------------------------

  private newFlowId(prefix: string): string {
    this.seq = (this.seq + 1) % 1296;
    const rand = Math.floor(this.random() * 1296).toString(36).padStart(2, "0");
    return `${prefix}${this.scheduler.now().toString(36)}${this.seq.toString(36).padStart(2, "0")}${rand}`;
  }

  private ctx() {
    return { now: this.scheduler.now(), settings: this.settings, random: this.random() };
  }

  private attach(runner: FlowRunner): void {
    this.runners.set(runner.flowId, runner);
    const point = "point" in runner.state ? runner.state.point : undefined;
    if (point !== undefined && (runner.state.kind === "preliminary" || runner.state.kind === "pos")) {
      const p = this.points.get(point);
      if (p) p.active = runner;
    }
  }

  private async launch(state: FlowState, effects: readonly Effect[], input: FlowInput): Promise<FlowRunner> {
    const runner = new FlowRunner(this, state);
    this.attach(runner);
    try {
      await runner.begin(effects, input);
    } catch (err) {
      this.runners.delete(runner.flowId);
      this.detachFromPoint(runner);
      throw err;
    }
    return runner;
  }

  /** Why a new customer cannot start on this point now, or undefined if they can. */
  private refusal(p: PointRuntime): string | undefined {
    if (!this.accepting) return "Closed";
    if (p.stopped) return "Out of service";
    if (p.active) return "Busy";
    if (this.scheduler.now() < p.offlineUntil) return "Glase offline - pay inside";
    return undefined;
  }

  private onCustomerCall(point: number, gradeId: string | undefined, presetMinor: number | undefined): void {
    const p = this.points.get(point);
    if (!p || p.config.kind === "kiosk") return;
    const why = this.refusal(p);
    if (why) {
      this.display(point, why);
      return;
    }
    const step = startPreliminary(preliminaryStartFor(p.config, this.newFlowId(`P${point}-`), gradeId, presetMinor), this.ctx());
    this.launch(step.state, step.effects, { type: "start" }).catch((err: unknown) => {
      this.logger.error("flow_start_failed", { point, err });
      this.display(point, "Payment unavailable");
    });
  }

  async startPosPayment(point: number, amountMinor: number, rows?: readonly InvoiceRow[], opts: PosPaymentOptions = {}): Promise<string> {
    const p = this.points.get(point);
    if (!p) throw new AgentError("NOT_FOUND", `no point ${point}`, { point });
    if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new AgentError("INPUT_INVALID", `amount must be a positive integer of minor units, got ${amountMinor}`, { amountMinor });
    const why = this.refusal(p);
    if (why) throw new AgentError("CONFLICT", `point ${point} cannot take a payment now: ${why}`, { point, reason: why });
    const flowId = this.ownFlowId(opts.flowId, `K${point}-`);
    const step = startPos({ ...posStartFor(p.config, flowId, amountMinor, rows), ...(opts.controllerRelease ? { controllerRelease: true } : {}) }, this.ctx());
    const runner = await this.launch(step.state, step.effects, { type: "start" });
    return runner.flowId;
  }

  /** A caller-chosen flow id (the kiosk host journals it before the flow starts) must be new. */
  private ownFlowId(given: string | undefined, prefix: string): string {
    if (given === undefined) return this.newFlowId(prefix);
    if (this.runners.has(given)) throw new AgentError("CONFLICT", `flow ${given} is already running`, { flowId: given });
    return given;
  }

  /** A customer's (or controller's) cancel of an unpaid POS payment; the flow decides whether it can still be cancelled. */
  async cancelPosPayment(flowId: string): Promise<void> {
    const r = this.runners.get(flowId);
    if (!r || r.state.kind !== "pos") return;
    await r.feed({ type: "technician", action: "cancel" });
  }

  private terminalFor(req: { readonly point?: number; readonly terminal?: string }): PointConfig {
    const found = [...this.points.values()].find((p) => p.config.id === req.point || p.config.terminal.terminalId === req.terminal);
    if (!found) throw new AgentError("NOT_FOUND", `no point/terminal ${req.point ?? req.terminal}`, { ...req });
    return found.config;
  }

  private runningStates(): FlowState[] {
    return [...this.runners.values()].map((r) => r.state);
  }

  private waitFor(flowId: string): Promise<FlowState> {
    return new Promise((resolve, reject) => this.waiters.set(flowId, { resolve, reject }));
  }

  async startRefund(req: { readonly point?: number; readonly terminal?: string; readonly ersReference: string; readonly amountMinor: number; readonly flowId?: string }): Promise<RefundResult> {
    const cfg = this.terminalFor(req);
    if (!Number.isSafeInteger(req.amountMinor) || req.amountMinor <= 0) throw new AgentError("INPUT_INVALID", `refund amount must be a positive integer of minor units`, { amountMinor: req.amountMinor });
    const terminalId = cfg.terminal.terminalId;
    // Its check reads this terminal's period: nothing else may mark it while the refund is unresolved.
    this.periods.assertFree(terminalId, "refund", this.runningStates());
    const others = await this.periods.otherRefunds(terminalId, req.amountMinor);
    this.periods.assertFree(terminalId, "refund", this.runningStates()); // the journal read yielded
    const flowId = this.ownFlowId(req.flowId, "R");
    const step = startRefund({ flowId, terminalId, point: cfg.id, currency: cfg.currency, ersReference: req.ersReference, amountMinor: req.amountMinor, others }, this.ctx());
    const done = this.waitFor(flowId);
    await this.launch(step.state, step.effects, { type: "start" });
    return refundResultOf(flowId, await done);
  }

  async startReconciliation(req: { readonly scope: "shop" | "terminal"; readonly terminal?: string; readonly reportId: string; readonly nextReportIds?: readonly string[] }): Promise<ReconciliationResult> {
    if (req.scope === "terminal") {
      this.terminalFor({ terminal: req.terminal });
      this.periods.assertFree(req.terminal!, "reconciliation", this.runningStates());
    }
    else if (!this.opts.reseller) throw new AgentError("CONFIG_INVALID", "shop reconciliation needs the shop (reseller) credentials", {});
    const flowId = this.newFlowId("C");
    const step = startReconciliation({ flowId, scope: req.scope, ...(req.terminal !== undefined ? { terminalId: req.terminal } : {}), reportId: req.reportId, ...(req.nextReportIds?.length ? { nextReportIds: req.nextReportIds } : {}) }, this.ctx());
    const done = this.waitFor(flowId);
    await this.launch(step.state, step.effects, { type: "start" });
    return reconciliationResultOf(flowId, await done);
  }

  async stopPoint(point: number): Promise<void> {
    const p = this.points.get(point);
    if (!p) throw new AgentError("NOT_FOUND", `no point ${point}`, { point });
    p.stopped = true; // at once: no customer starts while the stop is written
    await this.journal.setPointStopped(point, true, this.scheduler.now());
    if (p.active) await p.active.feed({ type: "technician", action: "stop" });
    this.changedPoint(p);
  }

  /** Puts a stopped point back into service (durably: a restart does not stop it again). */
  async resumePoint(point: number): Promise<void> {
    const p = this.points.get(point);
    if (!p) throw new AgentError("NOT_FOUND", `no point ${point}`, { point });
    await this.journal.setPointStopped(point, false, this.scheduler.now());
    p.stopped = false;
    this.changedPoint(p);
  }

  async resolveParked(flowId: string, action: ParkedAction): Promise<void> {
    const r = this.runners.get(flowId);
    if (!r) throw new AgentError("NOT_FOUND", `no running flow ${flowId}`, { flowId });
    if (r.state.phase !== "parked") throw new AgentError("CONFLICT", `flow ${flowId} is not parked (${r.state.phase})`, { flowId });
    await r.feed({ type: "technician", action });
  }

  // ---- receipts, journal ----------------------------------------------------------------------

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

  // ---- RunnerHost -----------------------------------------------------------------------------

  async perform(runner: FlowRunner, effect: Exclude<Effect, { type: "startTimer" | "cancelTimer" }>): Promise<FlowInput | undefined> {
    switch (effect.type) {
      case "glase": {
        const outcome = await executeGlaseCall(this.opts.glase, this.targetOf(runner.state), effect.call, {
          clientReference: effect.ref,
          timeoutMs: effect.call.op === "getPaymentStatus" ? this.statusTimeoutMs : this.settings.glaseCallTimeoutMs,
        });
        return { type: "glase", op: effect.call.op, ref: effect.ref, outcome };
      }
      case "authorize":
      case "stop":
      case "saleRecord":
        return performDispenserEffect(this.opts.dispenser, effect, runner.flowId, this.logger);
      case "display":
        this.display(effect.point, effect.text);
        return undefined;
      case "print":
        return { type: "printed", ok: await this.receiptDesk.print(runner.flowId, effect.receipt) };
      case "alarm":
        this.raiseAlarm(runner.state, effect.code, effect.message);
        return undefined;
      case "release": {
        let ok = true;
        if (this.opts.release) ok = await this.opts.release(effect.point, effect.amountMinor, runner.flowId).then(() => true, () => false);
        return { type: "released", ok };
      }
      default: {
        const never: never = effect;
        throw new AgentError("INTERNAL", `unknown effect ${JSON.stringify(never)}`);
      }
    }
  }

  private targetOf(s: FlowState): GlaseCallTarget {
    if (s.kind === "reconciliation" && s.scope === "shop") return { ...(this.opts.reseller ? { reseller: this.opts.reseller } : {}) };
    const terminalId = s.terminalId;
    const terminal: TerminalCredentials | undefined = [...this.points.values()].find((p) => p.config.terminal.terminalId === terminalId)?.config.terminal;
    return terminal ? { terminal } : {};
  }

  private display(point: number, text: string): void {
    // A kiosk's screen is its controller's: it shows the sale's display (agent/kiosk/), not this.
    if (this.points.get(point)?.config.kind === "kiosk") return;
    this.opts.dispenser?.display(point, text).catch(() => undefined);
  }

  /** A flow's alarm, or the station's own (no flow: the clock watch). */
  private raiseAlarm(s: FlowState | undefined, code: string, message: string): void {
    this.recordAlarm({ ...(s && "point" in s && s.point !== undefined ? { point: s.point } : {}), ...(s ? { flowId: s.flowId } : {}), code, message });
  }

  async submitPaymentReceipt(req: { readonly point: number; readonly ersReference: string; readonly receipt: ReceiptContent; readonly clientReference: string }): Promise<GlaseOutcome> {
    const terminal = this.points.get(req.point)?.config.terminal;
    if (!terminal) throw new AgentError("NOT_FOUND", `no point ${req.point}`, { point: req.point });
    return executeGlaseCall(this.opts.glase, { terminal }, { op: "submitPaymentReceipt", ersReference: req.ersReference, receipt: req.receipt }, { clientReference: req.clientReference, timeoutMs: this.settings.glaseCallTimeoutMs });
  }

  /** The engine API's alarm(): one no flow raised (the kiosk host: a release result that never came). */
  alarm(a: { readonly point?: number; readonly flowId?: string; readonly code: string; readonly message: string }): void {
    this.recordAlarm(a);
  }

  private recordAlarm(a: { readonly point?: number; readonly flowId?: string; readonly code: string; readonly message: string }): void {
    const { point, code, message } = a;
    // A device repeating the same fault (every poll) is one alarm, not a flood.
    const last = this.alarms.findLast((x) => x.code === code && x.point === point);
    if (a.flowId === undefined && last && last.message === message && this.scheduler.now() - last.at < 60_000) return;
    const alarm: AlarmInfo = { id: `A${++this.alarmSeq}`, at: this.scheduler.now(), ...a };
    this.alarms.push(alarm);
    if (this.alarms.length > 500) this.alarms.shift();
    const p = point !== undefined ? this.points.get(point) : undefined;
    if (p) p.alarms = [...p.alarms.slice(-19), alarm];
    this.logger.warn("alarm", { code, flowId: a.flowId, point, message });
    this.events$.next({ type: "alarm", alarm });
  }

  changed(runner: FlowRunner): void {
    const s = runner.state;
    const summary = summarize(runner, this.scheduler.now());
    if (s.phase === "finished") this.finish(runner, summary);
    else if (s.phase === "parked") this.answerWaiter(s); // a parked refund must still answer its caller
    this.events$.next({ type: "flow", flow: summary });
    const p = "point" in s && s.point !== undefined ? this.points.get(s.point) : undefined;
    if (p) this.changedPoint(p);
  }

  journalFailed(runner: FlowRunner, err: unknown): void {
    this.logger.error("journal_write_failed", { flowId: runner.flowId, err });
    this.raiseAlarm(runner.state, "journal-failed", `flow ${runner.flowId} stopped: the journal could not record its next step`);
  }

  private finish(runner: FlowRunner, summary: FlowSummary): void {
    this.runners.delete(runner.flowId);
    this.detachFromPoint(runner);
    this.recent.unshift(summary);
    if (this.recent.length > RECENT_FLOWS) this.recent.pop();
    const s = runner.state;
    if (s.outcome === "offline" && "point" in s && s.point !== undefined) {
      const p = this.points.get(s.point);
      if (p) p.offlineUntil = this.scheduler.now() + this.settings.retryMaxMs * OFFLINE_HOLD_FACTOR;
    }
    this.periods.ended(s);
    this.logger.info("flow_finished", { flowId: s.flowId, kind: s.kind, outcome: s.outcome });
    this.answerWaiter(s);
  }

  private answerWaiter(s: FlowState): void {
    const w = this.waiters.get(s.flowId);
    if (w) (this.waiters.delete(s.flowId), w.resolve(s));
  }

  private detachFromPoint(runner: FlowRunner): void {
    const s = runner.state;
    const p = "point" in s && s.point !== undefined ? this.points.get(s.point) : undefined;
    if (p?.active === runner) p.active = undefined;
  }

  private changedPoint(p: PointRuntime): void {
    this.events$.next({ type: "point", point: pointSnapshot(p, this.scheduler.now()) });
  }

  // ---- snapshot -------------------------------------------------------------------------------

  snapshot(): EngineSnapshot {
    const running = [...this.runners.values()].map((r) => summarize(r, this.scheduler.now()));
    return {
      accepting: this.accepting,
      points: [...this.points.values()].map((p) => pointSnapshot(p, this.scheduler.now())),
      flows: [...running, ...this.recent],
      alarms: [...this.alarms],
    };
  }

  // ---- dispenser events -----------------------------------------------------------------------

  private onDispenserEvent(e: DispenserEvent): void {
    if (this.closed) return;
    routeDispenserEvent(e, {
      customerCall: (point, gradeId, presetMinor) => this.onCustomerCall(point, gradeId, presetMinor),
      byTransaction: (transactionId) => this.runners.get(transactionId),
      activeOn: (point) => this.points.get(point)?.active,
      running: () => [...this.runners.values()],
      deviceAlarm: (a) => this.recordAlarm(a),
      logger: this.logger,
    });
  }
}
