// What the driver has observed of each running charging session, in memory only (a restart
// starts again from the next messages): the evidence an overrun verdict rests on, and the size of
// the last meter step (the margin of the limit stop).
//
// An overrun charges the whole reservation, so its evidence must be a LOWER bound: energy that
// certainly flowed after the charger had the stop. A sample proves nothing by arriving after the
// stop (it may have been taken before, in flight), and growth from a sample taken before the stop
// to one taken after may all have happened before it. So the evidence is growth between two
// samples BOTH taken after the charger had processed the RemoteStop:
// - each arrived after the RemoteStop's answer (one connection is one ordered stream: the charger
//   sent it after it had answered the stop) and is stamped later than the first sample that did
//   (that one may have been taken before the stop and sent after it: in flight), and
// - its timestamp, corrected to the agent's clock, is later than the stop's sending plus the
//   measured transit both ways (the RemoteStop's round trip: the stop's way down, and the
//   uplink delay the offset estimate still holds) plus a timestamp's resolution.
// The clock offset (agent − charger) is estimated as the least (arrival − timestamp) over the
// session's RECENT MeterValues only (a window: one message stamped by another clock — a
// StartTransaction in local time marked Z — or a clock the agent's currentTime stepped back
// ages out, and is forgotten at once when the agent sends currentTime). That least value is the
// offset plus the shortest uplink delay of the window: a timestamp plus it, minus one round trip,
// is when (agent clock) the sample was taken, at the earliest — as long as the window's fastest
// uplink took no longer than the stop's round trip.
import type { SessionHost } from "./session-host.ts";

/** MeterValues the offset estimate is taken over. */
const OFFSET_WINDOW = 8;
/** Samples taken after the stop kept per session (the evidence needs two). */
const AFTER_STOP_KEPT = 16;

interface StopWindow {
  /** When the first RemoteStop of this connection went out (agent clock). */
  readonly sentAt: number;
  /** When its (or a re-sent one's) answer arrived; the longest round trip measured. */
  confAt?: number;
  rttMs: number;
  /** The timestamp (charger clock) of the first sample that arrived after that answer. */
  firstAfterConfAt?: number;
}

export class SessionEvidence {
  /** Energy added by each session's last sample (Wh): what the next one may add again. */
  readonly lastStepWh = new Map<string, number>();
  private readonly stops = new Map<string, StopWindow>();
  /** (arrival − timestamp) of each session's recent MeterValues, oldest first. */
  private readonly offsets = new Map<string, number[]>();
  /** Samples proven taken after the stop: their timestamp (charger clock) and the session's progress then. */
  private readonly afterStop = new Map<string, Array<{ at: number; milli: number }>>();

  constructor(private readonly host: Pick<SessionHost, "scheduler" | "stopTimeoutMs">) {}

  /**
   * A RemoteStop goes out now. The first on a connection opens the window in which charging is
   * evidence (what was seen on an older connection is forgotten). Returns the function that
   * records its answer.
   */
  stopSent(transactionId: string, connectedSince: number): () => void {
    const now = this.host.scheduler.now();
    const cur = this.stops.get(transactionId);
    if (!cur || cur.sentAt < connectedSince) {
      this.stops.set(transactionId, { sentAt: now, rttMs: 0 });
      this.afterStop.delete(transactionId);
    }
    return () => {
      const w = this.stops.get(transactionId);
      if (!w || w.sentAt > now) return; // the window of a newer connection
      const answeredAt = this.host.scheduler.now();
      w.confAt = Math.min(w.confAt ?? Infinity, answeredAt);
      w.rttMs = Math.max(w.rttMs, answeredAt - now);
    };
  }

  /** When the current stop window opened, and when the charger answered a stop in it (undefined: not yet). */
  stopWindow(transactionId: string): { readonly sentAt: number; readonly confAt?: number } | undefined {
    return this.stops.get(transactionId);
  }

  /**
   * A MeterValues sample stamped `at` (charger clock) arrived now and left the session's progress
   * at `milli`: refines the offset estimate, and is kept as evidence if it was certainly taken
   * after the charger had the stop (see the header).
   */
  observeSample(transactionId: string, at: number, milli: number): void {
    if (!Number.isFinite(at)) return;
    const now = this.host.scheduler.now();
    let window = this.offsets.get(transactionId);
    if (!window) this.offsets.set(transactionId, (window = []));
    window.push(now - at);
    if (window.length > OFFSET_WINDOW) window.shift();
    const stop = this.stops.get(transactionId);
    if (!stop || stop.confAt === undefined || now <= stop.confAt) return;
    if (stop.firstAfterConfAt === undefined) {
      stop.firstAfterConfAt = at;
      return;
    }
    if (at <= stop.firstAfterConfAt) return;
    const offset = Math.min(...window);
    const resolution = Math.min(1000, this.host.stopTimeoutMs / 2);
    if (at + offset <= stop.sentAt + 2 * stop.rttMs + resolution) return;
    let kept = this.afterStop.get(transactionId);
    if (!kept) this.afterStop.set(transactionId, (kept = []));
    kept.push({ at, milli });
    if (kept.length > AFTER_STOP_KEPT) kept.splice(1, 1); // the earliest stays: the reference of any growth
  }

  /** The register grew between two samples both taken after the charger had the stop. */
  chargedAfterStop(transactionId: string): boolean {
    const kept = this.afterStop.get(transactionId) ?? [];
    return kept.some((a) => kept.some((b) => b.at > a.at && b.milli > a.milli));
  }

  /** The agent sent the charger its time (Boot/Heartbeat answer): its clock may have stepped, the estimate starts again. */
  resetClock(transactionId: string): void {
    this.offsets.delete(transactionId);
  }

  /** The session has ended: nothing of it is needed any more. */
  forget(transactionId: string): void {
    this.lastStepWh.delete(transactionId);
    this.stops.delete(transactionId);
    this.offsets.delete(transactionId);
    this.afterStop.delete(transactionId);
  }
}
