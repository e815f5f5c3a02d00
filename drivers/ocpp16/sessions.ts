// The charging sessions: the agent's side of a paid OCPP transaction, from RemoteStartTransaction
// to the one `end` event the payment flow settles. Every change is written to the sale book
// before the charger is answered or an end is reported; an end is reported exactly once, by the
// change that finished the session (a repeated or late StopTransaction only gets its answer).
//
//   authorize → RemoteStartTransaction(idTag of the flow) → StartTransaction: new transactionId
//   (a repeat gets the same one) → MeterValues: progress, and RemoteStopTransaction when the next
//   sample could pass the limit → StopTransaction.meterStop: end.
//   The agent's stops (limit, stop(point), fault, session time) are persisted and re-sent after a
//   reconnect; a charger shown to charge on stopTimeoutS after a RemoteStop (session-evidence.ts)
//   is settled as an overrun (the reserved amount, `fault` OCPP_STOP_IGNORED). Without such evidence
//   the stop is re-sent and the StopTransaction awaited until the last safe moment (the session cap plus one stopTimeoutS),
//   then the plausible progress is settled (`fault` OCPP_STOP_UNCONFIRMED). A charger that ended
//   a session while the agent was away and never sends its StopTransaction is settled with what
//   was metered (`fault` OCPP_STOP_MISSING).
//
// The parts: session-host.ts (what the sessions need of the driver), session-ending.ts (stopping
// and ending), session-evidence.ts (the overrun evidence), session-plausibility.ts (the progress a
// session may settle without a meterStop), session-timers.ts. This file: the payment flow's
// commands and the charger's transaction messages.
import { priceOf } from "../../base/money.ts";
import { AgentError } from "../../base/errors.ts";
import type { AuthorizeCommand, PointId, SaleRecord } from "../../contracts/dispenser.ts";
import type { ChargePointStatus, IdTagInfo, MeterValuesReq, StartTransactionReq, StopTransactionReq } from "./messages.ts";
import { onBackgroundFailure } from "./background.ts";
import { LogThrottle } from "./log-throttle.ts";
import { applySample, sampleOutcome, settleAtStop } from "./metering.ts";
import { describeSampledValues, energyRegister, endReasonOf, idTagFor, inTransaction } from "./readings.ts";
import type { Sale, SaleBook } from "./sales.ts";
import { SessionEnding, triggerFailure } from "./session-ending.ts";
import { SessionEvidence } from "./session-evidence.ts";
import type { PointBinding, SessionHost } from "./session-host.ts";
import { SessionPlausibility, settleableOf } from "./session-plausibility.ts";
import { SessionTimers } from "./session-timers.ts";

export type { PointBinding, SessionHost } from "./session-host.ts";

const refuse = (reason: string, message: string, context: Record<string, unknown> = {}) => new AgentError("DEVICE_REJECTED", message, { ...context, reason });

export class Sessions {
  private readonly timers: SessionTimers;
  private readonly evidence: SessionEvidence;
  private readonly plausible: SessionPlausibility;
  private readonly ending: SessionEnding;
  private readonly logThrottle: LogThrottle;
  /** Open sessions that sent a usable register, and those alarmed for sending none (watchRegister). */
  private readonly registerSeen = new Set<string>();
  private readonly registerAlarmed = new Set<string>();

  constructor(
    private readonly host: SessionHost,
    private readonly book: SaleBook,
  ) {
    this.timers = new SessionTimers(host.scheduler);
    this.logThrottle = new LogThrottle(host.scheduler);
    this.evidence = new SessionEvidence(host);
    this.plausible = new SessionPlausibility(host);
    this.ending = new SessionEnding(host, book, this.timers, this.evidence, this.plausible);
  }

  /** After loading the book: the session-time limit of every open session runs again. */
  resume(): void {
    for (const s of this.book.open()) {
      this.plausible.resumed(s);
      this.ending.armSessionTimer(s);
    }
  }

  /** The payment flow's commands: authorize, stop, sale record. */
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
    this.ending.armSessionTimer(sale);
    const conf = await link.call("RemoteStartTransaction", { connectorId: b.connectorId, idTag: sale.idTag });
    // Started before it answered (StartTransaction accepted), then rejected: the session stands,
    // metered, stopped and settled like any — never ended at 0 Wh unstopped (review 13e E1).
    const current = this.book.get(sale.transactionId);
    if (conf.status !== "Accepted" && current !== undefined && (current.state !== "authorized" || current.ocppTransactionId !== undefined)) {
      this.host.log.warn("ocpp_remote_start_rejected_after_start", { chargePointId: b.chargePointId, connectorId: b.connectorId, transactionId: sale.transactionId, state: current.state });
      return;
    }
    if (conf.status !== "Accepted") {
      await this.ending.finish(sale.transactionId, () => ({ reason: "stopped", endedBy: "canceled" }), { silent: true });
      throw refuse("CHARGER_REFUSED", `charger ${b.chargePointId} refused RemoteStartTransaction on connector ${b.connectorId}`, { point: cmd.point });
    }
  }

  /** Resolves once the session on the point has ended (its `end` reported); no session: at once. */
  async stop(point: PointId): Promise<void> {
    const b = this.host.binding(point);
    if (!b) throw refuse("NOPOINT", `no charge point is mapped to point ${point}`, { point });
    const sale = this.book.openOn(point);
    if (!sale) return;
    const ended = this.ending.waitFinished(sale.transactionId);
    ended.catch(() => undefined);
    await this.ending.requestStop(sale.transactionId, "stopped");
    if (this.book.get(sale.transactionId)?.state === "finished") return;
    if (!this.host.link(b.chargePointId)) {
      throw new AgentError("DEVICE_DISCONNECTED", `charger ${b.chargePointId} is offline: the stop goes out when it reconnects`, { point });
    }
    await ended;
  }

  /** What the store holds of a flow's session — never a change still on its way, which may fail and be undone (review 13c C3); rejects while it cannot be known (charger away, stop under way). */
  async saleRecord(transactionId: string): Promise<SaleRecord | undefined> {
    const s = await this.book.durableOf(transactionId);
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
    const given = await this.book.startGiven(chargePointId, req);
    if (given !== undefined) return { transactionId: given, idTagInfo: { status: "Accepted" } }; // a repeat: same answer
    const s = this.book.byIdTag(chargePointId, req.idTag);
    if (!s || s.state !== "authorized" || s.connectorId !== req.connectorId) {
      // Not a session the agent started (a card, a reused tag, another connector): the charger
      // must stop it. It still needs a transaction id of its own.
      const transactionId = await this.book.allocateTransactionId();
      const logged = this.logThrottle.admit(`${chargePointId}\u0000start_refused`); // a charger looping on refused starts: 10 lines a minute
      if (logged) this.host.log.warn("start_refused", { chargePointId, connectorId: req.connectorId, idTag: req.idTag, transactionId, known: s !== undefined, ...logged });
      // Refused is not stopped: a charger with StopTransactionOnInvalidId=false keeps charging
      // (free energy, a blocked connector) — told to stop once the refusal has gone out.
      this.ending.stopStray(chargePointId, transactionId);
      return { transactionId, idTagInfo: { status: "Invalid" } };
    }
    const transactionId = await this.book.allocateTransactionId();
    // The sale may have changed during that durable write (a cancel, a stop, another start): act on what it is now.
    let cur = this.book.get(s.transactionId);
    if (cur && cur.state !== "finished" && cur.ocppTransactionId !== undefined) {
      const won = await this.book.startGiven(chargePointId, req);
      if (won !== undefined) return { transactionId: won, idTagInfo: { status: "Accepted" } }; // another copy of this start won
      cur = this.book.get(s.transactionId); // or its write failed and was taken back: this copy may start it
    }
    if (!cur || cur.state !== "authorized" || cur.ocppTransactionId !== undefined) {
      // Ended meanwhile (its 0 Wh end is reported, the invoice cancelled): this charger must not
      // charge. Refused, and in case it charges anyway (StopTransactionOnInvalidId false), stopped.
      this.host.log.warn("start_after_end_refused", { chargePointId, connectorId: req.connectorId, flow: s.transactionId, transactionId, state: cur?.state });
      this.ending.stopStray(chargePointId, transactionId);
      return { transactionId, idTagInfo: { status: cur?.state === "finished" || !cur ? "Invalid" : "ConcurrentTx" } };
    }
    const started: Sale = { ...cur, state: "delivering", ocppTransactionId: transactionId, meterStartWh: req.meterStart, meterStartAt: Date.parse(req.timestamp), meterBaseWh: req.meterStart, meterLastWh: req.meterStart, startedAt: this.host.scheduler.now() };
    await this.book.put(started);
    this.host.log.info("session_started", { chargePointId, point: s.point, flow: s.transactionId, transactionId, meterStart: req.meterStart });
    this.host.emit({ type: "progress", point: s.point, transactionId: s.transactionId, milli: 0, amountMinor: 0 });
    // Stopped while the start was on its way (e.g. queued by an offline charger, or during the
    // write above): stop it now, after this answer has gone out with the id the stop names.
    if (this.book.get(s.transactionId)?.stop) this.host.scheduler.setTimer(0, () => this.ending.sendStop(s.transactionId));
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
    if (s?.state === "delivering") this.watchRegister(chargePointId, s, req, reading !== undefined);
    if (!s || s.state !== "delivering" || !reading || s.meterStartWh === undefined) return {};
    // A session that reports is alive: not "ended without a StopTransaction" — and if its
    // connector has said the transaction is over, the charger is still delivering its queue of
    // it (the StopTransaction comes last): the wait for it starts again, up to the last safe moment.
    if (!this.ending.endedStatus(s)) this.timers.clear(s.transactionId, "missing");
    else this.ending.deferMissing(s.transactionId);
    const b = this.host.binding(s.point);
    const outcome = sampleOutcome({ ...s, meterStartWh: s.meterStartWh }, reading.wh, reading.at);
    // The same readings again, each step bounded by the rated power: what progress alone may settle.
    const plausible = this.plausible.plausibleTrack(s, s.meterStartWh, reading.wh, reading.at);
    if (outcome.kind === "stale") this.host.log.info("meter_value_stale", { chargePointId, point: s.point, register: reading.wh, last: s.meterLastWh, note: "older and lower than the last reading: a queued value delivered late" });
    if (outcome.kind === "reset" || outcome.kind === "glitch") {
      if (outcome.kind === "reset") this.host.log.warn("meter_register_reset", { chargePointId, point: s.point, flow: s.transactionId, register: reading.wh, previous: s.meterLastWh, metered: s.milli, resets: outcome.meterResets, note: "provisional: undone if the register comes back" });
      else this.host.log.warn("meter_register_glitch", { chargePointId, point: s.point, flow: s.transactionId, register: reading.wh, previous: s.meterLastWh, note: "back above the reading before the reset: that low reading was a glitch" });
    }
    const grew = (outcome.kind === "grew" || outcome.kind === "glitch") && outcome.milli > s.milli;
    const milli = grew ? outcome.milli : s.milli;
    const amountMinor = priceOf(milli, s.unitPriceMinor);
    // The plausible track (a kWh/Wh slip is no growth), checked again against the rated power between the replies.
    this.evidence.observeSample(s.transactionId, plausible?.milli ?? s.plausible?.milli ?? milli, req.meterValue.some((v) => v.sampledValue.some((x) => x.context === "Trigger")), reading.at);
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
    if (grew) this.evidence.lastStepWh.set(s.transactionId, milli - s.milli);
    const ratedWh = Math.ceil(((b?.maxPowerW ?? 0) * this.host.meterSampleIntervalS) / 3600);
    const marginWh = Math.max(ratedWh, this.evidence.lastStepWh.get(s.transactionId) ?? 0);
    if (!now.stop && priceOf(milli + marginWh, s.unitPriceMinor) >= s.limitMinor) {
      this.host.log.info("limit_reached", { point: s.point, flow: s.transactionId, milli, amountMinor, limitMinor: s.limitMinor, marginWh });
      void this.ending.requestStop(s.transactionId, "limit").catch(onBackgroundFailure(this.host, "limit stop", s.transactionId));
    }
    return {};
  }

  async onStopTransaction(chargePointId: string, req: StopTransactionReq): Promise<{ idTagInfo?: IdTagInfo }> {
    let s = this.book.byOcppTransaction(chargePointId, req.transactionId);
    // A repeat only once the end it repeats is durable (one on its way may fail and be taken back).
    if (s?.state === "finished") (await this.book.settled(), (s = this.book.byOcppTransaction(chargePointId, req.transactionId)));
    // The idTag's status as the agent decided it (a charger's Authorization Cache keeps it, §3.5.1):
    // Accepted only for the tag of this very session of ours — never for a card the agent refused
    // at StartTransaction, which would then start from the cache (LocalPreAuthorize) or free
    // while offline (LocalAuthorizeOffline).
    const ours = s !== undefined && req.idTag !== undefined && this.book.byIdTag(chargePointId, req.idTag)?.transactionId === s.transactionId;
    const answer = req.idTag !== undefined ? { idTagInfo: { status: ours ? ("Accepted" as const) : ("Invalid" as const) } } : {};
    if (!s) {
      this.host.log.info("stop_of_unknown_transaction", { chargePointId, transactionId: req.transactionId, meterStop: req.meterStop });
      return answer;
    }
    const registerMilli = req.meterStop - (s.meterStartWh ?? req.meterStop);
    if (s.state === "finished") {
      if (s.endedBy !== "charger" && s.lateMeterStopWh === undefined) {
        // The agent settled this session without the charger's word; now the word came.
        const late = { code: "OCPP_LATE_STOP", message: `charger ${chargePointId} reported the end of transaction ${req.transactionId} late: metered ${Math.max(0, registerMilli)} Wh, settled ${s.milli} Wh (${s.amountMinor})` };
        // The alarm is kept with the sale: raised again at every start, so a crash before the engine kept it loses nothing (review 13c C2).
        await this.book.put({ ...s, lateMeterStopWh: req.meterStop, alarms: [...(s.alarms ?? []), { ...late, at: this.host.scheduler.now() }] });
        this.host.emit({ type: "fault", point: s.point, ...late, transactionId: s.transactionId, flowSession: true }); // the durable record just written names the flow
      }
      return answer; // a repeat, or late: answered again, never a second end
    }
    const bound = this.plausible.stopPlausibility(s, Date.parse(req.timestamp));
    if (bound.odd) this.host.log.warn("stop_timestamp_unusable", { chargePointId, point: s.point, transactionId: req.transactionId, timestamp: req.timestamp, why: bound.odd });
    const settled = settleAtStop({ ...s, meterStartWh: s.meterStartWh ?? req.meterStop }, req.meterStop, `charger ${chargePointId} transaction ${req.transactionId}`, bound, settleableOf(s));
    if (settled.alarm) this.host.log.warn("meter_stop_disputed", { chargePointId, point: s.point, meterStop: req.meterStop, meterStart: s.meterStartWh, metered: s.milli, settled: settled.milli, code: settled.alarm.code });
    await this.ending.finish(
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
      void this.ending.requestStop(s.transactionId, "fault").catch(onBackgroundFailure(this.host, "fault stop", s.transactionId));
      return;
    }
    if (s.state === "authorized" && (status === "Available" || status === "Unavailable") && prev !== status) {
      // Unplugged (or taken out of service) with no StartTransaction seen: nothing was delivered —
      // unless one is still queued in the charger (cancelUnstarted waits for that).
      void this.ending.cancelUnstarted(s.transactionId, () => ({ reason: status === "Available" ? "nozzle-down" : "fault", endedBy: "canceled" })).catch(onBackgroundFailure(this.host, "cancel", s.transactionId));
      return;
    }
    if (s.state !== "delivering") return;
    if (inTransaction(status)) this.timers.clear(s.transactionId, "missing");
    else this.ending.armMissingTimer(s.transactionId);
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
          if (!inTransaction(status)) void this.ending.cancelUnstarted(s.transactionId, (cur) => ({ reason: cur.stop ? endReasonOf(undefined, cur.stop.cause) : "nozzle-down", endedBy: "canceled" })).catch(onBackgroundFailure(this.host, "cancel after reconnect", s.transactionId));
        } else if (status === "Preparing") {
          // The RemoteStart may have been lost with the connection: the charger refuses a duplicate.
          link.call("RemoteStartTransaction", { connectorId: s.connectorId, idTag: s.idTag }).catch((err: unknown) => this.host.log.debug("remote_start_resend_failed", { err }));
        }
        continue;
      }
      // The stop first (it opens this connection's stop window); then a fresh reading, which is
      // progress only — never evidence of charging after the stop — and which the link does not
      // send while the stop is on its way (charger-link.ts: optional calls).
      if (s.stop) this.ending.sendStop(s.transactionId);
      const answered = this.evidence.triggerSent(s.transactionId, { afterStop: false });
      link.call("TriggerMessage", { requestedMessage: "MeterValues", connectorId: s.connectorId }, { optional: true }).then(
        (conf) => answered(conf.status === "Accepted" ? "accepted" : "refused"),
        (err: unknown) => (answered(triggerFailure(err)), this.host.log.debug("trigger_failed", { err })),
      );
      // Only a status reported on this connection that says the transaction is over: an unknown
      // one (a charger without TriggerMessage, after an agent restart) is not "ended".
      if (this.ending.endedStatus(s)) this.ending.armMissingTimer(s.transactionId);
    }
  }

  /** A charger's connection is gone: whoever waits for one of its sessions to end stops waiting. */
  onDisconnected(chargePointId: string): void {
    for (const s of this.book.open()) {
      if (s.chargePointId !== chargePointId) continue;
      // What this charger does while away is unknown: no overrun or "missing" verdict is drawn
      // from a timer armed on the old connection (onSynced re-sends the stop and re-arms it).
      this.timers.clear(s.transactionId, "missing");
      this.evidence.connectionLost(s.transactionId);
      if (s.state === "delivering") this.timers.clear(s.transactionId, "stop");
      this.ending.failWaiters(s.transactionId, () => new AgentError("DEVICE_DISCONNECTED", `charger ${chargePointId} went offline before session ${s.transactionId} ended`, { transactionId: s.transactionId }));
    }
  }

  close(): void {
    this.timers.close();
    this.ending.close();
  }

  /**
   * A delivering session's MeterValues without a usable register (only an Inlet register, phase
   * values, other measurands, signed data) give no progress: no limit stop, and the flow's stall
   * rule ends the session. Said once per session, with what the charger sends instead, unless a
   * usable register came first (a clock-aligned message of other measurands is not a problem).
   */
  private watchRegister(chargePointId: string, s: Sale, req: MeterValuesReq, usable: boolean): void {
    if (usable) {
      this.registerSeen.add(s.transactionId);
      return;
    }
    if (this.registerSeen.has(s.transactionId) || this.registerAlarmed.has(s.transactionId)) return;
    const open = new Set(this.book.open().map((o) => o.transactionId));
    for (const set of [this.registerSeen, this.registerAlarmed]) for (const id of set) if (!open.has(id)) set.delete(id);
    this.registerAlarmed.add(s.transactionId);
    const sends = describeSampledValues(req.meterValue);
    this.host.log.warn("meter_values_no_register", { chargePointId, point: s.point, flow: s.transactionId, sends });
    this.host.emit({
      type: "fault",
      point: null,
      code: "OCPP_NO_REGISTER",
      message: `charger ${chargePointId} connector ${s.connectorId} (point ${s.point}) is charging but its MeterValues carry no usable energy register (Energy.Active.Import.Register at Outlet, no phase, Raw, Wh/kWh); it sends: ${sends.join("; ") || "no sampled values"} — no progress, no limit stop; the flow's stall rule will stop it`,
    });
  }

  private openOnConnector(chargePointId: string, connectorId: number): Sale | undefined {
    return this.book.open().find((s) => s.chargePointId === chargePointId && s.connectorId === connectorId && s.state === "delivering");
  }
}
