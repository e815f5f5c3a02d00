// What one pump's latest status means, without I/O: given what the driver saw last time and the
// records it holds for that pump, one PumpGetStatus answer becomes the agent's events (nozzle,
// call, progress, end, fault) and the follow-ups the driver must perform (read a transaction back,
// close it, stop it) — returned as data, so every case is a plain unit test.
//
// Rules kept here:
// - a nozzle lift is a customer call only when no authorization of ours waits on the pump, and
//   only once per lift: a nozzle still in hand after a sale must be hung up first;
// - progress and end carry the controller's own figures, for our transactions only (a sale some
//   other system authorized on the pump is never reported as ours);
// - an end is reported once per transaction (as an "ended" follow-up: the driver writes the
//   figures to the record, then tells the flows) and before the transaction is closed;
// - a transaction we asked to stop but that still fills is stopped again, and after stopTimeoutMs
//   emergency-stopped; an authorization whose outcome we resolved as "not there" that shows up
//   anyway is first read back (a "verify" follow-up: the attendant's sale may carry the same
//   number); only when the controller says the agent's user authorized it is it stopped (and
//   emergency-stopped after stopTimeoutMs, as our own), and fuel it delivered raises
//   PTS_UNOWNED_DELIVERY (nobody is charged for it: the operator must know). Such a record, settled
//   by its flow or not, is watched for closeUnsettledAfterMs before it is closed (review 14v W3/W4);
// - an authorization whose answer we never got (`authorizing`) that shows up filling or ended is
//   read back first: only a transaction that matches what we asked is ours (ownership.ts);
// - a sale running at another price, grade or nozzle than authorized raises PTS_SALE_MISMATCH
//   (the flow stops the pump; the end is charged as sale-figures.ts says).
import { provenOurs, stoppable } from "./stop-gate.ts";
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import type { Figures, PumpObservation } from "./decode-status.ts";
import { endedFigures, mismatchOf } from "./sale-figures.ts";
import type { EndedFigures, TxRecord } from "./transactions.ts";
import { CENTS, type WireUnits, priceAsMinor } from "./units.ts";

export { endReason } from "./sale-figures.ts";

export interface PumpView {
  readonly nozzleUp: number;
  /** The next nozzle lift is a customer call. */
  readonly armed: boolean;
  readonly offline: boolean;
  /** Last progress reported: transaction, quantity and amount. */
  readonly reported?: { readonly transaction: number; readonly milli: number; readonly amountMinor: number };
  /** Transactions already emergency-stopped. */
  readonly emergencyStopped?: number;
  /** Transactions whose mismatch / unowned delivery was already raised while filling. */
  readonly mismatchRaised?: number;
  readonly unownedRaised?: number;
  /** An end of transaction no open record of ours holds: since when, and whether PTS_PUMP_STUCK was raised. */
  readonly strayEnd?: { readonly transaction: number; readonly since: number; readonly raised: boolean };
  readonly seen: boolean;
}

export const INITIAL_VIEW: PumpView = { nozzleUp: 0, armed: true, offline: false, seen: false };

export type TrackerAction =
  | { readonly type: "ended"; readonly record: TxRecord; readonly figures: EndedFigures }
  | { readonly type: "read"; readonly record: TxRecord }
  /** A given-up (void/refused) number is live on the pump: is it our authorization after all? (ownership.ts) */
  | { readonly type: "verify"; readonly record: TxRecord }
  | { readonly type: "close"; readonly record: TxRecord }
  /** A parked sale the flow gave up stands at a 0-ml end of its number: confirm, record the end, close it. */
  | { readonly type: "empty-end"; readonly record: TxRecord }
  | { readonly type: "closed"; readonly record: TxRecord }
  /** recheck: sent only if the record is still open and not lost when its turn comes (a read before it may have lost it). */
  | { readonly type: "stop"; readonly record: TxRecord; readonly emergency: boolean; readonly why: string; readonly recheck?: true };

export interface TrackerContext {
  readonly point: number;
  /** Open records of this pump (not closed), oldest first. */
  readonly records: readonly TxRecord[];
  /** The agent grade id a nozzle of this pump delivers (from the nozzle configuration). */
  gradeOfNozzle(nozzle: number): string | undefined;
  /** The agent grade id of a controller FuelGradeId. */
  gradeOfFuelGrade(ptsFuelGradeId: number): string | undefined;
  readonly now: number;
  /** When the driver's last PumpStop for a transaction was confirmed, if it was. */
  stopConfirmedAt(transaction: number): number | undefined;
  readonly stopTimeoutMs: number;
  readonly closeUnsettledAfterMs: number;
  /** Money and price digits (default two each). */
  readonly units?: WireUnits;
  /**
   * The controller could not be reached since this authorized record was last proven ours (a reboot
   * fits in that gap, and may have lost it: review 13 R13-3, still-ours.ts). The pump's status carries
   * no UserId, so its sale under the number is read first, never reported or stopped on the number alone.
   */
  unproven?(r: TxRecord): boolean;
  /** Its read-back UserId not confirmed since a request that may have met a reboot (still-ours.ts unconfirmedSince, T3). */
  unconfirmed?(r: TxRecord): boolean;
}

export interface TrackerStep {
  readonly view: PumpView;
  readonly events: DispenserEvent[];
  readonly actions: TrackerAction[];
}

const LIVE = new Set(["authorizing", "authorized"]);

export function observePump(view: PumpView, obs: PumpObservation, ctx: TrackerContext): TrackerStep {
  const events: DispenserEvent[] = [];
  const actions: TrackerAction[] = [];
  const point = ctx.point;
  const byTx = (t: number | undefined) => (t === undefined ? undefined : ctx.records.find((r) => r.transaction === t));
  const ours = (r: TxRecord | undefined): boolean => r !== undefined && LIVE.has(r.phase);
  let next: PumpView = { ...view, seen: true };

  const nozzleTo = (up: number) => {
    if (up === view.nozzleUp) return;
    if (view.nozzleUp !== 0) events.push({ type: "nozzle", point, up: false, ...gradeOf(ctx, view.nozzleUp) });
    if (up !== 0) events.push({ type: "nozzle", point, up: true, ...gradeOf(ctx, up) });
    next = { ...next, nozzleUp: up };
  };

  if (obs.kind === "offline") {
    if (!view.offline) {
      events.push({ type: "fault", point, code: "PTS_PUMP_OFFLINE", message: `pump ${obs.pump} does not answer the controller` });
      next = { ...next, offline: true };
    }
    return { view: next, events, actions };
  }
  if (view.offline) next = { ...next, offline: false };
  if (obs.kind === "other") return { view: next, events, actions };

  if (obs.kind === "idle") {
    const waiting = byTx(obs.transaction);
    nozzleTo(obs.nozzleUp);
    if (obs.nozzleUp === 0) next = { ...next, armed: true };
    else if (obs.nozzleUp !== view.nozzleUp && next.armed) {
      // A lift with one of our authorizations live on the pump is that sale starting, not a new customer.
      const live = ctx.records.some((r) => ours(r) && r.ended === undefined);
      if (!live) events.push({ type: "call", point, ...gradeOf(ctx, obs.nozzleUp) });
      next = { ...next, armed: false };
    }
    for (const r of ctx.records) {
      if (r === waiting) {
        // Its end is recorded: an authorization waiting under the number is someone else's (the POS
        // after a reboot that lost the records), never stopped as ours (review 14v V3).
        if (r.ended !== undefined) continue;
        if (r.phase === "void" || r.phase === "refused") {
          if (r.liveVerdict === "ours") actions.push({ type: "stop", record: r, emergency: false, why: `authorization ${r.transaction} we resolved as absent is live` });
          else actions.push({ type: "verify", record: r });
        }
        else if (r.stopRequestedAt !== undefined && ctx.unproven?.(r) === true) actions.push({ type: "read", record: r }); // the POS's prepay after a reboot? (R13-3)
        else if (r.stopRequestedAt !== undefined && stoppable(r, obs) && stopDue(ctx, r)) actions.push({ type: "stop", record: r, emergency: false, why: "stop not yet effective" });
        continue;
      }
      // The pump is idle and not holding r: r ended (and was closed) or vanished. Settled by its
      // flow (paid, cancelled, resolved by a technician) there is nothing left to learn: forget it,
      // or a transaction the controller lost would hold the pump's calls forever. Else read it back.
      if (ours(r) && r.ended === undefined && r.settled === true) actions.push({ type: "closed", record: r });
      else if (ours(r) && r.ended === undefined) actions.push({ type: "read", record: r });
      else if (r.ended !== undefined) actions.push({ type: "closed", record: r });
      // A resolved-absent authorization is watched for a while in case it shows up after all.
      else if (ctx.now - Math.max(r.at, r.givenUpAt ?? r.at) >= ctx.closeUnsettledAfterMs) actions.push({ type: "closed", record: r });
    }
    return { view: next, events, actions };
  }

  // Filling or end of transaction: the nozzle is in hand, so no call until it is hung up.
  const r = byTx(obs.transaction);
  next = { ...next, armed: false };
  if (view.nozzleUp !== obs.nozzle) nozzleTo(obs.nozzle);

  if (obs.kind === "filling") {
    // Someone else's sale — also under the number of a sale of ours whose end is recorded: after a
    // reboot that lost the records the POS fills under it; neither its progress nor its stop (V3).
    if (r === undefined || r.ended !== undefined) return { view: next, events, actions };
    if (!ours(r)) {
      // The number alone proves nothing (the attendant's POS numbers like us): stopped only once
      // the controller says we authorized it (review 2, N2).
      if (r.liveVerdict !== "ours") return { view: next, events, actions: [...actions, { type: "verify", record: r }] };
      // A valve that ignores PumpStop meets PumpEmergencyStop, as a sale of ours does (below): a
      // late-landing authorization would otherwise fill to its dose, charged to nobody (review 14v W3/W4).
      const emergency = emergencyDue(next, ctx, r, obs.pump);
      if (emergency) {
        actions.push(emergency.action);
        events.push(emergency.event);
        next = emergency.view;
      } else actions.push({ type: "stop", record: r, emergency: false, why: `transaction ${r.transaction} is ${r.phase} but filling` });
      if (view.unownedRaised !== r.transaction) {
        events.push(unownedFault(point, obs.pump, r, obs));
        next = { ...next, unownedRaised: r.transaction };
      }
      return { view: next, events, actions };
    }
    // Not confirmed yet: is it the authorization we sent? (the read-back resolves it.) Until it is
    // proven ours it may be the POS's sale under our number: no progress reported as our flow's,
    // no stop (review 5, R5-1; stop-gate.ts).
    if (r.phase === "authorizing") actions.push({ type: "read", record: r });
    if (!provenOurs(r)) return { view: next, events, actions };
    // Confirmed, but its UserId check never ran (a failed read, a kill before it): the read runs the
    // check first — a contradiction parks it (review 9, R9-3) — before fuel is reported as the flow's.
    // Only the report waits: a stop the flow asked for is followed up and escalated all the same
    // (review 11, R11-2: the early return here skipped PumpEmergencyStop while the read kept failing).
    // After a gap a reboot fits in, the number alone is not our sale (review 13, R13-3): read first.
    // And a sale whose UserId was read back is read again after any request that may have met a
    // reboot (review 14t, T3: a reset mid-poll records no gap, and the POS's fill under our lost number
    // was our progress): one read confirms it; until then neither progress nor a re-stop (below).
    const doubted = r.userCheckPending !== true && ctx.unconfirmed?.(r) === true;
    if (r.userCheckPending === true || ctx.unproven?.(r) === true || doubted) actions.push({ type: "read", record: r });
    else {
      // Judged once fuel runs: the first status of a fill may not carry its price and grade yet.
      const why = obs.milli > 0 ? mismatchOf(r, obs) : undefined;
      if (why !== undefined && view.mismatchRaised !== r.transaction) {
        events.push({ type: "fault", point, code: "PTS_SALE_MISMATCH", transactionId: r.flowId, message: `pump ${obs.pump} transaction ${r.transaction} is filling with ${why}` });
        next = { ...next, mismatchRaised: r.transaction };
      }
      const rep = view.reported;
      if (rep?.transaction !== obs.transaction || rep.milli !== obs.milli || rep.amountMinor !== obs.amountMinor) {
        // At the end's rule (sale-figures.ts): the flow keeps progress as what it may settle (V4).
        const amountMinor = endedFigures(r, obs, ctx.now, ctx.units ?? CENTS).amountMinor;
        events.push({ type: "progress", point, transactionId: r.flowId, milli: obs.milli, amountMinor });
        next = { ...next, reported: { transaction: obs.transaction, milli: obs.milli, amountMinor: obs.amountMinor } };
      }
    }
    // A doubted sale the flow already stopped is followed up too: its stop went out although the
    // confirming read failed (review 14u U3, stop-point.ts), and a valve that ignores it must meet
    // PumpEmergencyStop, or it fills on past the lapse (review 14v V2). Such a stop is sent only if
    // the read queued just before it (this step's "read") has not lost the record meanwhile.
    if (r.stopRequestedAt !== undefined) {
      const recheck = doubted ? { recheck: true as const } : {};
      const emergency = emergencyDue(next, ctx, r, obs.pump);
      if (emergency) {
        actions.push({ ...emergency.action, ...recheck });
        events.push(emergency.event);
        next = emergency.view;
      } else if (stopDue(ctx, r)) actions.push({ type: "stop", record: r, emergency: false, why: "stop not yet effective", ...recheck });
    }
    return { view: next, events, actions };
  }

  // End of transaction.
  if (r === undefined) {
    // Not ours to close (the POS's, or a number nobody owns any more) — but while it stands every
    // authorization on the pump is refused: past closeUnsettledAfterMs a person must know (review 2, N3b).
    return stuckPast(next, obs, ctx, events, actions, "with no sale of the agent's open on it");
  }
  if (r.ended === undefined) {
    // An authorization resolved as absent that ran anyway was stopped: close it, no flow owns it —
    // but the fuel it delivered is charged to nobody: an alarm with the figures.
    if (!ours(r)) {
      if (r.liveVerdict !== "ours") return { view: next, events, actions: [...actions, { type: "verify", record: r }] };
      if (obs.milli > 0 || obs.amountMinor > 0) events.push(unownedFault(point, obs.pump, r, obs));
      return { view: next, events, actions: [...actions, { type: "close", record: r }] };
    }
    // Parked for a technician (PTS_OWNERSHIP_UNKNOWN, not claimed): the read-back cannot decide it.
    if (r.phase === "authorizing" && r.ownershipUnknownAt !== undefined && r.claimedAt === undefined) return parkedEnd(next, obs, r, ctx, events, actions);
    // Never confirmed: only the read-back (ownership.ts) may turn it into our sale. Confirmed with its
    // UserId check pending: the read runs the check before the end is the flow's (R9-3).
    // After a gap a reboot fits in, the read proves it still ours first (review 13, R13-3). And a
    // sale whose UserId was read back is read before its end is ours, gap seen or not (review 14
    // Q5/Q4: a reboot inside one lost answer, or with the agent's own box, is no gap the agent sees,
    // and the POS's fill under our lost number was billed to our customer): one packet a sale.
    if (r.phase === "authorizing" || r.userCheckPending === true || r.readBackUserId !== undefined || ctx.unproven?.(r) === true) return { view: next, events, actions: [...actions, { type: "read", record: r }] };
    // The driver tells the flows (once, whoever notices the end first: this poll or a read-back).
    actions.push({ type: "ended", record: r, figures: endedFigures(r, obs, ctx.now, ctx.units ?? CENTS) });
    next = { ...next, reported: undefined };
    return { view: next, events, actions };
  }
  if (r.settled || ctx.now - r.ended.at >= ctx.closeUnsettledAfterMs) actions.push({ type: "close", record: r });
  return { view: next, events, actions };
}

/**
 * An end under the number of a sale parked PTS_OWNERSHIP_UNKNOWN (review 7, R7-1). With AutoClose
 * off nothing else closes it, and while it stands the controller refuses every authorization on
 * the pump. At 0 ml and 0 amount it is nobody's fuel — whether the authorization was ours or the
 * POS's, nothing is owed — so once the flow has given the sale up (it asked to stop it: the revoke
 * of R6-1, or a technician's cancel / mark-settled) the driver confirms the figures by a read-back,
 * records the end (the flow settles it as nothing delivered) and closes it ("empty-end"). An end
 * with fuel on it is never closed by the agent: it may be the POS's sale to collect. It only
 * alarms (PTS_PUMP_STUCK, naming the parked flow) past closeUnsettledAfterMs.
 */
function parkedEnd(view: PumpView, obs: Extract<PumpObservation, { kind: "end" }>, r: TxRecord, ctx: TrackerContext, events: DispenserEvent[], actions: TrackerAction[]): TrackerStep {
  const givenUp = r.stopRequestedAt !== undefined || r.stopWantedAt !== undefined || r.settled === true;
  if (obs.milli === 0 && obs.amountMinor === 0 && givenUp) return { view, events, actions: [...actions, { type: "empty-end", record: r }] };
  return stuckPast(view, obs, ctx, events, actions, `held by sale ${r.flowId}, parked for a technician's decision (PTS_OWNERSHIP_UNKNOWN: \`ctl resolve ${r.flowId} claim|disown\`)`);
}

/** An end the agent does not close: past closeUnsettledAfterMs a person must know (review 2, N3b). */
function stuckPast(view: PumpView, obs: Extract<PumpObservation, { kind: "end" }>, ctx: TrackerContext, events: DispenserEvent[], actions: TrackerAction[], whose: string): TrackerStep {
  const stray = view.strayEnd?.transaction === obs.transaction ? view.strayEnd : { transaction: obs.transaction, since: ctx.now, raised: false };
  let next: PumpView = { ...view, strayEnd: stray };
  if (!stray.raised && ctx.now - stray.since >= ctx.closeUnsettledAfterMs) {
    events.push({ type: "fault", point: ctx.point, code: "PTS_PUMP_STUCK", message: `pump ${obs.pump} has stood at end of transaction ${obs.transaction} for ${Math.round((ctx.now - stray.since) / 1000)} s ${whose} (${obs.milli} ml, amount ${obs.amountMinor}); the pump refuses every authorization until that transaction is closed` });
    next = { ...next, strayEnd: { ...stray, raised: true } };
  }
  return { view: next, events, actions };
}

/** PumpEmergencyStop (once per transaction, PTS_STOP_IGNORED) when a PumpStop of r went unheeded for stopTimeoutMs. */
function emergencyDue(view: PumpView, ctx: TrackerContext, r: TxRecord, pump: number): { action: TrackerAction; event: DispenserEvent; view: PumpView } | undefined {
  const confirmed = ctx.stopConfirmedAt(r.transaction);
  if (confirmed === undefined || ctx.now - confirmed < ctx.stopTimeoutMs || view.emergencyStopped === r.transaction) return undefined;
  return {
    action: { type: "stop", record: r, emergency: true, why: `still filling ${ctx.now - confirmed} ms after PumpStop` },
    event: { type: "fault", point: ctx.point, code: "PTS_STOP_IGNORED", message: `pump ${pump} kept filling after PumpStop; emergency stop sent`, transactionId: r.flowId },
    view: { ...view, emergencyStopped: r.transaction },
  };
}

function stopDue(ctx: TrackerContext, r: TxRecord): boolean {
  const confirmed = ctx.stopConfirmedAt(r.transaction);
  return confirmed === undefined || ctx.now - confirmed >= ctx.stopTimeoutMs;
}

function gradeOf(ctx: TrackerContext, nozzle: number): { gradeId?: string } {
  const g = ctx.gradeOfNozzle(nozzle);
  return g === undefined ? {} : { gradeId: g };
}

function unownedFault(point: number, pump: number, r: TxRecord, f: Figures): DispenserEvent {
  return {
    type: "fault",
    point,
    code: "PTS_UNOWNED_DELIVERY",
    transactionId: r.flowId,
    message: `pump ${pump} transaction ${r.transaction} delivered ${f.milli} ml / ${f.amountMinor} (minor units) under an authorization the agent had given up (${r.phase}); it was stopped and is charged to nobody`,
  };
}

export function endEvent(point: number, r: TxRecord, f: EndedFigures, ctx: Pick<TrackerContext, "gradeOfFuelGrade" | "units">): DispenserEvent {
  return {
    type: "end",
    point,
    transactionId: r.flowId,
    gradeId: ctx.gradeOfFuelGrade(f.ptsFuelGradeId) ?? r.gradeId,
    milli: f.milli,
    amountMinor: f.amountMinor,
    unitPriceMinor: priceAsMinor(f.priceMinor, ctx.units ?? CENTS),
    reason: f.reason,
  };
}
