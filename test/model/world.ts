// One campaign run's world: the Glase reference model behind its hostile wire, the forecourt, the
// customers, the technician — and the REAL engine (createPaymentEngine + FlowRunner + the SQLite
// journal on /dev/shm) in process on the world clock. The engine lives in generations: a kill
// drops the process as SIGKILL would (no timer fires, no answer is heard again), and the next
// generation starts on the same journal file. Everything the invariants judge is recorded here.
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import sqlite3 from "sqlite3";
import type { AlarmInfo, EngineSettings, FlowSummary, PaymentEngine, PointConfig } from "../../agent/engine-api.ts";
import { createPaymentEngine } from "../../agent/engine.ts";
import { EngineKioskHost } from "../../agent/kiosk/engine-host.ts";
import { RefundGuard } from "../../agent/daemon/refund-guard.ts";
import type { ResellerCredentials } from "../../agent/glase/types.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { Logger } from "../../agent/log.ts";
import type { Grade, PointId } from "../../drivers/dispenser/contract.ts";
import { prng } from "../support/prng.ts";
import { EPOCH, WorldClock } from "./clock.ts";

const EPOCH_START = EPOCH;
import { Customers } from "./customers.ts";
import { DispenserModel } from "./dispenser-model.ts";
import { GlaseModel, type RefundRowCashier } from "./glase-model.ts";
import { type Generation, GlaseWire } from "./glase-wire.ts";
import { GatedJournal, type IoTracker } from "./journal-gate.ts";
import { KioskSales, RELEASE_TIMEOUT_MS } from "./kiosk-sales.ts";

export interface WorldConfig {
  readonly seed: number;
  /** Hint (issue 9 #11): points 1 and 2 share one terminal id. */
  readonly sharedTerminal: boolean;
  readonly commitTimeoutS: number;
  readonly latencyMs: number;
  readonly reportNotReadyMs: number;
  readonly submitReceipts: boolean;
  /** Hint (issue 9 #1): compactions run often, in the background, and fail with a ROLLBACK. */
  readonly compactionFault: boolean;
  /** How a refund's row in a details report names its cashier (glase-model.ts; default "none"). */
  readonly refundRowCashier?: RefundRowCashier;
}

export interface Violation {
  readonly code: string;
  readonly message: string;
  readonly at: number;
}

export interface TechRecord {
  readonly kind: "refund" | "reconciliation" | "resolve" | "stop";
  readonly gen: number;
  readonly at: number;
  readonly request: Record<string, unknown>;
  outcome?: { readonly ok: boolean; readonly value?: Record<string, unknown>; readonly error?: { readonly code?: string; readonly context?: Record<string, unknown> } };
}

export interface ReleaseRecord {
  readonly flowId: string;
  readonly point: PointId;
  readonly amountMinor: number;
  readonly at: number;
  readonly paidAtGlase: boolean;
}

export const GRADES: Record<string, Grade> = {
  "95": { id: "95", name: "Blyfri 95", unit: "L", unitPriceMinor: 1899, vatRatePercent: 25 },
  D: { id: "D", name: "Diesel", unit: "L", unitPriceMinor: 2049, vatRatePercent: 25 },
  AC: { id: "AC", name: "AC 22 kW", unit: "kWh", unitPriceMinor: 350, vatRatePercent: 25 },
};

export const TERMINALS = ["T0000000000000001", "T0000000000000002", "T0000000000000003", "T0000000000000009"].map((terminalId) => ({ terminalId, password: `pw-${terminalId.slice(-1)}` }));
export const RESELLER: ResellerCredentials = { resellerId: "model_shop", userId: "9900", password: "shop-pass" };
export const FUEL_POINTS: readonly PointId[] = [1, 2, 3];
export const KIOSK_POINT: PointId = 9;
const SHM = "/dev/shm/glase-model";

const SILENT: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => SILENT };

/** Disk full during compaction: its DELETE aborts, so compact() rolls its transaction back. */
function failCompactions(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => err && reject(err));
    db.exec(
      "CREATE TRIGGER IF NOT EXISTS model_disk_full BEFORE DELETE ON steps BEGIN SELECT RAISE(ABORT, 'database or disk is full (model fault)'); END;",
      (err) => db.close(() => (err ? reject(err) : resolve())),
    );
  });
}

const immediate = () => new Promise<void>((r) => setImmediate(r));

let template: Promise<string> | undefined;

/**
 * An empty journal, migrated once per process by the real openJournal: each run starts from a copy
 * of it (the same file the migrations make, without running five schema transactions per run — a
 * few per cent of the campaign). Removed when the process exits.
 */
function emptyJournal(): Promise<string> {
  template ??= (async () => {
    const path = `${SHM}/${process.pid}-template.db`;
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    await (await openJournal({ path })).close();
    process.once("exit", () => rmSync(path, { force: true }));
    return path;
  })();
  return template;
}

export class World {
  readonly clock = new WorldClock();
  readonly model: GlaseModel;
  readonly wire: GlaseWire;
  readonly board: DispenserModel;
  readonly customers: Customers;
  readonly points: readonly PointConfig[];
  readonly settings: EngineSettings;
  readonly io: IoTracker = { inflight: 0 };
  readonly alarms: { readonly gen: number; readonly mono: number; readonly alarm: AlarmInfo }[] = [];
  /** Latest summary of every flow any generation reported. */
  readonly flows = new Map<string, FlowSummary>();
  readonly releases: ReleaseRecord[] = [];
  readonly tech: TechRecord[] = [];
  /** Parked flows a technician marked settled ("it is there"): their word, not Glase's ledger, ends them. */
  readonly markedSettled = new Set<string>();
  readonly violations: Violation[] = [];
  readonly kills: { readonly at: number; readonly phases: readonly string[] }[] = [];
  /** Point → event number at which a technician stopped it (deleted on resume). */
  readonly stopped = new Map<PointId, number>();
  /** Kiosk sales through the engine-backed KioskHost and their controller (kiosk-sales.ts). */
  readonly sales = new KioskSales(this);
  gen: Generation = { id: 0, alive: false, dropInFlight: false };
  engine?: PaymentEngine;
  kioskHost?: EngineKioskHost;
  /** Shared by the kiosk host's refunds and the technician's refunds of kiosk payments (as in the daemon). */
  refundGuard?: RefundGuard;
  journal?: GatedJournal;
  eventNo = 0;
  releaseFails = 0;
  readonly path: string;
  private readonly random: () => number;

  constructor(readonly config: WorldConfig, runId: string) {
    mkdirSync(SHM, { recursive: true });
    this.path = `${SHM}/${process.pid}-${runId}.db`;
    this.random = prng(config.seed);
    const terminalOf = (p: PointId) => (p === KIOSK_POINT ? TERMINALS[3]! : config.sharedTerminal && p === 2 ? TERMINALS[0]! : TERMINALS[p - 1]!);
    this.points = [
      { id: 1, kind: "fuel", terminal: terminalOf(1), currency: "SEK", maxPreliminaryMinor: 50_000, stationName: "Model Station", grades: [GRADES["95"]!] },
      { id: 2, kind: "fuel", terminal: terminalOf(2), currency: "SEK", maxPreliminaryMinor: 50_000, stationName: "Model Station", grades: [GRADES.D!] },
      { id: 3, kind: "ev", terminal: terminalOf(3), currency: "SEK", maxPreliminaryMinor: 30_000, stationName: "Model Station", grades: [GRADES.AC!] },
      { id: KIOSK_POINT, kind: "kiosk", terminal: terminalOf(KIOSK_POINT), currency: "SEK", maxPreliminaryMinor: 0, stationName: "Model Kiosk" },
    ];
    this.settings = {
      commitReservationTimeoutS: config.commitTimeoutS,
      commitSafetyMarginS: 60,
      pollIntervalMs: 1000,
      reservationWaitMs: 120_000,
      nozzleLiftTimeoutMs: 120_000,
      deliveryStallMs: 30_000,
      posWindowMs: 30_000,
      posExtraWindows: 1,
      retryBaseMs: 500,
      retryMaxMs: 30_000,
      reportWaitMs: 5_000,
      reportRetryMs: 10_000,
      reportMaxRetries: 30,
      submitReceipts: config.submitReceipts,
      glaseCallTimeoutMs: 10_000,
      retentionMs: config.compactionFault ? 60_000 : 30 * 60_000,
    };
    this.model = new GlaseModel(this.clock, {
      terminals: TERMINALS.map((t) => ({ ...t, currency: "SEK" })),
      reseller: RESELLER,
      reversalMs: 20_000,
      reportNotReadyMs: config.reportNotReadyMs,
      ...(config.refundRowCashier ? { refundRowCashier: config.refundRowCashier } : {}),
    });
    this.wire = new GlaseWire(this.clock, this.model, config.latencyMs);
    this.board = new DispenserModel(this.clock, [
      { id: 1, grade: GRADES["95"]! },
      { id: 2, grade: GRADES.D! },
      { id: 3, grade: GRADES.AC! },
    ]);
    this.customers = new Customers(this.clock, this.model, this.board, (p) => terminalOf(p).terminalId);
  }

  terminalOf(point: PointId): string {
    return this.points.find((p) => p.id === point)!.terminal.terminalId;
  }

  violate(code: string, message: string): void {
    this.violations.push({ code, message, at: this.clock.mono });
  }

  private readonly flagged = new Set<string>();

  /** A violation about one thing (an invoice, a flow) is reported once, however often it is seen. */
  violateOnce(key: string, code: string, message: string): void {
    if (this.flagged.has(key)) return;
    this.flagged.add(key);
    this.violate(code, message);
  }

  onAlarm?: (a: AlarmInfo) => void;
  /** Armed by KillAt: SIGKILL as soon as some flow enters this phase (right after its journal write). */
  killAt?: { readonly phase: string; readonly dropInFlight: boolean; due: boolean };
  /** Called after every kill, before the restart (the judge checks the journal then). */
  onKilled?: () => Promise<void>;

  alarmedFlow(flowId: string, before = Infinity): boolean {
    return this.alarms.some((a) => a.alarm.flowId === flowId && a.mono <= before);
  }

  // ---- engine generations ---------------------------------------------------------------------

  async boot(): Promise<void> {
    const gen: Generation = { id: this.gen.id + 1, alive: true, dropInFlight: false };
    this.gen = gen;
    if (gen.id === 1 && !existsSync(this.path)) copyFileSync(await emptyJournal(), this.path);
    const journal = new GatedJournal(await openJournal({ path: this.path }), gen, this.io, this.config.compactionFault);
    if (this.config.compactionFault && gen.id === 1) await failCompactions(this.path);
    const random = prng(this.config.seed * 31 + gen.id);
    const engine = createPaymentEngine({
      journal,
      glase: this.wire.api(gen),
      dispenser: this.board.controller(gen),
      points: this.points,
      reseller: RESELLER,
      settings: this.settings,
      scheduler: this.clock.schedulerFor(() => gen.alive, "engine"),
      logger: SILENT,
      random,
      release: (point, amountMinor, flowId) => (this.sales.owns(flowId) ? host.release(point, amountMinor, flowId) : this.release(gen, point, amountMinor, flowId)),
    });
    // Wired as the daemon wires it (agent/daemon/kiosk-station.ts): load before the engine starts, resume after.
    this.refundGuard = new RefundGuard(journal);
    const host: EngineKioskHost = new EngineKioskHost({
      points: [{ id: KIOSK_POINT, currency: "SEK", glaseId: "GL9", name: "Model Kiosk", maxAmountMinor: 50_000, terminalId: this.terminalOf(KIOSK_POINT) }],
      engine: () => engine,
      events$: engine.events$,
      journal,
      scheduler: this.clock.schedulerFor(() => gen.alive, "kiosk"),
      logger: SILENT,
      releaseTimeoutMs: RELEASE_TIMEOUT_MS,
      refundGuard: this.refundGuard,
      submitReceipts: this.config.submitReceipts,
      random: prng(this.config.seed * 37 + gen.id),
    });
    this.kioskHost = host;
    engine.events$.subscribe((e) => {
      if (!gen.alive) return;
      if (e.type === "alarm") {
        this.alarms.push({ gen: gen.id, mono: this.clock.mono, alarm: e.alarm });
        this.onAlarm?.(e.alarm);
      }
      else if (e.type === "flow") {
        this.flows.set(e.flow.flowId, e.flow);
        if (this.killAt && e.flow.state === this.killAt.phase) this.killAt.due = true;
      }
    });
    this.engine = engine;
    this.journal = journal;
    await host.load();
    await engine.start();
    await host.resume();
    await this.sales.attach(gen, host);
    await this.settle();
  }

  /** SIGKILL: everything in memory is gone; requests already on the wire arrive unless dropped. */
  async kill(dropInFlight: boolean): Promise<void> {
    await this.settle();
    const engine = this.engine;
    const journal = this.journal;
    if (!engine || !journal) return;
    this.kills.push({ at: this.clock.mono, phases: [...engine.snapshot().flows.filter((f) => !f.finished).map((f) => `${f.kind}:${f.state}`), ...this.sales.openPhases()] });
    this.gen.alive = false;
    this.kioskHost?.close();
    this.kioskHost = undefined;
    this.gen.dropInFlight = dropInFlight;
    this.engine = undefined;
    this.journal = undefined;
    await this.waitIo();
    await journal.inner.close();
    await engine.close();
  }

  private release(gen: Generation, point: PointId, amountMinor: number, flowId: string): Promise<void> {
    const paid = this.model.invoicesOf(flowId).some((i) => i.status === "PAID");
    this.releases.push({ flowId, point, amountMinor, at: this.clock.mono, paidAtGlase: paid });
    const fail = this.releaseFails > 0 && (this.releaseFails--, true);
    return new Promise((resolve, reject) =>
      this.clock.schedule(200, () => gen.alive && (fail ? reject(new Error("vend jam")) : resolve()), "release"),
    );
  }

  // ---- time -----------------------------------------------------------------------------------

  private async waitIo(): Promise<void> {
    while (this.io.inflight > 0) await immediate();
  }

  /** Lets the process run until nothing is inside SQLite and every promise chain has moved on. */
  async settle(): Promise<void> {
    for (;;) {
      await immediate();
      if (this.io.inflight > 0) continue;
      await immediate();
      if (this.io.inflight === 0) return;
    }
  }

  /** Fires every event up to mono time t, one at a time, settling after each. */
  async runUntil(t: number, stop?: () => boolean): Promise<number> {
    let fired = 0;
    await this.settle();
    await this.killIfDue();
    while (this.clock.fireNext(t)) {
      fired++;
      await this.settle();
      await this.killIfDue();
      if (stop && stop()) return fired;
    }
    this.clock.mono = Math.max(this.clock.mono, t);
    return fired;
  }

  advance(ms: number): Promise<number> {
    return this.runUntil(this.clock.mono + ms);
  }

  /** Every flow finished or parked and (unless flowsOnly) nothing but the engine's housekeeping pending. */
  quiet(flowsOnly = false): boolean {
    if (!this.engine) return !flowsOnly && this.clock.pendingExcept(["engine"]) > 0 ? false : true;
    // A kiosk refund that waits behind a parked refund of its terminal retries until a technician settles that one.
    const waiting = this.sales.blockedByParked(this.engine.snapshot().flows);
    if (!flowsOnly && this.clock.pendingExcept(waiting ? ["engine", "kiosk"] : ["engine"]) > 0) return false;
    return this.engine.snapshot().flows.every((f) => f.finished || f.parked || this.sales.resting(f.flowId));
  }

  private async killIfDue(): Promise<void> {
    const k = this.killAt;
    if (!k?.due || !this.engine) return;
    this.killAt = undefined;
    await this.kill(k.dropInFlight);
    const last = this.kills.at(-1);
    if (last) this.kills[this.kills.length - 1] = { ...last, phases: [...last.phases, `at:${k.phase}`] };
    await this.onKilled?.();
    await this.boot();
  }

  /** Runs the clock forward until quiet (or the horizon); returns whether it got quiet. */
  async quiesce(horizonMs: number, flowsOnly = false): Promise<boolean> {
    const end = this.clock.mono + horizonMs;
    await this.settle();
    while (!this.quiet(flowsOnly)) {
      if (!this.clock.fireNext(end)) return false;
      await this.settle();
    }
    return true;
  }

  async dispose(): Promise<void> {
    if (this.engine) await this.kill(true);
    await this.waitIo();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(this.path + suffix, { force: true });
  }

  /** Everything that happened, for MODEL_TRACE=1 replays: requests, alarms, sales, flows. */
  trace(): string {
    const t = (ms: number) => `${((ms - EPOCH_START) / 1000).toFixed(3).padStart(9)}s`;
    const lines = this.wire.log.map((e) => `${t(e.sentAt)} g${e.gen} ${e.op} ${e.ref ?? ""} ${e.fault ?? ""} arrived=${e.arrivedAt !== undefined ? t(e.arrivedAt) : "-"} applied=${e.applied} code=${e.code ?? "-"}`);
    lines.push(...this.alarms.map((a) => `${t(a.mono)} g${a.gen} ALARM ${a.alarm.code} ${a.alarm.flowId ?? ""}: ${a.alarm.message}`));
    lines.push(...[...this.board.txs.values()].map((x) => `SALE ${x.id} p${x.point} ${x.state} milli=${x.milli} amount=${x.amountMinor} limit=${x.limitMinor} ${x.reason ?? ""} ended=${x.endedAt ? t(x.endedAt) : "-"}`));
    lines.push(...[...this.model.invoices.values()].map((i) => `INVOICE ${i.ref} ${i.clientInvoiceId} ${i.status} ${i.cause ?? ""} total=${i.totalMinor} paid=${i.paidMinor ?? "-"} v${i.version}`));
    lines.push(...[...this.flows.values()].map((f) => `FLOW ${f.flowId} ${f.kind} ${f.state} ${f.outcome ?? ""}`));
    return lines.sort().join("\n");
  }

  /** Seeded draw for the world's own choices (never Math.random: runs replay). */
  draw(): number {
    return this.random();
  }
}
