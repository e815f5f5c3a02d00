// The charging sessions: the agent's side of a paid OCPP transaction, from RemoteStartTransaction
// to the one `end` event the payment flow settles. Every change is written to the sale book
// before the charger is answered or an end is reported; an end is reported exactly once, by the
// change that finished the session (a repeated or late StopTransaction only gets its answer).
//
//   authorize → RemoteStartTransaction(idTag of the flow) → StartTransaction: new transactionId
//   (a repeat gets the same one) → MeterValues: progress, and RemoteStopTransaction when the next
//   sample could pass the limit → StopTransaction.meterStop: end.
//   The agent's stops (limit, stop(point), fault, session time) are persisted and re-sent after a
//   reconnect; a charger still charging (Charging reported, or a sample taken after the stop: its
//   timestamp corrected for the charger's clock offset)
//   stopTimeoutS after a RemoteStop is settled as an overrun
//   (the reserved amount, `fault` OCPP_STOP_IGNORED). A charger that ended a session while the
//   agent was away and never sends its StopTransaction is settled with what was metered
//   (`fault` OCPP_STOP_MISSING).
import type { Scheduler } from "../../base/clock.ts";
import { priceOf } from "../../base/money.ts";
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { AuthorizeCommand, DeliveryEndReason, DispenserEvent, Grade, PointId, SaleRecord } from "../../contracts/dispenser.ts";
import type { ChargerLink } from "./charger-link.ts";
import type { ChargePointStatus, IdTagInfo, MeterValuesReq, StartTransactionReq, StopTransactionReq } from "./messages.ts";
import { applySample, DEFAULT_MAX_POWER_W, sampleOutcome, settleAtStop, settleProgress, type Plausibility } from "./metering.ts";
import { energyRegister, endReasonOf, idTagFor, inTransaction, type StopCause } from "./readings.ts";
import type { EndedBy, PlausibleTrack, Sale, SaleBook } from "./sales.ts";

/** Where a payment point is on the chargers. */
export interface PointBinding {
  readonly point: PointId;
  readonly chargePointId: string;
  readonly connectorId: number;
  readonly grade: Grade;
  readonly maxPowerW: number;
}

/** What the sessions need from the rest of the driver. */
export interface SessionHost {
  readonly scheduler: Scheduler;
  readonly log: Logger;
  readonly currency: string;
  readonly meterSampleIntervalS: number;
  /** Charger seconds per real second (1 for real chargers; a sped-up virtual station's more): maxPowerW × this is power on the agent's clock. */
  readonly powerScale: number;
  readonly maxSessionMs: number;
  readonly stopTimeoutMs: number;
  readonly lateStopWaitMs: number;
  binding(point: PointId): PointBinding | undefined;
  /** The open connection to a charger, if any. */
  link(chargePointId: string): ChargerLink | undefined;
  /** Connected and its connector states reported since: what it says now can be believed. */
  known(chargePointId: string): boolean;
  /** When the charger's current connection opened (undefined: not connected). */
  connectedSince(chargePointId: string): number | undefined;
  connectorStatus(chargePointId: string, connectorId: number): ChargePointStatus | undefined;
  /** The connector's status if the charger reported it on its current connection (else undefined: not known now). */
  freshStatus(chargePointId: string, connectorId: number): ChargePointStatus | undefined;
  /** When (agent clock) the connector's current status was reported (undefined: never). */
  statusAt(chargePointId: string, connectorId: number): number | undefined;
  emit(event: DispenserEvent): void;
}

type TimerKind = "session" | "stop" | "missing";

const refuse = (reason: string, message: string, context: Record<string, unknown> = {}) => new AgentError("DEVICE_REJECTED", message, { ...context, reason });

/** The progress a session may settle without a usable meterStop: its plausible track's (a sale from before that track: its own). */
const settleableOf = (s: Sale): { milli: number; implausible?: number } => ({ milli: s.plausible?.milli ?? s.milli, ...(s.plausible?.implausible ? { implausible: s.plausible.implausible } : {}) });
const rawTrackOf = (s: Sale, meterStartWh: number): PlausibleTrack => {
  const { meterBaseWh, carriedWh, meterLastWh, meterLastAt, meterResets, meterPrevWh, meterPrevBaseWh, meterPrevCarriedWh, milli } = s;
  const fields = { meterBaseWh: meterBaseWh ?? meterStartWh, carriedWh, meterLastWh: meterLastWh ?? meterStartWh, meterLastAt, meterResets, meterPrevWh, meterPrevBaseWh, meterPrevCarriedWh };
  return { ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)), milli };
};
const implausibleNote = (s: Sale): string => (s.plausible?.implausible ? `; ${s.plausible.implausible} reading(s) above the rated power ignored` : "");

/** Largest energy (Wh) whose price, rounded half up, stays within the limit. */
function limitMilliFor(limitMinor: number, unitPriceMinor: number): number {
  return Math.floor((limitMinor * 1000 + 499) / unitPriceMinor);
}

export class Sessions {
  private readonly timers = new Map<string, Map<TimerKind, () => void>>();
  /** Energy added by each session's last sample (Wh): what the next one may add again. */
  private readonly lastStepWh = new Map<string, number>();
  private readonly finishWaiters = new Map<string, Set<{ resolve: () => void; reject: (e: unknown) => void }>>();
  /** When the agent last sent each session's RemoteStopTransaction, and the meter timestamp (charger clock, raw) of the last sample that grew its register. */
  private readonly stopSentAt = new Map<string, number>();
  private readonly grewMeterAt = new Map<string, number>();
  /**
   * Each session's charger clock offset estimate (ms, agent − charger): the least (arrival −
   * timestamp) over its StartTransaction and samples. A message arrives after it was stamped, so
   * the least one is the offset plus the shortest transit: a meter timestamp plus it is when
   * (agent clock) the sample was taken, at the latest — whatever the charger's clock says.
   */
  private readonly clockOffset = new Map<string, number>();

  constructor(
    private readonly host: SessionHost,
    private readonly book: SaleBook,
  ) {}

  /** After loading the book: the session-time limit of every open session runs again. */
  resume(): void {
    for (const s of this.book.open()) this.armSessionTimer(s);
  }

  // ---- the payment flow's commands ---------------------------------------------------------------

  async authorize(cmd: AuthorizeCommand): Promise<void> {
    const b = this.host.binding(cmd.point);
    if (!b) throw refuse("NOPOINT", `no charge point is mapped to point ${cmd.point}`, { point: cmd.point });
    const existing = this.book.get(cmd.transactionId);
    if (existing) {
      // The same flow again (a retry after a lost answer) is not a second session.
      if (existing.point !== cmd.point) throw refuse("BUSY", `transaction ${cmd.transactionId} belongs to point ${existing.point}`);
      if (existing.state === "finished") throw refuse("DONE", `transaction ${cmd.transactionId} already finished`);
      return;
    }
    if (cmd.currency !== this.host.currency) throw refuse("CURRENCY", `currency ${cmd.currency} not accepted (chargers sell in ${this.host.currency})`);
    if (!Number.isSafeInteger(cmd.limitMinor) || cmd.limitMinor <= 0) throw refuse("LIMIT", `limit must be a positive integer, got ${cmd.limitMinor}`);
    if (cmd.gradeId !== undefined && cmd.gradeId !== b.grade.id) throw refuse("GRADE", `point ${cmd.point} sells ${b.grade.id}, not ${cmd.gradeId}`);
    const busy = this.book.openOn(cmd.point);
    if (busy) throw refuse("BUSY", `point ${cmd.point} busy with ${busy.transactionId}`);
    const link = this.host.link(b.chargePointId);
    if (!link) throw new AgentError("DEVICE_DISCONNECTED", `charger ${b.chargePointId} is not connected`, { point: cmd.point });
    const status = this.host.connectorStatus(b.chargePointId, b.connectorId);
    const whole = this.host.connectorStatus(b.chargePointId, 0);
    if (status === "Faulted" || whole === "Faulted") throw refuse("FAULT", `point ${cmd.point} is faulted${whole === "Faulted" ? ` (charger ${b.chargePointId} as a whole, connector 0)` : ""}`);
    if (whole === "Unavailable") throw refuse("BUSY", `charger ${b.chargePointId} is out of service (connector 0 Unavailable)`);
    if (status !== "Preparing") throw refuse("BUSY", `point ${cmd.point} is ${status ?? "in an unknown state"}, not waiting for a session (Preparing)`);

    const sale: Sale = {
      transactionId: cmd.transactionId,
      idTag: idTagFor(cmd.transactionId),
      chargePointId: b.chargePointId,
      connectorId: b.connectorId,
      point: b.point,
      gradeId: b.grade.id,
      unitPriceMinor: b.grade.unitPriceMinor,
      limitMinor: cmd.limitMinor,
      currency: cmd.currency,
      state: "authorized",
      authorizedAt: this.host.scheduler.now(),
      milli: 0,
      amountMinor: 0,
    };
    // Durable before the charger hears of it: its StartTransaction is recognised even after a crash.
    await this.book.put(sale);
    this.armSessionTimer(sale);
    const conf = await link.call("RemoteStartTransaction", { connectorId: b.connectorId, idTag: sale.idTag });
    if (conf.status !== "Accepted") {
      await this.finish(sale.transactionId, () => ({ reason: "stopped", endedBy: "canceled" }), { silent: true });
      throw refuse("CHARGER_REFUSED", `charger ${b.chargePointId} refused RemoteStartTransaction on connector ${b.connectorId}`, { point: cmd.point });
    }
  }

  /** Resolves once the session on the point has ended (its `end` reported); no session: at once. */
  async stop(point: PointId): Promise<void> {
    const b = this.host.binding(point);
    if (!b) throw refuse("NOPOINT", `no charge point is mapped to point ${point}`, { point });
    const sale = this.book.openOn(point);
    if (!sale) return;
    const ended = this.waitFinished(sale.transactionId);
    ended.catch(() => undefined);
    await this.requestStop(sale.transactionId, "stopped");
    if (this.book.get(sale.transactionId)?.state === "finished") return;
    if (!this.host.link(b.chargePointId)) {
      throw new AgentError("DEVICE_DISCONNECTED", `charger ${b.chargePointId} is offline: the stop goes out when it reconnects`, { point });
    }
    await ended;
  }

  /** What is known of a flow's session; rejects while it cannot be known (charger away, stop under way). */
  saleRecord(transactionId: string): SaleRecord | undefined {
    const s = this.book.get(transactionId);
    if (!s) return undefined;
    if (s.state !== "finished") {
      if (!this.host.known(s.chargePointId)) {
        throw new AgentError("DEVICE_DISCONNECTED", `charger ${s.chargePointId} is not connected: session ${transactionId} unknown until it reports`, { transactionId });
      }
      if (s.stop) throw new AgentError("DEVICE_TIMEOUT", `session ${transactionId} is stopping; its end is not reported yet`, { transactionId });
    }
    return {
      transactionId: s.transactionId,
      point: s.point,
      state: s.state,
      gradeId: s.gradeId,
      milli: s.milli,
      amountMinor: s.amountMinor,
      unitPriceMinor: s.unitPriceMinor,
      limitMinor: s.limitMinor,
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
    };
  }

  // ---- the charger's transaction messages ---------------------------------------------------------

  onAuthorize(chargePointId: string, idTag: string): IdTagInfo {
    const s = this.book.byIdTag(chargePointId, idTag);
    return { status: s && s.state === "authorized" && !s.stop ? "Accepted" : "Invalid" };
  }

  async onStartTransaction(chargePointId: string, req: StartTransactionReq): Promise<{ transactionId: number; idTagInfo: IdTagInfo }> {
    const s = this.book.byIdTag(chargePointId, req.idTag);
    if (s?.ocppTransactionId !== undefined && s.connectorId === req.connectorId && s.meterStartWh === req.meterStart) {
      return { transactionId: s.ocppTransactionId, idTagInfo: { status: "Accepted" } }; // a repeat: same answer
    }
    if (!s || s.state !== "authorized" || s.connectorId !== req.connectorId) {
      // Not a session the agent started (a card, a reused tag, another connector): the charger
      // must stop it. It still needs a transaction id of its own.
      const transactionId = await this.book.allocateTransactionId();
      this.host.log.warn("start_refused", { chargePointId, connectorId: req.connectorId, idTag: req.idTag, transactionId, known: s !== undefined });
      // Refused is not stopped: a charger with StopTransactionOnInvalidId=false keeps charging
      // (free energy, a blocked connector) — told to stop once the refusal has gone out.
      this.stopStray(chargePointId, transactionId);
      return { transactionId, idTagInfo: { status: "Invalid" } };
    }
    const transactionId = await this.book.allocateTransactionId();
    // The sale may have changed during that durable write (a cancel, a stop, another start): act
    // on what it is now, never write back the copy read before the await.
    const cur = this.book.get(s.transactionId);
    if (!cur || cur.state !== "authorized" || cur.ocppTransactionId !== undefined) {
      if (cur?.ocppTransactionId !== undefined && cur.state !== "finished" && cur.connectorId === req.connectorId && cur.meterStartWh === req.meterStart) {
        return { transactionId: cur.ocppTransactionId, idTagInfo: { status: "Accepted" } }; // another copy of this start won
      }
      // Ended meanwhile (its 0 Wh end is reported, the invoice cancelled): this charger must not
      // charge. Refused, and in case it charges anyway (StopTransactionOnInvalidId false), stopped.
      this.host.log.warn("start_after_end_refused", { chargePointId, connectorId: req.connectorId, flow: s.transactionId, transactionId, state: cur?.state });
      this.stopStray(chargePointId, transactionId);
      return { transactionId, idTagInfo: { status: cur?.state === "finished" || !cur ? "Invalid" : "ConcurrentTx" } };
    }
    this.observeClock(s.transactionId, Date.parse(req.timestamp));
    const started: Sale = { ...cur, state: "delivering", ocppTransactionId: transactionId, meterStartWh: req.meterStart, meterStartAt: Date.parse(req.timestamp), meterBaseWh: req.meterStart, meterLastWh: req.meterStart, startedAt: this.host.scheduler.now() };
    await this.book.put(started);
    this.host.log.info("session_started", { chargePointId, point: s.point, flow: s.transactionId, transactionId, meterStart: req.meterStart });
    this.host.emit({ type: "progress", point: s.point, transactionId: s.transactionId, milli: 0, amountMinor: 0 });
    // Stopped while the start was on its way (e.g. queued by an offline charger, or during the
    // write above): stop it now, after this answer has gone out with the id the stop names.
    if (this.book.get(s.transactionId)?.stop) this.host.scheduler.setTimer(0, () => this.sendStop(s.transactionId));
    return { transactionId, idTagInfo: { status: "Accepted" } };
  }

  async onMeterValues(chargePointId: string, req: MeterValuesReq): Promise<Record<string, never>> {
    const s = req.transactionId !== undefined ? this.book.byOcppTransaction(chargePointId, req.transactionId) : this.openOnConnector(chargePointId, req.connectorId);
    if (s && s.connectorId !== req.connectorId) {
      // Another connector's meter (connector 0 is the charger's main meter) is not this session's.
      this.host.log.warn("meter_values_other_connector", { chargePointId, transactionId: req.transactionId, connectorId: req.connectorId, sessionConnector: s.connectorId });
      return {};
    }
    const reading = energyRegister(req.meterValue);
    if (!s || s.state !== "delivering" || !reading || s.meterStartWh === undefined) return {};
    // A session that reports is alive: not "ended without a StopTransaction" (unless its
    // connector has said the transaction is over).
    if (!this.endedStatus(s)) this.clearTimer(s.transactionId, "missing");
    this.observeClock(s.transactionId, reading.at);
    const b = this.host.binding(s.point);
    const outcome = sampleOutcome({ ...s, meterStartWh: s.meterStartWh }, reading.wh, reading.at);
    // The same readings again, each step bounded by the rated power: what progress alone may settle.
    const plausible = this.plausibleTrack(s, s.meterStartWh, reading.wh, reading.at);
    if (outcome.kind === "stale") this.host.log.info("meter_value_stale", { chargePointId, point: s.point, register: reading.wh, last: s.meterLastWh, note: "older and lower than the last reading: a queued value delivered late" });
    if (outcome.kind === "reset" || outcome.kind === "glitch") {
      if (outcome.kind === "reset") this.host.log.warn("meter_register_reset", { chargePointId, point: s.point, flow: s.transactionId, register: reading.wh, previous: s.meterLastWh, metered: s.milli, resets: outcome.meterResets, note: "provisional: undone if the register comes back" });
      else this.host.log.warn("meter_register_glitch", { chargePointId, point: s.point, flow: s.transactionId, register: reading.wh, previous: s.meterLastWh, note: "back above the reading before the reset: that low reading was a glitch" });
    }
    const grew = (outcome.kind === "grew" || outcome.kind === "glitch") && outcome.milli > s.milli;
    const milli = grew ? outcome.milli : s.milli;
    const amountMinor = priceOf(milli, s.unitPriceMinor);
    if (grew && Number.isFinite(reading.at)) this.grewMeterAt.set(s.transactionId, reading.at);
    if ((outcome.kind !== "same" && outcome.kind !== "stale") || plausible !== s.plausible) await this.book.put({ ...applySample(s, outcome), milli, amountMinor, ...(plausible ? { plausible } : {}) });
    const now = this.book.get(s.transactionId);
    if (now?.state !== "delivering") return {};
    // Progress while energy flows or the charger says it is charging; a car that stops drawing
    // (SuspendedEV) is the flows' stall rule.
    if (grew || this.host.connectorStatus(chargePointId, s.connectorId) === "Charging") {
      this.host.emit({ type: "progress", point: s.point, transactionId: s.transactionId, milli, amountMinor });
    }
    // Stop before the next sample could pass the limit: what the last sample added, and at least
    // one interval at the connector's rated power.
    if (grew) this.lastStepWh.set(s.transactionId, milli - s.milli);
    const ratedWh = Math.ceil(((b?.maxPowerW ?? 0) * this.host.meterSampleIntervalS) / 3600);
    const marginWh = Math.max(ratedWh, this.lastStepWh.get(s.transactionId) ?? 0);
    if (!now.stop && priceOf(milli + marginWh, s.unitPriceMinor) >= s.limitMinor) {
      this.host.log.info("limit_reached", { point: s.point, flow: s.transactionId, milli, amountMinor, limitMinor: s.limitMinor, marginWh });
      void this.requestStop(s.transactionId, "limit");
    }
    return {};
  }

  /**
   * The session's plausible track after a reading: the reading applied with each step bounded by
   * the rated power on the agent's clock (metering.ts). A step above it is ignored there (logged,
   * and named in the alarm of a settlement of progress): it can never be settled from progress. Live progress, the limit
   * stop and the overrun evidence use the readings as received (a charger may deliver more than
   * its configured rating; stopping early is the safe mistake).
   */
  private plausibleTrack(s: Sale, meterStartWh: number, wh: number, at: number): PlausibleTrack | undefined {
    // No track yet (the first reading, or a session journaled before there was one): it starts as the raw track.
    const cur: PlausibleTrack = s.plausible ?? rawTrackOf(s, meterStartWh);
    const o = sampleOutcome({ ...cur, meterStartWh, ...(s.meterStartAt !== undefined ? { meterStartAt: s.meterStartAt } : {}) }, wh, at, { maxPowerW: this.realPowerW(s), arrivedAt: this.host.scheduler.now(), startedAt: s.startedAt ?? s.authorizedAt });
    if (o.kind === "same" || o.kind === "stale") return s.plausible;
    if (o.kind !== "implausible") {
      const { meterStartWh: _s, meterStartAt: _a, ...next } = applySample({ ...cur, meterStartWh, meterStartAt: s.meterStartAt }, o);
      return next;
    }
    const count = (cur.implausible ?? 0) + 1;
    // Logged now; it reaches an alarm only if progress is settled (OCPP_METER_RESET / OCPP_STOP_MISSING
    // name the ignored readings) — with a good meterStop it never touches the money.
    this.host.log.warn("meter_value_implausible", { chargePointId: s.chargePointId, point: s.point, flow: s.transactionId, register: wh, previous: cur.meterLastWh, stepWh: o.stepWh, allowedWh: o.allowedWh, count });
    return { ...cur, implausible: count };
  }

  async onStopTransaction(chargePointId: string, req: StopTransactionReq): Promise<{ idTagInfo?: IdTagInfo }> {
    const answer = req.idTag !== undefined ? { idTagInfo: { status: "Accepted" as const } } : {};
    const s = this.book.byOcppTransaction(chargePointId, req.transactionId);
    if (!s) {
      this.host.log.info("stop_of_unknown_transaction", { chargePointId, transactionId: req.transactionId, meterStop: req.meterStop });
      return answer;
    }
    const registerMilli = req.meterStop - (s.meterStartWh ?? req.meterStop);
    if (s.state === "finished") {
      if (s.endedBy !== "charger" && s.lateMeterStopWh === undefined) {
        // The agent settled this session without the charger's word; now the word came.
        await this.book.put({ ...s, lateMeterStopWh: req.meterStop });
        this.host.emit({
          type: "fault",
          point: s.point,
          code: "OCPP_LATE_STOP",
          message: `charger ${chargePointId} reported the end of transaction ${req.transactionId} late: metered ${Math.max(0, registerMilli)} Wh, settled ${s.milli} Wh (${s.amountMinor})`,
          transactionId: s.transactionId,
        });
      }
      return answer; // a repeat, or late: answered again, never a second end
    }
    const settled = settleAtStop({ ...s, meterStartWh: s.meterStartWh ?? req.meterStop }, req.meterStop, `charger ${chargePointId} transaction ${req.transactionId}`, this.plausibility(s), settleableOf(s));
    if (settled.alarm) this.host.log.warn("meter_stop_disputed", { chargePointId, point: s.point, meterStop: req.meterStop, meterStart: s.meterStartWh, metered: s.milli, settled: settled.milli, code: settled.alarm.code });
    await this.finish(
      s.transactionId,
      (cur) => ({
        milli: settled.milli,
        amountMinor: priceOf(settled.milli, cur.unitPriceMinor),
        meterLastWh: req.meterStop,
        reason: endReasonOf(req.reason, cur.stop?.cause),
        endedBy: "charger",
      }),
      settled.alarm ? { alarm: settled.alarm } : {},
    );
    return answer;
  }

  // ---- the charger's state --------------------------------------------------------------------------

  /** A connector changed state (the driver has recorded the new status already). */
  onStatus(binding: PointBinding, prev: ChargePointStatus | undefined, status: ChargePointStatus): void {
    const s = this.book.openOn(binding.point);
    if (!s) return;
    if (status === "Faulted") {
      void this.requestStop(s.transactionId, "fault");
      return;
    }
    if (s.state === "authorized" && (status === "Available" || status === "Unavailable") && prev !== status) {
      // Unplugged (or taken out of service) with no StartTransaction seen: nothing was delivered —
      // unless one is still queued in the charger (cancelUnstarted waits for that).
      void this.cancelUnstarted(s.transactionId, () => ({ reason: status === "Available" ? "nozzle-down" : "fault", endedBy: "canceled" }));
      return;
    }
    if (s.state !== "delivering") return;
    if (inTransaction(status)) this.clearTimer(s.transactionId, "missing");
    else this.armMissingTimer(s.transactionId);
  }

  /** A charger (re)connected and reported its connectors: bring every open session up to date. */
  onSynced(chargePointId: string): void {
    const link = this.host.link(chargePointId);
    if (!link) return;
    for (const s of this.book.open()) {
      if (s.chargePointId !== chargePointId) continue;
      const status = this.host.connectorStatus(chargePointId, s.connectorId);
      if (s.state === "authorized") {
        if (s.stop || status === "Available" || status === "Unavailable" || status === "Faulted") {
          if (!inTransaction(status)) void this.cancelUnstarted(s.transactionId, (cur) => ({ reason: cur.stop ? endReasonOf(undefined, cur.stop.cause) : "nozzle-down", endedBy: "canceled" }));
        } else if (status === "Preparing") {
          // The RemoteStart may have been lost with the connection: the charger refuses a duplicate.
          link.call("RemoteStartTransaction", { connectorId: s.connectorId, idTag: s.idTag }).catch((err: unknown) => this.host.log.debug("remote_start_resend_failed", { err }));
        }
        continue;
      }
      link.call("TriggerMessage", { requestedMessage: "MeterValues", connectorId: s.connectorId }).catch((err: unknown) => this.host.log.debug("trigger_failed", { err }));
      if (s.stop) this.sendStop(s.transactionId);
      // Only a status reported on this connection that says the transaction is over: an unknown
      // one (a charger without TriggerMessage, after an agent restart) is not "ended".
      if (this.endedStatus(s)) this.armMissingTimer(s.transactionId);
    }
  }

  /** A charger's connection is gone: whoever waits for one of its sessions to end stops waiting. */
  onDisconnected(chargePointId: string): void {
    for (const s of this.book.open()) {
      if (s.chargePointId !== chargePointId) continue;
      // What this charger does while away is unknown: no overrun or "missing" verdict is drawn
      // from a timer armed on the old connection (onSynced re-sends the stop and re-arms it).
      this.clearTimer(s.transactionId, "missing");
      if (s.state === "delivering") this.clearTimer(s.transactionId, "stop");
      const waiters = this.finishWaiters.get(s.transactionId);
      this.finishWaiters.delete(s.transactionId);
      for (const w of waiters ?? []) w.reject(new AgentError("DEVICE_DISCONNECTED", `charger ${chargePointId} went offline before session ${s.transactionId} ended`, { transactionId: s.transactionId }));
    }
  }

  close(): void {
    for (const kinds of this.timers.values()) for (const cancel of kinds.values()) cancel();
    this.timers.clear();
    for (const [tx, waiters] of this.finishWaiters) for (const w of waiters) w.reject(new AgentError("DEVICE_DISCONNECTED", "OCPP driver closed", { transactionId: tx }));
    this.finishWaiters.clear();
  }

  // ---- stopping and ending ------------------------------------------------------------------------

  /** Persists the agent's wish to stop (the first cause is kept), then acts on it if it can. */
  private async requestStop(transactionId: string, cause: StopCause): Promise<void> {
    const s = this.book.get(transactionId);
    if (!s || s.state === "finished") return;
    if (!s.stop) await this.book.put({ ...s, stop: { cause, at: this.host.scheduler.now() } });
    const cur = this.book.get(transactionId);
    if (!cur || cur.state === "finished") return;
    if (cur.state === "authorized") {
      await this.cancelUnstarted(transactionId, () => ({ reason: endReasonOf(undefined, cause), endedBy: "canceled" }));
      return;
    }
    this.sendStop(transactionId);
  }

  /**
   * Ends a session that has no StartTransaction yet — but the charger may have started on our
   * RemoteStart with its StartTransaction queued while it (or the agent) was offline: it arrives
   * once the charger is back, and cancelling first would give that energy away. So it is cancelled
   * only when the charger is connected and known, not charging on that connector, and has had
   * lateStopWaitS since it connected to deliver what it queued; otherwise it is looked at again then.
   */
  private async cancelUnstarted(transactionId: string, build: (s: Sale) => { reason: DeliveryEndReason; endedBy: EndedBy }): Promise<void> {
    const cur = this.book.get(transactionId);
    if (!cur || cur.state !== "authorized") return;
    const now = this.host.scheduler.now();
    const since = this.host.connectedSince(cur.chargePointId);
    const charging = inTransaction(this.host.connectorStatus(cur.chargePointId, cur.connectorId));
    if (this.host.known(cur.chargePointId) && !charging && since !== undefined && now - since >= this.host.lateStopWaitMs) {
      await this.finish(transactionId, build);
      return;
    }
    const wait = since === undefined || charging ? this.host.lateStopWaitMs : since + this.host.lateStopWaitMs - now;
    this.setTimer(transactionId, "stop", Math.max(250, wait), () => void this.cancelUnstarted(transactionId, build).catch((err: unknown) => this.host.log.warn("cancel_retry_failed", { transactionId, err })));
  }

  private sendStop(transactionId: string): void {
    const s = this.book.get(transactionId);
    const link = s ? this.host.link(s.chargePointId) : undefined;
    if (!s || s.state !== "delivering" || s.ocppTransactionId === undefined || !link) return;
    this.setTimer(transactionId, "stop", this.host.stopTimeoutMs, () => this.onStopTimeout(transactionId));
    // The first stop on this connection starts the window in which charging is evidence of an ignored stop.
    const first = this.stopSentAt.get(transactionId);
    if (first === undefined || first < (this.host.connectedSince(s.chargePointId) ?? 0)) this.stopSentAt.set(transactionId, this.host.scheduler.now());
    link.call("RemoteStopTransaction", { transactionId: s.ocppTransactionId }).then(
      (conf) => {
        if (conf.status !== "Accepted") this.host.log.warn("remote_stop_rejected", { chargePointId: s.chargePointId, transactionId: s.ocppTransactionId });
      },
      (err: unknown) => this.host.log.warn("remote_stop_failed", { chargePointId: s.chargePointId, transactionId: s.ocppTransactionId, err }),
    );
  }

  /**
   * No StopTransaction a stopTimeoutS after RemoteStop. An overrun only on evidence that the
   * charger still charges AFTER the stop: its connector reported Charging/Suspended* on the current
   * connection after the stop went out, or a sample taken after the stop grew the register — its
   * meter timestamp corrected by the session's clock offset estimate (takenAfter): a charger clock
   * running ahead or behind proves nothing. A sample merely arriving after the stop is no evidence
   * (it may have been taken before it, in flight), and a status reported after the stop that is out of a transaction
   * (Finishing, Available) vetoes the overrun: that is the "StopTransaction missing" path
   * (metered amount). Nothing known yet: the stop is sent again.
   */
  private onStopTimeout(transactionId: string): void {
    const s = this.book.get(transactionId);
    if (!s || s.state === "finished" || !this.host.link(s.chargePointId)) return; // offline: re-sent when back
    const status = this.host.freshStatus(s.chargePointId, s.connectorId);
    const since = Math.max(this.stopSentAt.get(transactionId) ?? 0, this.host.connectedSince(s.chargePointId) ?? 0);
    const reportedAfterStop = status !== undefined && (this.host.statusAt(s.chargePointId, s.connectorId) ?? -Infinity) >= since;
    const stoppedSaysCharger = reportedAfterStop && !inTransaction(status);
    const chargingAfterStop = reportedAfterStop && inTransaction(status);
    const grewAfterStop = this.takenAfter(transactionId, since);
    if (stoppedSaysCharger || (!chargingAfterStop && !grewAfterStop)) {
      this.host.log.warn("remote_stop_unconfirmed", { chargePointId: s.chargePointId, point: s.point, transactionId: s.ocppTransactionId, status: status ?? "unknown", reportedAfterStop });
      if (status !== undefined && !inTransaction(status)) this.armMissingTimer(transactionId);
      else this.sendStop(transactionId);
      return;
    }
    const limitMilli = limitMilliFor(s.limitMinor, s.unitPriceMinor);
    this.host.log.error("remote_stop_ignored", { chargePointId: s.chargePointId, point: s.point, transactionId: s.ocppTransactionId, metered: s.milli });
    void this.finish(
      transactionId,
      (cur) => ({ milli: Math.max(cur.milli, limitMilli), amountMinor: Math.max(cur.amountMinor, cur.limitMinor), reason: endReasonOf(undefined, cur.stop?.cause), endedBy: "overrun" }),
      {
        alarm: {
          code: "OCPP_STOP_IGNORED",
          message: `charger ${s.chargePointId} kept transaction ${s.ocppTransactionId} running ${Math.round(this.host.stopTimeoutMs / 1000)} s after RemoteStopTransaction: settled as an overrun`,
        },
      },
    );
  }

  /** A message of the session stamped `at` (charger clock) arrived now: refine the offset estimate. */
  private observeClock(transactionId: string, at: number): void {
    if (!Number.isFinite(at)) return;
    const seen = this.host.scheduler.now() - at;
    const best = this.clockOffset.get(transactionId);
    if (best === undefined || seen < best) this.clockOffset.set(transactionId, seen);
  }

  /**
   * The last sample that grew the register was taken after `since` (agent clock): its meter
   * timestamp corrected by the session's clock offset estimate, by more than a timestamp's
   * resolution (chargers often stamp whole seconds; never more than half the stop timeout, so a
   * charger that keeps charging still shows it). Never the charger's clock against the agent's.
   */
  private takenAfter(transactionId: string, since: number): boolean {
    const at = this.grewMeterAt.get(transactionId);
    const offset = this.clockOffset.get(transactionId);
    if (at === undefined || offset === undefined) return false;
    return at + offset > since + Math.min(1000, this.host.stopTimeoutMs / 2);
  }

  private armMissingTimer(transactionId: string): void {
    this.setTimer(transactionId, "missing", this.host.lateStopWaitMs, () => {
      const s = this.book.get(transactionId);
      if (!s || s.state !== "delivering" || !this.host.known(s.chargePointId) || !this.endedStatus(s)) return;
      this.host.log.error("stop_transaction_missing", { chargePointId: s.chargePointId, point: s.point, transactionId: s.ocppTransactionId, metered: s.milli });
      // What is settled must also be what is delivered: the charger is told to stop first.
      const link = this.host.link(s.chargePointId);
      if (link && s.ocppTransactionId !== undefined) link.call("RemoteStopTransaction", { transactionId: s.ocppTransactionId }).catch((err: unknown) => this.host.log.warn("remote_stop_failed", { chargePointId: s.chargePointId, transactionId: s.ocppTransactionId, err }));
      // No meterStop: the progress seen, never above what the connector could deliver meanwhile.
      const p = settleProgress(settleableOf(s), this.plausibility(s));
      void this.finish(transactionId, (cur) => ({ ...this.progressSettlement(cur), reason: endReasonOf(undefined, cur.stop?.cause), endedBy: "stop-missing" }), {
        alarm: {
          code: "OCPP_STOP_MISSING",
          message: `charger ${s.chargePointId} ended transaction ${s.ocppTransactionId} without a StopTransaction: settled what was metered (${p.milli} Wh${p.capped ? `, capped from ${settleableOf(s).milli} Wh at the connector's rated power` : ""}${implausibleNote(s)})`,
        },
      });
    });
  }

  private armSessionTimer(s: Sale): void {
    const due = s.authorizedAt + this.host.maxSessionMs - this.host.scheduler.now();
    this.setTimer(s.transactionId, "session", Math.max(0, due), () => void this.requestStop(s.transactionId, "session-time"));
  }

  /**
   * Ends a session: durable first, then the one `end` event. Returns false if it had ended already
   * (whoever ended it reported it). `silent`: no event (the caller reports the outcome itself);
   * `alarm`: a `fault` event right after the end, naming the session.
   */
  private async finish(
    transactionId: string,
    build: (s: Sale) => { reason: DeliveryEndReason; endedBy: EndedBy } & Partial<Sale>,
    opts: { silent?: boolean; alarm?: { code: string; message: string } } = {},
  ): Promise<boolean> {
    const cur = this.book.get(transactionId);
    if (!cur || cur.state === "finished") return false;
    const done: Sale = { ...cur, ...build(cur), state: "finished", endedAt: this.host.scheduler.now() };
    const write = this.book.put(done); // in memory at once: a concurrent finish sees it ended
    this.clearTimers(transactionId);
    this.lastStepWh.delete(transactionId);
    this.stopSentAt.delete(transactionId);
    this.grewMeterAt.delete(transactionId);
    this.clockOffset.delete(transactionId);
    await write;
    this.host.log.info("session_ended", { point: done.point, flow: transactionId, transactionId: done.ocppTransactionId, milli: done.milli, amountMinor: done.amountMinor, reason: done.reason, endedBy: done.endedBy });
    if (!opts.silent) {
      this.host.emit({ type: "end", point: done.point, transactionId, gradeId: done.gradeId, milli: done.milli, amountMinor: done.amountMinor, unitPriceMinor: done.unitPriceMinor, reason: done.reason! });
      if (opts.alarm) this.host.emit({ type: "fault", point: done.point, ...opts.alarm, transactionId });
    }
    const waiters = this.finishWaiters.get(transactionId);
    this.finishWaiters.delete(transactionId);
    for (const w of waiters ?? []) w.resolve();
    return true;
  }

  private waitFinished(transactionId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let set = this.finishWaiters.get(transactionId);
      if (!set) this.finishWaiters.set(transactionId, (set = new Set()));
      set.add({ resolve, reject });
    });
  }

  /** The connector's rated power on the agent's clock (a sped-up virtual charger delivers its rating in shorter seconds). */
  private realPowerW(s: Sale): number {
    return (this.host.binding(s.point)?.maxPowerW ?? DEFAULT_MAX_POWER_W) * this.host.powerScale;
  }

  /** The connector's rated power over the session's time (the agent's clock, from its StartTransaction): what progress alone may settle. */
  private plausibility(s: Sale): Plausibility {
    return { maxPowerW: this.realPowerW(s), elapsedMs: this.host.scheduler.now() - (s.startedAt ?? s.authorizedAt) };
  }

  private progressSettlement(s: Sale): { milli: number; amountMinor: number } {
    const milli = settleProgress(settleableOf(s), this.plausibility(s)).milli;
    return { milli, amountMinor: priceOf(milli, s.unitPriceMinor) };
  }

  /** The session's connector reported, on the current connection, that it is not in a transaction. */
  private endedStatus(s: Sale): boolean {
    const status = this.host.freshStatus(s.chargePointId, s.connectorId);
    return status !== undefined && !inTransaction(status);
  }

  /** A transaction the agent refused: told to stop, once its refusal has gone out. */
  private stopStray(chargePointId: string, transactionId: number): void {
    this.host.scheduler.setTimer(0, () => {
      this.host.link(chargePointId)?.call("RemoteStopTransaction", { transactionId }).catch((err: unknown) => this.host.log.debug("stray_stop_failed", { chargePointId, transactionId, err }));
    });
  }

  private clearTimer(transactionId: string, kind: TimerKind): void {
    const kinds = this.timers.get(transactionId);
    kinds?.get(kind)?.();
    kinds?.delete(kind);
  }

  private openOnConnector(chargePointId: string, connectorId: number): Sale | undefined {
    return this.book.open().find((s) => s.chargePointId === chargePointId && s.connectorId === connectorId && s.state === "delivering");
  }

  private setTimer(transactionId: string, kind: TimerKind, ms: number, fn: () => void): void {
    let kinds = this.timers.get(transactionId);
    if (!kinds) this.timers.set(transactionId, (kinds = new Map()));
    kinds.get(kind)?.();
    kinds.set(
      kind,
      this.host.scheduler.setTimer(ms, () => {
        this.timers.get(transactionId)?.delete(kind);
        fn();
      }),
    );
  }

  private clearTimers(transactionId: string): void {
    for (const cancel of this.timers.get(transactionId)?.values() ?? []) cancel();
    this.timers.delete(transactionId);
  }
}
