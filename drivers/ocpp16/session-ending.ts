// How a charging session stops and ends: the agent's stop, persisted first and re-sent until the
// charger answers; a session not started yet cancelled only once no queued StartTransaction can
// still arrive; the overrun verdict on evidence after a RemoteStop, and the settlement of what was
// metered when a StopTransaction never comes; the one `end` event, reported by the change that
// finished the session. Apart from sessions.ts (the commands and the charger's messages, which
// ask for these) so that each reads as one story.
import { AgentError } from "../../base/errors.ts";
import type { DeliveryEndReason } from "../../contracts/dispenser.ts";
import { priceOf } from "../../base/money.ts";
import { settleProgress } from "./metering.ts";
import { endReasonOf, inTransaction, type StopCause } from "./readings.ts";
import type { EndedBy, Sale, SaleBook } from "./sales.ts";
import type { SessionEvidence } from "./session-evidence.ts";
import type { SessionHost } from "./session-host.ts";
import { implausibleNote, settleableOf, type SessionPlausibility } from "./session-plausibility.ts";
import type { SessionTimers } from "./session-timers.ts";
import { onBackgroundFailure } from "./background.ts";

/** What a failed TriggerMessage means for its reply: none comes (refused, not sent), or one may still come (timed out, abandoned, link lost). */
export function triggerFailure(err: unknown): "refused" | "unknown" {
  const code = err instanceof AgentError ? err.code : undefined;
  return code === "DEVICE_REJECTED" || code === "DEVICE_PROTOCOL" ? "refused" : "unknown";
}

/** Largest energy (Wh) whose price, rounded half up, stays within the limit. */
export function limitMilliFor(limitMinor: number, unitPriceMinor: number): number {
  return Math.floor((limitMinor * 1000 + 499) / unitPriceMinor);
}

export class SessionEnding {
  private readonly finishWaiters = new Map<string, Set<{ resolve: () => void; reject: (e: unknown) => void }>>();

  constructor(
    private readonly host: SessionHost,
    private readonly book: SaleBook,
    private readonly timers: SessionTimers,
    private readonly evidence: SessionEvidence,
    private readonly plausible: SessionPlausibility,
  ) {}

  /** Persists the agent's wish to stop (the first cause is kept), then acts on it if it can. */
  async requestStop(transactionId: string, cause: StopCause): Promise<void> {
    const s = this.book.get(transactionId);
    if (!s || s.state === "finished") return;
    // A failed write is taken back (sales.ts): the next sample or timer asks for the stop again.
    if (!s.stop) await this.book.put({ ...s, stop: { cause, at: this.host.scheduler.now() } });
    else if (!(await this.book.durableOf(transactionId))?.stop) {
      // Another step's stop, on its way to the store, failed and was taken back: this stop is
      // written itself (review 13c C1: an explicit stop during a fault stop's failing write was
      // dropped, and its caller waited for an end nobody had asked the charger for).
      const again = this.book.get(transactionId);
      if (again && again.state !== "finished" && !again.stop) await this.book.put({ ...again, stop: { cause, at: this.host.scheduler.now() } });
    }
    const cur = this.book.get(transactionId);
    if (!cur || cur.state === "finished" || !cur.stop) return;
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
  async cancelUnstarted(transactionId: string, build: (s: Sale) => { reason: DeliveryEndReason; endedBy: EndedBy }): Promise<void> {
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
    this.timers.set(transactionId, "stop", Math.max(250, wait), () => void this.cancelUnstarted(transactionId, build).catch((err: unknown) => this.host.log.warn("cancel_retry_failed", { transactionId, err })));
  }

  sendStop(transactionId: string): void {
    const s = this.book.get(transactionId);
    const link = s ? this.host.link(s.chargePointId) : undefined;
    if (!s || s.state !== "delivering" || s.ocppTransactionId === undefined || !link) return;
    this.timers.set(transactionId, "stop", this.untilSettleBy(s, this.host.stopTimeoutMs), () => this.onStopTimeout(transactionId));
    // The first stop on this connection opens the window in which charging is evidence of an ignored stop.
    const answered = this.evidence.stopSent(transactionId, this.host.connectedSince(s.chargePointId) ?? 0);
    link.call("RemoteStopTransaction", { transactionId: s.ocppTransactionId }).then(
      (conf) => {
        if (conf.status === "Accepted") {
          answered();
          this.askRegisterAfterStop(transactionId);
          return;
        }
        this.onStopRejected(transactionId);
      },
      (err: unknown) => this.host.log.warn("remote_stop_failed", { chargePointId: s.chargePointId, transactionId: s.ocppTransactionId, err }),
    );
  }

  /**
   * A Rejected stop is no stop the charger had (review 12k #1): it opens no window in which
   * Charging is evidence and gets no stop check (its triggers would only stand in front of the stop
   * sent again). A firmware that has not taken the transaction in yet (a stop right after
   * StartTransaction.conf) rejects it and accepts it a moment later, so it is sent again after the
   * ramp-down allowance, not a whole stopTimeoutS later — through the stop timeout's own path, which
   * settles at the last safe moment. Rejected twice is the charger refusing: an alarm, once.
   */
  private onStopRejected(transactionId: string): void {
    const s = this.book.get(transactionId);
    if (!s || s.state !== "delivering") return;
    const rejected = this.evidence.stopRejected(transactionId);
    this.host.log.warn("remote_stop_rejected", { chargePointId: s.chargePointId, transactionId: s.ocppTransactionId, rejected });
    if (rejected === 2) {
      this.host.emit({
        type: "fault",
        point: s.point,
        code: "OCPP_STOP_REJECTED",
        message: `charger ${s.chargePointId} answered Rejected to RemoteStopTransaction for its running transaction ${s.ocppTransactionId} twice (no StopTransaction came): the stop is sent again every ${Math.round(this.rampDownMs() / 1000)} s; a Charging status after a Rejected stop is never taken as an overrun`,
        transactionId,
      });
    }
    this.timers.set(transactionId, "stop", this.untilSettleBy(s, this.rampDownMs()), () => this.onStopTimeout(transactionId));
  }

  /**
   * The charger has answered the stop: the agent asks for its register three times (TriggerMessage
   * MeterValues), after a ramp-down allowance and spaced, all within the stop's timeout — growth
   * in two steps of the replies is the evidence of charging on (session-evidence.ts: one step may
   * be a cached register catching up with energy from before the stop). A charger that refuses
   * TriggerMessage gives none.
   */
  private askRegisterAfterStop(transactionId: string): void {
    // A quarter of the stop's timeout, at most 15 s: a car and charger ramping down after an
    // accepted stop (IEC 61851 gives seconds) is not charging on. Defaults: at 15 s, 30 s and 45 s of 60.
    // Session timers ("check", one at a time, the second armed by the first): the session's end
    // and the driver's close cancel them — bare timers held a stopped daemon's exit up to 30 s.
    const step = this.rampDownMs();
    const ask = (left: number): void => {
      const s = this.book.get(transactionId);
      const link = s ? this.host.link(s.chargePointId) : undefined;
      if (!s || s.state !== "delivering" || !link || !this.evidence.stopAnswered(transactionId)) return;
      if (left > 1) this.timers.set(transactionId, "check", step, () => ask(left - 1));
      const answered = this.evidence.triggerSent(transactionId, { afterStop: true });
      // Optional (charger-link.ts): never in front of a stop, with a short timeout of its own.
      link.call("TriggerMessage", { requestedMessage: "MeterValues", connectorId: s.connectorId }, { optional: true }).then(
        (conf) => {
          answered(conf.status === "Accepted" ? "accepted" : "refused");
          if (conf.status !== "Accepted") this.host.log.warn("stop_check_trigger_refused", { chargePointId: s.chargePointId, transactionId: s.ocppTransactionId, status: conf.status, note: "no register evidence of charging after the stop" });
        },
        (err: unknown) => (answered(triggerFailure(err)), this.host.log.debug("trigger_failed", { err })),
      );
    };
    this.timers.set(transactionId, "check", step, () => ask(3));
  }

  /** After an accepted stop, how long a charger may still show charging (IEC 61851 gives seconds). */
  private rampDownMs(): number {
    return Math.min(15_000, this.host.stopTimeoutMs / 4);
  }

  /**
   * The last safe moment to settle a session whose end the charger has not confirmed: the session
   * cap (authorization + maxSessionS) plus one stopTimeoutS. module.ts budgets both, so this is at
   * or before the flow's own stop time — a whole commit safety margin before its commit deadline
   * (counted from when the invoice was sent, which was no later than the authorization).
   */
  private settleBy(s: Sale): number {
    return s.authorizedAt + this.host.maxSessionMs + this.host.stopTimeoutMs;
  }

  /** `wantedMs`, but no later than the last safe moment — and never less than a second (a charger just back gets that to deliver its queue). */
  private untilSettleBy(s: Sale, wantedMs: number): number {
    return Math.max(Math.min(wantedMs, this.settleBy(s) - this.host.scheduler.now()), Math.min(wantedMs, 1000));
  }

  /**
   * No StopTransaction a stopTimeoutS after RemoteStop. An overrun only on evidence that the
   * charger's REGISTER grew after it ACCEPTED the stop (session-evidence.ts): between two replies to
   * the agent's own TriggerMessage sent after that answer (no clock involved), or between two
   * samples its meter stamped after the answer and the ramp-down (by the meter clock's bound). A
   * status alone is never evidence (review 12l #3: a Charging queued offline, unstamped, arrives
   * after the answer of a charger that obeyed), nor is a sample merely arriving after the stop
   * (in flight, or queued while offline). A status reported after the stop other than Charging
   * vetoes the overrun: out of a transaction (Finishing, Available) that is the "StopTransaction
   * missing" path (metered amount); suspended, the stop is re-sent. Nothing conclusive:
   * the stop is sent again and the StopTransaction (meterStop − meterStart, exact) awaited — until
   * the last safe moment, when the plausible progress is settled (settleUnconfirmed).
   */
  private onStopTimeout(transactionId: string): void {
    const s = this.book.get(transactionId);
    if (!s || s.state === "finished" || !this.host.link(s.chargePointId)) return; // offline: re-sent when back
    const status = this.host.freshStatus(s.chargePointId, s.connectorId);
    const stop = this.evidence.stopWindow(transactionId);
    const since = Math.max(stop?.sentAt ?? 0, this.host.connectedSince(s.chargePointId) ?? 0);
    const statusAt = this.host.statusAt(s.chargePointId, s.connectorId) ?? -Infinity;
    const reportedAfterStop = status !== undefined && statusAt >= since;
    // Not Charging after the stop: out of a transaction (Finishing, Available), or suspended
    // (SuspendedEVSE: the EVSE offers no energy; SuspendedEV: the car draws none) — a charger that
    // obeyed by suspending (review 13b #6): never an overrun.
    const notChargingSaysCharger = reportedAfterStop && status !== "Charging";
    // Register growth after the charger accepted the stop — and after the ramp-down allowance (a
    // car and charger ramping down still draw for a moment). Only once the charger accepted the
    // stop: one still queued behind other calls (ocpp-rpc sends one at a time, review 12h) or one it
    // Rejected (review 12k #1) is no stop the charger had.
    const after = stop?.confAt !== undefined ? Math.max(since, stop.confAt + this.rampDownMs()) : Infinity;
    const grewAfterStop = this.evidence.chargedAfterStop(transactionId, this.plausible.evidencePowerW(s), after, this.host.meterClockBound(s.chargePointId));
    if (notChargingSaysCharger || !grewAfterStop) {
      const pastDeadline = this.host.scheduler.now() >= this.settleBy(s);
      this.host.log.warn("remote_stop_unconfirmed", { chargePointId: s.chargePointId, point: s.point, transactionId: s.ocppTransactionId, status: status ?? "unknown", reportedAfterStop, pastDeadline });
      if (pastDeadline) this.settleUnconfirmed(transactionId, status, reportedAfterStop);
      else if (status !== undefined && !inTransaction(status)) this.armMissingTimer(transactionId);
      else this.sendStop(transactionId);
      return;
    }
    const limitMilli = limitMilliFor(s.limitMinor, s.unitPriceMinor);
    this.host.log.error("remote_stop_ignored", { chargePointId: s.chargePointId, point: s.point, transactionId: s.ocppTransactionId, metered: s.milli, evidence: grewAfterStop === "trigger" ? "register grew between replies to triggers after the stop" : "register grew in samples stamped after the stop" });
    void this.finish(
      transactionId,
      // The energy the reservation buys, never a raw figure above it (one bad reading can be
      // ×1000): the invoice and the receipt carry what is settled.
      (cur) => ({ milli: limitMilli, amountMinor: cur.limitMinor, reason: endReasonOf(undefined, cur.stop?.cause), endedBy: "overrun" }),
      {
        alarm: {
          code: "OCPP_STOP_IGNORED",
          message: `charger ${s.chargePointId} kept transaction ${s.ocppTransactionId} running ${Math.round(this.host.stopTimeoutMs / 1000)} s after RemoteStopTransaction (${grewAfterStop === "trigger" ? "its register grew between two readings the agent asked for after the stop" : "its register grew between two samples its meter stamped after it answered the stop"}): settled as an overrun`,
        },
      },
    ).catch(onBackgroundFailure(this.host, "overrun settlement", transactionId));
  }

  /**
   * The last safe moment came and the charger has neither confirmed the end (StopTransaction) nor
   * given conclusive evidence of charging on: the plausible progress seen is settled — never above
   * the rated power over the session's time, never above the reservation — so the reservation is
   * committed rather than left to lapse unpaid. Its StopTransaction, if it ever comes, is an
   * OCPP_LATE_STOP.
   */
  private settleUnconfirmed(transactionId: string, status: string | undefined, reportedAfterStop: boolean): void {
    const s = this.book.get(transactionId);
    if (!s || s.state === "finished") return;
    const limitMilli = limitMilliFor(s.limitMinor, s.unitPriceMinor);
    const p = settleProgress(settleableOf(s), this.plausible.plausibility(s));
    const milli = Math.min(p.milli, limitMilli);
    this.host.log.error("stop_unconfirmed_settled", { chargePointId: s.chargePointId, point: s.point, transactionId: s.ocppTransactionId, metered: s.milli, settled: milli });
    const how = status === undefined ? "its connector state unknown" : `its connector ${reportedAfterStop ? "reporting" : "last reported"} ${status}`;
    void this.finish(transactionId, (cur) => ({ milli, amountMinor: Math.min(priceOf(milli, cur.unitPriceMinor), cur.limitMinor), reason: endReasonOf(undefined, cur.stop?.cause), endedBy: "stop-unconfirmed" }), {
      alarm: {
        code: "OCPP_STOP_UNCONFIRMED",
        message: `charger ${s.chargePointId} did not end transaction ${s.ocppTransactionId} (no StopTransaction, ${how}, no conclusive sign of charging after RemoteStopTransaction) by the last moment that still settles before the reservation lapses: settled the progress seen, ${milli} Wh${p.capped ? ` (capped from ${settleableOf(s).milli} Wh at the connector's rated power)` : ""}${milli < p.milli ? " (capped at the reservation)" : ""}${implausibleNote(s)}; check the charger`,
      },
    }).catch(onBackgroundFailure(this.host, "unconfirmed-stop settlement", transactionId));
  }

  /**
   * A message of the transaction arrived while its "StopTransaction missing" wait runs: the
   * charger is still delivering (a queue drained at its own pace ends with the StopTransaction),
   * so the wait starts again — settling now would take part of a queue still arriving. Never
   * past the last safe moment: from then on nothing defers it.
   */
  deferMissing(transactionId: string): void {
    const s = this.book.get(transactionId);
    if (!s || s.state !== "delivering" || this.host.scheduler.now() >= this.settleBy(s)) return;
    this.armMissingTimer(transactionId);
  }

  armMissingTimer(transactionId: string): void {
    const sale = this.book.get(transactionId);
    this.timers.set(transactionId, "missing", sale ? this.untilSettleBy(sale, this.host.lateStopWaitMs) : this.host.lateStopWaitMs, () => {
      const s = this.book.get(transactionId);
      if (!s || s.state !== "delivering" || !this.host.known(s.chargePointId) || !this.endedStatus(s)) return;
      this.host.log.error("stop_transaction_missing", { chargePointId: s.chargePointId, point: s.point, transactionId: s.ocppTransactionId, metered: s.milli });
      // What is settled must also be what is delivered: the charger is told to stop first.
      const link = this.host.link(s.chargePointId);
      if (link && s.ocppTransactionId !== undefined) link.call("RemoteStopTransaction", { transactionId: s.ocppTransactionId }).catch((err: unknown) => this.host.log.warn("remote_stop_failed", { chargePointId: s.chargePointId, transactionId: s.ocppTransactionId, err }));
      // No meterStop: the progress seen, never above what the connector could deliver meanwhile.
      const p = settleProgress(settleableOf(s), this.plausible.plausibility(s));
      void this.finish(transactionId, (cur) => ({ ...this.plausible.progressSettlement(cur), reason: endReasonOf(undefined, cur.stop?.cause), endedBy: "stop-missing" }), {
        alarm: {
          code: "OCPP_STOP_MISSING",
          message: `charger ${s.chargePointId} ended transaction ${s.ocppTransactionId} without a StopTransaction: settled what was metered (${p.milli} Wh${p.capped ? `, capped from ${settleableOf(s).milli} Wh at the connector's rated power` : ""}${implausibleNote(s)})`,
        },
      }).catch(onBackgroundFailure(this.host, "missing-stop settlement", transactionId));
    });
  }

  armSessionTimer(s: Sale): void {
    const due = s.authorizedAt + this.host.maxSessionMs - this.host.scheduler.now();
    this.timers.set(s.transactionId, "session", Math.max(0, due), () => void this.requestStop(s.transactionId, "session-time").catch(onBackgroundFailure(this.host, "session-time stop", s.transactionId)));
  }

  /**
   * Ends a session: durable first, then the one `end` event. Returns false if it had ended already
   * (whoever ended it reported it). `silent`: no event (the caller reports the outcome itself);
   * `alarm`: a `fault` event right after the end, naming the session.
   */
  async finish(
    transactionId: string,
    build: (s: Sale) => { reason: DeliveryEndReason; endedBy: EndedBy } & Partial<Sale>,
    opts: { silent?: boolean; alarm?: { code: string; message: string } } = {},
  ): Promise<boolean> {
    let cur = this.book.get(transactionId);
    // Ended already — or an end still on its way to the store, which may fail and be taken back (sales.ts): then this one ends it.
    if (cur?.state === "finished") (await this.book.settled(), (cur = this.book.get(transactionId)));
    if (!cur || cur.state === "finished") return false;
    // The end's alarm is written with it: raised again at every start (replayAlarms), so a crash before the engine kept it loses nothing (review 13c C2).
    const alarms = opts.alarm && !opts.silent ? { alarms: [...(cur.alarms ?? []), { ...opts.alarm, at: this.host.scheduler.now() }] } : {};
    const done: Sale = { ...cur, ...build(cur), ...alarms, state: "finished", endedAt: this.host.scheduler.now() };
    const write = this.book.put(done); // in memory at once: a concurrent finish sees it ended (and waits for its write)
    const restore = this.timers.suspend(transactionId);
    try {
      await write;
    } catch (err) {
      this.retryAfterFailedEnd(transactionId, restore);
      throw err;
    }
    this.evidence.forget(transactionId);
    this.host.log.info("session_ended", { point: done.point, flow: transactionId, transactionId: done.ocppTransactionId, milli: done.milli, amountMinor: done.amountMinor, reason: done.reason, endedBy: done.endedBy });
    if (!opts.silent) {
      this.host.emit({ type: "end", point: done.point, transactionId, gradeId: done.gradeId, milli: done.milli, amountMinor: done.amountMinor, unitPriceMinor: done.unitPriceMinor, reason: done.reason! });
      if (opts.alarm) this.host.emit({ type: "fault", point: done.point, ...opts.alarm, transactionId, flowSession: true }); // the flow's durable end just written
    }
    const waiters = this.finishWaiters.get(transactionId);
    this.finishWaiters.delete(transactionId);
    for (const w of waiters ?? []) w.resolve();
    return true;
  }

  /**
   * The end's write failed and was taken back: the session is open again, and the timers it had
   * run again (review 13c C1) — with the step that asked for this end (a stop's timeout, a
   * StopTransaction that may be missing) set again if it was the one that fired.
   */
  private retryAfterFailedEnd(transactionId: string, restore: () => void): void {
    restore();
    const s = this.book.get(transactionId);
    if (!s || s.state !== "delivering") return;
    if (s.stop && !this.timers.has(transactionId, "stop")) this.timers.set(transactionId, "stop", this.untilSettleBy(s, this.rampDownMs()), () => this.onStopTimeout(transactionId));
    if (this.endedStatus(s) && !this.timers.has(transactionId, "missing")) this.armMissingTimer(transactionId);
  }

  waitFinished(transactionId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let set = this.finishWaiters.get(transactionId);
      if (!set) this.finishWaiters.set(transactionId, (set = new Set()));
      set.add({ resolve, reject });
    });
  }

  /** The session's connector reported, on the current connection, that it is not in a transaction. */
  endedStatus(s: Sale): boolean {
    const status = this.host.freshStatus(s.chargePointId, s.connectorId);
    return status !== undefined && !inTransaction(status);
  }

  /** A transaction the agent refused: told to stop, once its refusal has gone out. */
  stopStray(chargePointId: string, transactionId: number): void {
    this.host.scheduler.setTimer(0, () => {
      this.host.link(chargePointId)?.call("RemoteStopTransaction", { transactionId }).catch((err: unknown) => this.host.log.debug("stray_stop_failed", { chargePointId, transactionId, err }));
    });
  }

  /** Whoever waits for the session to end stops waiting, each with an error of its own. */
  failWaiters(transactionId: string, error: () => AgentError): void {
    const waiters = this.finishWaiters.get(transactionId);
    this.finishWaiters.delete(transactionId);
    for (const w of waiters ?? []) w.reject(error());
  }

  close(): void {
    for (const [tx, waiters] of this.finishWaiters) for (const w of waiters) w.reject(new AgentError("DEVICE_DISCONNECTED", "OCPP driver closed", { transactionId: tx }));
    this.finishWaiters.clear();
  }
}
