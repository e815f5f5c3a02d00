// What the driver has observed of each running charging session, in memory only (a restart
// starts again from the next messages): the evidence an overrun verdict rests on, and the size of
// the last meter step (the margin of the limit stop).
//
// An overrun charges the whole reservation, so its evidence must be register growth after the
// charger had the stop — never a status alone (review 12l #3). A charger back from an outage drains its transaction
// queue after the stop (every sample arrives after it, each taken long before), and a charger
// without a running clock stamps every sample alike: no stamp says when a sample was read.
// So, after the RemoteStop's answer, the agent asks for the register (TriggerMessage
// MeterValues, three times, spaced: session-ending.ts). A reply (context "Trigger") to a trigger
// sent after the answer was asked for after the charger had the stop — but a charger that reads its
// meter on its own cycle (a Modbus poll, a register refreshed at the sampling interval) answers
// with the last value it read, so one step between two replies may be the catch-up with energy
// delivered BEFORE the stop (review 13b #6). Evidence is growth in two steps of the replies
// (r1 < r2 < r3, in order): r2 > r1 means the charger read its meter again after it answered r1's
// trigger (after the stop), so r3 − r2 is energy that flowed between two reads both after the stop,
// with no clock involved. Replies are matched to triggers in the
// order the triggers were sent (one connection is one ordered stream; an earlier trigger's late
// reply is taken for that earlier trigger, never for a later one). Every other sample —
// periodic, queued, unsolicited — is progress only, unless its OWN stamp puts it after the
// stop: a sample stamped s was taken at the latest at s + the least (arrival − stamp) of the
// charger's samples (charger-state.ts: an upper bound on when it was taken, whatever the meter
// clock's offset), so a queued sample, stamped when it was read, is never after the stop; growth
// between two samples that arrived after the answer and whose bound lies past the ramp-down is
// energy after the stop as far as the charger's own meter clock tells (review 12l #3/#4: a
// charger without TriggerMessage that accepts the stop and charges on). An unstamped sample, or
// a meter clock stamped ahead of itself, only loses evidence. A status alone is never evidence
// (review 12l #3: an unstamped Charging queued offline arrives after the answer). A charger that
// gives no register evidence is sent the stop again until the last safe moment, which settles
// its progress.
import type { MeterClockBound } from "./charger-state.ts";
import type { SessionHost } from "./session-host.ts";

/** Readings of triggers sent after the stop kept per session (the evidence needs three). */
const TRIGGERED_KEPT = 16;
/** Unsolicited samples arrived after the stop's answer kept per session (the latest). */
const SAMPLES_KEPT = 32;

interface StopWindow {
  /** When the first RemoteStop of this connection went out (agent clock). */
  readonly sentAt: number;
  /** When its (or a re-sent one's) Accepted answer arrived: a Rejected one is no stop the charger had. */
  confAt?: number;
}

interface Trigger {
  /** Sent after the charger answered the stop: its reply was read after the stop. */
  afterStop: boolean;
  /** The charger accepted it: a reply will come. */
  accepted: boolean;
  /** When it went out (agent clock): its reply was read no earlier. */
  readonly sentAt: number;
}

/**
 * Whether the charger's own stamps can prove growth after the stop: off. Issue 12 review 13 #1/#2:
 * the bound that tells a live sample from a drained queue's (the least arrival − stamp) is learnt
 * from the very messages it judges — after an upgrade, a first connection, a failed store write or
 * a clock step it comes from the queue itself, and a charger that obeyed the stop paid the whole
 * reservation. A false overrun is the worst outcome, so only the agent's own triggers after the
 * answer prove growth; without them the progress seen is settled (OCPP_STOP_UNCONFIRMED). Kept as a
 * switch, with its tests, for a bound that can be proven live.
 */
export const STAMPED_EVIDENCE: boolean = false;

export class SessionEvidence {
  /** Energy added by each session's last sample (Wh): what the next one may add again. */
  readonly lastStepWh = new Map<string, number>();
  private readonly stops = new Map<string, StopWindow>();
  /** How many RemoteStops each session's charger answered Rejected (session-ending.ts: the second is an alarm). */
  private readonly rejectedStops = new Map<string, number>();
  /** Each session's MeterValues triggers not answered yet, oldest first. */
  private readonly triggers = new Map<string, Trigger[]>();
  /** The session's plausible progress at each reply to a trigger sent after the stop's answer, and when it arrived (agent clock), in arrival order. */
  private readonly triggered = new Map<string, { milli: number; sentAt: number; at: number }[]>();
  /** The session's plausible progress at each stamped sample (not a trigger's reply) arrived after the stop's answer: its meter stamp (ms) and arrival (agent clock). */
  private readonly sampled = new Map<string, { milli: number; stampedAt: number; at: number }[]>();

  constructor(private readonly host: Pick<SessionHost, "scheduler">) {}

  /**
   * A RemoteStop goes out now. The first on a connection opens the window in which charging is
   * evidence (what was seen on an older connection is forgotten, and so are its triggers: their
   * replies went with it). Returns the function that records its Accepted answer.
   */
  stopSent(transactionId: string, connectedSince: number): () => void {
    const now = this.host.scheduler.now();
    const cur = this.stops.get(transactionId);
    if (!cur || cur.sentAt < connectedSince) {
      // A new window: readings kept, and triggers sent, before it are not of it (an older
      // trigger's reply must never become the reference of this window's growth). Those triggers
      // stay queued, demoted: their replies may still come on this connection, and must be taken
      // for them, not for this window's triggers (which would make a pre-stop reading evidence).
      this.stops.set(transactionId, { sentAt: now });
      this.triggered.delete(transactionId);
      this.sampled.delete(transactionId);
      for (const t of this.triggers.get(transactionId) ?? []) t.afterStop = false;
    }
    return () => {
      const w = this.stops.get(transactionId);
      if (!w || w.sentAt > now) return; // the window of a newer connection
      w.confAt = Math.min(w.confAt ?? Infinity, this.host.scheduler.now());
    };
  }

  /** When the current stop window opened, and when the charger answered a stop in it (undefined: not yet). */
  stopWindow(transactionId: string): { readonly sentAt: number; readonly confAt?: number } | undefined {
    return this.stops.get(transactionId);
  }

  /** The charger answered a RemoteStop of the session Rejected; returns how many it has rejected so far. */
  stopRejected(transactionId: string): number {
    const n = (this.rejectedStops.get(transactionId) ?? 0) + 1;
    this.rejectedStops.set(transactionId, n);
    return n;
  }

  /** The charger accepted a stop in the current window: a trigger sent now is read after the stop. */
  stopAnswered(transactionId: string): boolean {
    return this.stops.get(transactionId)?.confAt !== undefined;
  }

  /**
   * A TriggerMessage(MeterValues) for the session's connector goes out now; `afterStop`: one of the
   * stop check's (its reply is evidence if the current window's stop was answered) — a reconnect's
   * trigger never is. Returns the function that records its answer: "refused" (not Accepted, or
   * not sent), no reply comes; "unknown" (timed out, abandoned for a stop), a reply may still come,
   * so it stays in the queue — taking a late reply for a LATER trigger could make a pre-stop
   * reading the reference of "growth after the stop"; taking a reply for an earlier one only loses
   * evidence.
   */
  triggerSent(transactionId: string, kind: { afterStop: boolean }): (answer: "accepted" | "refused" | "unknown") => void {
    const t: Trigger = { afterStop: kind.afterStop && this.stopAnswered(transactionId), accepted: false, sentAt: this.host.scheduler.now() };
    let queue = this.triggers.get(transactionId);
    if (!queue) this.triggers.set(transactionId, (queue = []));
    queue.push(t);
    return (answer) => {
      const q = this.triggers.get(transactionId);
      if (!q || !q.includes(t)) return;
      if (answer === "accepted") t.accepted = true;
      else if (answer === "refused") q.splice(q.indexOf(t), 1);
    };
  }

  /** The session's connection is gone: replies to its triggers will not come. */
  connectionLost(transactionId: string): void {
    this.triggers.delete(transactionId);
  }

  /**
   * A MeterValues sample arrived now and left the session's PLAUSIBLE progress (metering.ts: a bit
   * flip or a kWh/Wh slip is no step of it) at `milli`. `triggered`: its
   * context is "Trigger". The reply to the oldest trigger still waiting; kept as evidence if that
   * trigger went out after the charger had answered the stop. Any other sample arrived after the
   * answer is kept with its meter stamp (`stampedAt`, ms; NaN none): chargedAfterStop judges it.
   */
  observeSample(transactionId: string, milli: number, triggered: boolean, stampedAt = NaN): void {
    if (!triggered) {
      if (!this.stopAnswered(transactionId) || !Number.isFinite(stampedAt)) return;
      let kept = this.sampled.get(transactionId);
      if (!kept) this.sampled.set(transactionId, (kept = []));
      kept.push({ milli, stampedAt, at: this.host.scheduler.now() });
      if (kept.length > SAMPLES_KEPT) kept.shift();
      return;
    }
    const queue = this.triggers.get(transactionId);
    const t = queue?.shift();
    if (!t?.afterStop) return;
    let kept = this.triggered.get(transactionId);
    if (!kept) this.triggered.set(transactionId, (kept = []));
    kept.push({ milli, sentAt: t.sentAt, at: this.host.scheduler.now() });
    if (kept.length > TRIGGERED_KEPT) kept.splice(1, 1); // the earliest stays: the reference of any growth
  }

  /**
   * How the register grew after the charger answered the stop, if it did (undefined: no evidence).
   * "trigger": in two steps of the replies to triggers sent after the answer (a reply strictly
   * between the first and the last: one step alone may be a cached register catching up). "stamped": between two
   * unsolicited samples taken, by their own stamps, no earlier than `after` (agent clock; the
   * answer plus the ramp-down) — `meterClock`: the charger's least (arrival − stamp), undefined:
   * no bound (no evidence). A bound this runtime got only after the stop was sent is no evidence
   * either (review 12n #1): it may be a drained queue's wait, not the link's delay. Either by no more than the connector's rated power
   * (`maxPowerW`, agent clock; twice it, and a few Wh of rounding, as metering.ts allows a step)
   * could deliver in the time the readings were taken within: more is a reading the charger got
   * wrong (a kWh/Wh slip, a bit flip), not evidence.
   */
  chargedAfterStop(transactionId: string, maxPowerW: number, after: number, meterClock: MeterClockBound | undefined): "trigger" | "stamped" | undefined {
    const within = (growth: number, fromMs: number, toMs: number) => growth > 0 && growth <= Math.ceil((maxPowerW * 2 * Math.max(0, toMs - fromMs)) / 3_600_000) + 10;
    const kept = this.triggered.get(transactionId) ?? [];
    const first = kept[0];
    const last = kept.at(-1);
    const twoSteps = first !== undefined && last !== undefined && kept.some((k) => k.milli > first.milli && k.milli < last.milli);
    if (twoSteps && within(last.milli - first.milli, first.sentAt, last.at)) return "trigger";
    if (!STAMPED_EVIDENCE) return undefined;
    const stop = this.stops.get(transactionId);
    const confAt = stop?.confAt;
    if (meterClock === undefined || confAt === undefined || meterClock.since >= stop!.sentAt) return undefined;
    // Judged now, with the bound as it is now: a queue drained since lowers it for every sample.
    const taken = (this.sampled.get(transactionId) ?? []).filter((k) => Math.min(k.at, k.stampedAt + meterClock.leastMs) >= after);
    if (taken.length >= 2 && within(taken.at(-1)!.milli - taken[0]!.milli, confAt, taken.at(-1)!.at)) return "stamped";
    return undefined;
  }

  /** The session has ended: nothing of it is needed any more. */
  forget(transactionId: string): void {
    this.lastStepWh.delete(transactionId);
    this.stops.delete(transactionId);
    this.rejectedStops.delete(transactionId);
    this.triggers.delete(transactionId);
    this.triggered.delete(transactionId);
    this.sampled.delete(transactionId);
  }
}
