// The Technotrade PTS-2 forecourt controller as a DispenserController, over jsonPTS (POST /jsonPTS).
//
// - Every pollIntervalMs one request asks PumpGetStatus of every configured pump (batched); each
//   answer goes through pump-tracker.ts, which turns it into the agent's events (a nozzle lift is
//   the customer's call, filling is progress, end of transaction is the end with the controller's
//   own figures) and into follow-ups this file performs (read a transaction back, close it, stop it).
//   A status upload from the controller (upload-receiver.ts) only makes the next poll come sooner.
// - authorize: PumpAuthorize with an Amount dose = the reserved limit, on the lifted nozzle, at the
//   configured price, under a transaction number chosen and recorded first (authorize.ts).
// - stop: PumpStop, then the poll keeps stopping (PumpEmergencyStop after stopTimeoutMs) until the
//   controller shows the end; a sale record of a stopped transaction is final only then.
// - saleRecord: PumpGetTransactionInformation for the flow's transaction (recovery, lost links).
// - settled: PumpCloseTransaction once the flow says the money is settled.
// - The controller's fuel grades are read at every link-up and every priceCheckIntervalMs and
//   checked against the configured ones: a mismatch is a fault event, never a silent price.
// The follow-ups are in tx-follow-ups.ts, the grade reads in catalog-sync.ts (parts.ts: what they share).
import type { Scheduler } from "../../base/clock.ts";
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import { notifyListeners } from "../../base/listeners.ts";
import type { AuthorizeCommand, ControllerInfo, DispenserController, DispenserEvent, Grade, PointId, PointStatus, SaleRecord, SaleVerdict, Unsubscribe } from "../../contracts/dispenser.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";
import { authorizeTransaction } from "./authorize.ts";
import { planAuthorization } from "./authorize-plan.ts";
import { OwnUser } from "./own-user.ts";
import { PollLoop } from "./poll-loop.ts";
import { ControllerNumbering, notHonouredMessage, notHonouredRefusal } from "./numbering.ts";
import { technicianVerdict } from "./technician-verdict.ts";
import { stoppable } from "./stop-gate.ts";
import { stopPump } from "./stop-point.ts";
import type { Pts2Config } from "./config.ts";
import { decodeFirmware } from "./decode-config.ts";
import { type PumpObservation, decodePumpStatus } from "./decode-status.ts";
import { readTransaction } from "./ownership.ts";
import { type ExchangeStats, type PacketPoster, PacketExchange } from "./exchange.ts";
import { GradeCatalog } from "./grades.ts";
import { CatalogSync } from "./catalog-sync.ts";
import { TxFollowUps } from "./tx-follow-ups.ts";
import { INITIAL_VIEW, type PumpView, observePump } from "./pump-tracker.ts";
import { pointStatusOf, saleRecordOf } from "./sale-record.ts";
import { ReachGap } from "./reach-gap.ts";
import { unconfirmedSince, unprovenAfterGap } from "./still-ours.ts";
import { type TxRecord, TransactionBook } from "./transactions.ts";
import type { WireUnits } from "./units.ts";

export interface Pts2Deps {
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  readonly store: DriverStore;
}

export interface Pts2Stats extends ExchangeStats {
  readonly polls: number;
  readonly badStatuses: number;
}

export class Pts2Controller implements DispenserController {
  readonly exchange: PacketExchange;
  private readonly units: WireUnits;
  /** Alarms raised once per process (a condition read again and again). */
  private readonly raisedOnce = new Set<string>();
  private readonly log: Logger;
  private readonly scheduler: Scheduler;
  private readonly book: TransactionBook;
  private readonly catalog: GradeCatalog;
  private readonly listeners = new Set<(e: DispenserEvent) => void>();
  private readonly views = new Map<number, PumpView>();
  private readonly lastObs = new Map<number, PumpObservation>();
  private readonly pumpOfPoint = new Map<number, number>();
  private readonly pointOfPump = new Map<number, number>();
  private readonly ownUser: OwnUser;
  private readonly numbering: ControllerNumbering;
  private readonly grades: CatalogSync;
  private readonly followUps: TxFollowUps;
  /** The controller FuelGradeIds the agent sells (decoded strictly; others tolerantly). */
  private readonly sold: ReadonlySet<number>;
  private readonly authorizing = new Set<string>();
  private readonly linkWaiters = new Set<() => void>();
  private readonly loop: PollLoop;
  private closed = false;
  /** The last time a request could not reach the controller at all (kept across restarts, R14-3). */
  private readonly gap: ReachGap;
  /**
   * The last request that failed in any way (indefinite ones too: a reset mid-request, a booting
   * controller's 5xx) or the agent's start — a reboot may hide behind each, with no gap recorded
   * (review 14t, T3). Memory only: a restart is itself such a moment.
   */
  private doubtAt = -Infinity;
  private counters = { polls: 0, badStatuses: 0 };

  constructor(
    private readonly config: Pts2Config,
    deps: Pts2Deps,
    poster: PacketPoster,
  ) {
    this.log = deps.logger;
    this.scheduler = deps.scheduler;
    this.book = new TransactionBook(deps.store, () => this.scheduler.now());
    this.ownUser = new OwnUser(deps.store, config.controllerUserId, this.log, config.auth.scheme === "none" ? undefined : config.auth.user);
    this.numbering = new ControllerNumbering(deps.store, config.numbersHonouredSince, this.log, () => this.scheduler.now());
    this.gap = new ReachGap(deps.store, this.log, () => this.scheduler.now());
    this.sold = new Set(config.grades.map((g) => g.ptsFuelGradeId));
    this.units = { moneyDigits: config.moneyDigits, priceDigits: config.priceDigits };
    this.catalog = new GradeCatalog(config.grades);
    for (const { point, pump } of config.points) {
      this.pumpOfPoint.set(point, pump);
      this.pointOfPump.set(pump, point);
    }
    this.exchange = new PacketExchange(poster, {
      maxPacketsPerRequest: config.maxPacketsPerRequest,
      logger: this.log,
      onLink: (up, err) => this.onLink(up, err),
      // Not reached at all (refused, unreachable, no connection in time; not a refused login): the
      // controller may have been rebooting — a gap a lost record fits in (user-check.ts, FINAL-3).
      onFailure: (err) => {
        if (err.kind !== "auth") this.doubtAt = this.scheduler.now();
        if (!err.indefinite && err.kind !== "auth") this.gap.unreachable();
      },
    });
    const parts = { config, exchange: this.exchange, book: this.book, catalog: this.catalog, units: this.units, ownUser: this.ownUser, log: this.log, scheduler: this.scheduler, emit: (e: DispenserEvent) => this.emit(e) };
    this.grades = new CatalogSync({ ...parts, sold: this.sold, raiseOnce: (e) => this.raiseOnce(e) });
    this.followUps = new TxFollowUps({ ...parts, authorizing: this.authorizing, pollSoon: () => this.pollSoon(), saleRecord: (flowId) => this.saleRecord(flowId), endDoubted: (r) => r.readBackUserId !== undefined && r.ended !== undefined && (this.doubtAt > r.ended.at || this.gap.unreachableAt >= r.ended.at) });
    this.loop = new PollLoop(this.scheduler, config.pollIntervalMs, () => this.pollOnce(), (err) => this.log.debug("pts_poll_failed", { err }));
  }

  /** Loads the transaction records and starts polling. */
  async start(): Promise<void> {
    await this.book.load(this.config.retentionMs, this.units);
    await this.ownUser.load();
    await this.numbering.load();
    await this.gap.load();
    this.doubtAt = this.scheduler.now();
    const flagged = this.numbering.notHonoured();
    if (flagged) this.log.warn("pts_numbers_not_honoured", { ...flagged, next: "no authorization until numbersHonouredSince is set" });
    this.loop.start();
    this.grades.schedulePriceCheck();
  }

  waitForLink(timeoutMs: number): Promise<void> {
    if (this.exchange.stats().linkUp) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => (cancel(), this.linkWaiters.delete(done), resolve());
      const cancel = this.scheduler.setTimer(timeoutMs, () => {
        this.linkWaiters.delete(done);
        reject(new AgentError("DEVICE_DISCONNECTED", `PTS-2 controller did not answer within ${timeoutMs} ms`, { timeoutMs }));
      });
      this.linkWaiters.add(done);
    });
  }

  /** Poll now instead of at the next interval (or right after the poll under way). */
  pollSoon(): void {
    this.loop.soon();
  }

  /** The controller pushed a status upload: poll sooner, within poll-loop.ts's limit. */
  uploadArrived(): void {
    this.loop.upload();
  }

  stats(): Pts2Stats {
    return { ...this.exchange.stats(), ...this.counters };
  }

  // ---- DispenserController ---------------------------------------------------------------------

  onEvent(listener: (event: DispenserEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async hello(): Promise<ControllerInfo> {
    const { data } = await this.exchange.request("GetFirmwareInformation");
    return { protocolVersion: "jsonPTS", firmware: decodeFirmware(data), points: this.config.points.length };
  }

  async status(): Promise<readonly PointStatus[]> {
    await this.pollOnce();
    const linkUp = this.exchange.stats().linkUp;
    return this.config.points.map(({ point, pump }) => pointStatusOf(point, this.lastObs.get(pump), linkUp, this.book));
  }

  async prices(): Promise<readonly Grade[]> {
    await this.grades.refreshCatalog();
    return this.catalog.asGrades();
  }

  async authorize(cmd: AuthorizeCommand): Promise<void> {
    const pump = this.pumpOf(cmd.point);
    if (cmd.currency !== this.config.currency) throw new AgentError("DEVICE_REJECTED", `currency ${cmd.currency} is not the controller's ${this.config.currency}`, { point: cmd.point, code: "PTS_CURRENCY" });
    if (!Number.isSafeInteger(cmd.limitMinor) || cmd.limitMinor <= 0) throw new AgentError("DEVICE_REJECTED", `limit must be a positive integer, got ${cmd.limitMinor}`, { point: cmd.point, code: "PTS_LIMIT" });
    const renumbered = this.numbering.notHonoured();
    if (renumbered) {
      this.raiseOnce({ type: "fault", point: cmd.point, code: "PTS_NUMBERS_NOT_HONOURED", message: notHonouredMessage(renumbered) });
      throw notHonouredRefusal(renumbered, pump, cmd.point);
    }
    if (!this.catalog.isLoaded) await this.grades.refreshCatalog();
    const obs = this.lastObs.get(pump);
    const { nozzle, grade } = planAuthorization(this.catalog, this.config, pump, cmd, obs);
    this.authorizing.add(cmd.transactionId);
    try {
      await authorizeTransaction(
        {
          flowId: cmd.transactionId,
          point: cmd.point,
          pump,
          nozzle,
          gradeId: grade.id,
          ptsFuelGradeId: grade.ptsFuelGradeId,
          priceMinor: grade.priceUnits,
          limitMinor: cmd.limitMinor,
          ...(obs?.kind === "idle" && obs.lastTransaction !== undefined ? { lastTransaction: obs.lastTransaction } : {}),
        },
        { exchange: this.exchange, book: this.book, now: () => this.scheduler.now(), logger: this.log, units: this.units, ownUser: this.ownUser, numbering: this.numbering, unreachableSince: this.gap.since, fault: (e) => this.emit(e) },
      );
    } finally {
      this.authorizing.delete(cmd.transactionId);
    }
    this.pollSoon();
  }

  async stop(point: PointId): Promise<void> {
    const pump = this.pumpOf(point);
    await stopPump(pump, {
      book: this.book,
      scheduler: this.scheduler,
      log: this.log,
      numbering: this.numbering,
      followUps: this.followUps,
      stopTimeoutMs: this.config.stopTimeoutMs,
      pollIntervalMs: this.config.pollIntervalMs,
      lastObs: (p) => this.lastObs.get(p),
      pollOnce: () => this.pollOnce(),
      unreachableAt: () => this.gap.unreachableAt,
      unconfirmed: (r) => unconfirmedSince(r, this.doubtAt),
      saleRecord: (flowId) => this.saleRecord(flowId),
      readTransaction: (r) => readTransaction(r, this.exchange, this.units),
      closed: () => this.closed,
    });
  }

  async display(point: PointId, text: string): Promise<void> {
    // jsonPTS has no free-text display request for pumps; the pump shows its own figures.
    this.log.debug("pts_display_unsupported", { point, text });
  }

  async saleRecord(transactionId: string): Promise<SaleRecord | undefined> {
    return saleRecordOf(transactionId, {
      book: this.book,
      exchange: this.exchange,
      units: this.units,
      now: () => this.scheduler.now(),
      ownUser: this.ownUser,
      logger: this.log,
      numbering: this.numbering,
      unreachableSince: this.gap.since,
      doubtSince: (at) => this.doubtAt > at,
      fault: (e) => this.raiseOnce(e),
      pumpOffline: (pump) => this.lastObs.get(pump)?.kind === "offline",
      gradeOfFuelGrade: (id) => this.catalog.ofFuelGrade(id)?.id,
      resendStop: (r) => (stoppable(r, this.lastObs.get(r.pump)) ? this.followUps.sendStop(r.pump, false, [r]).catch(() => undefined) : Promise.resolve()),
      pollEnd: (pump, t) => ((o) => (o?.kind === "end" && o.transaction === t ? o : undefined))(this.lastObs.get(pump)),
      ended: (r, figures) => this.followUps.noteEnded(r, figures),
    });
  }

  /** A technician's decision on a sale of unknown owner (technician-verdict.ts); the flow reads the sale again. */
  resolveSale(transactionId: string, verdict: SaleVerdict): Promise<void> {
    return technicianVerdict(this.book, transactionId, verdict, this.scheduler.now(), this.log, this.authorizing);
  }

  /** The flow finished with this transaction (paid, cancelled): close it on the controller. Idempotent. */
  async settled(transactionId: string): Promise<void> {
    const r = this.book.byFlow(transactionId);
    if (!r) return;
    // Lost on a "not found", our authorization may still run on the pump: the technician's cancel
    // revokes or stops it while the pump shows its number (review 14t, T4); nothing to close.
    if (r.lostNotFound === true && r.ended === undefined) {
      if (r.settled !== true) await this.book.update(r.flowId, () => ({ settled: true }));
      return this.stop(r.point).catch((err: unknown) => this.log.warn("pts_revoke_failed", { flowId: r.flowId, err }));
    }
    if (r.closedAt !== undefined) return;
    if (r.phase === "refused" || r.phase === "void") {
      // Still open, a given-up number is watched (pump-tracker.ts): its PumpAuthorize may land late,
      // and only the watch stops and alarms such a fill — closed here, it ran free under our user
      // (review 14v W3). The tracker closes it after closeUnsettledAfterMs.
      if (r.settled !== true) await this.book.update(r.flowId, () => ({ settled: true }));
      return;
    }
    const rec = await this.book.update(r.flowId, () => ({ settled: true }));
    if (rec.ended) await this.followUps.close1(rec).catch((err: unknown) => this.log.warn("pts_close_failed", { flowId: rec.flowId, err }));
    else {
      // Settled without an end (cancelled before the nozzle was lifted): revoke the authorization.
      await this.stop(rec.point).catch((err: unknown) => this.log.warn("pts_revoke_failed", { flowId: rec.flowId, err }));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.loop.close();
    this.grades.close();
    this.exchange.close();
    this.listeners.clear();
    await this.gap.durable();
  }

  // ---- polling ---------------------------------------------------------------------------------

  /** One PumpGetStatus of every pump; the answers go through the tracker. */
  async pollOnce(): Promise<void> {
    this.counters.polls++;
    // Without the nozzle assignment a lift has no grade: (re)read it before the statuses.
    if (!this.catalog.isLoaded) await this.grades.refreshCatalog().catch((err: unknown) => this.log.debug("pts_grades_unreadable", { err }));
    const pumps = this.config.points.map((p) => p.pump);
    const results = await this.exchange.requestAll(pumps.map((pump) => ({ type: "PumpGetStatus", data: { Pump: pump } })));
    for (const [i, r] of results.entries()) {
      if (this.closed) return;
      if (!r.ok) continue; // a transport failure already flipped the link; a refused packet is logged below
      let obs: PumpObservation;
      try {
        obs = decodePumpStatus(r.type, r.data, this.units);
        if (obs.pump !== pumps[i]) throw new AgentError("DEVICE_PROTOCOL", `status of pump ${obs.pump} answered for pump ${pumps[i]}`);
      } catch (err) {
        this.counters.badStatuses++;
        this.log.warn("pts_bad_status", { pump: pumps[i], err });
        continue;
      }
      await this.observe(obs);
    }
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.ok) throw failed.error;
  }

  private async observe(obs: PumpObservation): Promise<void> {
    const pump = obs.pump;
    const point = this.pointOfPump.get(pump)!;
    this.lastObs.set(pump, obs);
    const step = observePump(this.views.get(pump) ?? INITIAL_VIEW, obs, {
      point,
      records: this.book.openOn(pump),
      gradeOfNozzle: (n) => this.catalog.gradeOfNozzle(pump, n),
      gradeOfFuelGrade: (id) => this.catalog.ofFuelGrade(id)?.id,
      now: this.scheduler.now(),
      stopConfirmedAt: (t) => this.followUps.stopConfirmed.get(`${pump}:${t}`),
      stopTimeoutMs: this.config.stopTimeoutMs,
      closeUnsettledAfterMs: this.config.closeUnsettledAfterMs,
      units: this.units,
      unproven: (r) => unprovenAfterGap(r, this.gap.unreachableAt),
      unconfirmed: (r) => unconfirmedSince(r, this.doubtAt),
    });
    this.views.set(pump, step.view);
    for (const e of step.events) this.emit(e);
    for (const a of step.actions) await this.followUps.perform(a).catch((err: unknown) => this.log.warn("pts_followup_failed", { action: a.type, flowId: a.record.flowId, err }));
  }

  // ---- link and helpers ------------------------------------------------------------------------

  private onLink(up: boolean, err?: AgentError): void {
    if (up) {
      this.gap.reached();
      this.log.info("pts_link_up", {});
      for (const w of [...this.linkWaiters]) w();
      void this.grades.refreshCatalog().catch((e: unknown) => this.log.warn("pts_grades_unreadable", { err: e }));
    } else this.log.warn("pts_link_down", { err });
    this.emit({ type: "link", up });
  }

  private pumpOf(point: PointId): number {
    const pump = this.pumpOfPoint.get(point);
    if (pump === undefined) throw new AgentError("DEVICE_REJECTED", `point ${point} is not a pump of this PTS-2 controller`, { point, code: "PTS_NO_POINT" });
    return pump;
  }

  private raiseOnce(e: Extract<DispenserEvent, { type: "fault" }>): void {
    const key = `${e.code}:${e.transactionId ?? ""}`;
    if (this.raisedOnce.has(key)) return;
    this.raisedOnce.add(key);
    this.emit(e);
  }

  private emit(e: DispenserEvent): void {
    notifyListeners(this.listeners, e, this.log);
  }
}

