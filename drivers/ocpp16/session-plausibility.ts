// The plausibility track of a charging session: the same meter readings again, each step bounded
// by the connector's rated power on the agent's clock (metering.ts holds the rule) — the only
// progress a session may be settled with when there is no usable meterStop.
import { priceOf } from "../../base/money.ts";
import { applySample, ASSUMED_POWER_W, sampleOutcome, UNRATED_CEILING_W, settleProgress, stopElapsedMs, type Plausibility } from "./metering.ts";
import type { PlausibleTrack, Sale } from "./sales.ts";
import type { SessionHost } from "./session-host.ts";

/** The progress a session may settle without a usable meterStop: its plausible track's (a sale from before that track: its own). */
export const settleableOf = (s: Sale): { milli: number; implausible?: number } => ({ milli: s.plausible?.milli ?? s.milli, ...(s.plausible?.implausible ? { implausible: s.plausible.implausible } : {}) });
const rawTrackOf = (s: Sale, meterStartWh: number): PlausibleTrack => {
  const { meterBaseWh, carriedWh, meterLastWh, meterLastAt, meterResets, meterPrevWh, meterPrevBaseWh, meterPrevCarriedWh, milli } = s;
  const fields = { meterBaseWh: meterBaseWh ?? meterStartWh, carriedWh, meterLastWh: meterLastWh ?? meterStartWh, meterLastAt, meterResets, meterPrevWh, meterPrevBaseWh, meterPrevCarriedWh };
  return { ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)), milli };
};
export const implausibleNote = (s: Sale): string => (s.plausible?.implausible ? `; ${s.plausible.implausible} reading(s) above the rated power ignored` : "");

export class SessionPlausibility {
  /** Sessions authorized by an earlier process (taken up from the store at start). */
  private readonly fromEarlierProcess = new Set<string>();

  constructor(private readonly host: SessionHost) {}

  /** A session taken up from the store at start: authorized by an earlier process. */
  resumed(s: Sale): void {
    this.fromEarlierProcess.add(s.transactionId);
  }

  /**
   * Whether the session crossed an agent restart (review 12n #3): its authorization was journaled
   * by an earlier process, whose clock anchor this one may not share (base/clock.ts) — a wall clock
   * corrected backwards meanwhile shortens the agent's time of the session, to 0 (or below).
   */
  private crossedRestart(s: Sale): boolean {
    return this.fromEarlierProcess.has(s.transactionId);
  }

  /** The longest a session runs on the agent's clock: what bounds the charger's span when the agent's time is on another anchor. */
  private get longestSessionMs(): number {
    return this.host.maxSessionMs + this.host.stopTimeoutMs;
  }

  /**
   * The session's plausible track after a reading: the reading applied with each step bounded by
   * the rated power on the agent's clock (metering.ts). A step above it is ignored there (logged,
   * and named in the alarm of a settlement of progress): it can never be settled from progress —
   * nor be evidence of an overrun (session-evidence.ts). Live progress and the limit stop use the
   * readings as received (a charger may deliver more than its configured rating; stopping early
   * is the safe mistake).
   */
  plausibleTrack(s: Sale, meterStartWh: number, wh: number, at: number): PlausibleTrack | undefined {
    // No track yet (the first reading, or a session journaled before there was one): it starts as the raw track.
    const cur: PlausibleTrack = s.plausible ?? rawTrackOf(s, meterStartWh);
    const o = sampleOutcome({ ...cur, meterStartWh, ...(s.meterStartAt !== undefined ? { meterStartAt: s.meterStartAt } : {}) }, wh, at, { maxPowerW: this.realPowerW(s), arrivedAt: this.host.scheduler.now(), startedAt: s.authorizedAt });
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

  /**
   * The connector's rated power on the agent's clock (a sped-up virtual charger delivers its rating
   * in shorter seconds): what bounds bills. No rating configured: the physical ceiling
   * (UNRATED_CEILING_W), never the assumed 22 kW (review 12n #2: every DC session billed 0 Wh).
   */
  realPowerW(s: Sale): number {
    return (this.host.binding(s.point)?.ratedPowerW ?? UNRATED_CEILING_W) * this.host.powerScale;
  }

  /**
   * The power that bounds the register growth which counts as evidence of an overrun (agent
   * clock): the configured rating, else the ASSUMED one — a stricter bound, so a doubtful reading
   * of an unrated charger is no evidence (the progress is settled instead, never the reservation).
   */
  evidencePowerW(s: Sale): number {
    return (this.host.binding(s.point)?.ratedPowerW ?? this.host.binding(s.point)?.maxPowerW ?? ASSUMED_POWER_W) * this.host.powerScale;
  }

  /** No rating configured: the assumed power on the agent's clock (else undefined). */
  private assumedPowerW(s: Sale): number | undefined {
    return this.host.binding(s.point)?.ratedPowerW === undefined ? ASSUMED_POWER_W * this.host.powerScale : undefined;
  }

  /**
   * The connector's rated power over the session's time: what progress alone may settle. The time
   * counts on the agent's clock from the AUTHORIZATION — no energy can flow before it — never from
   * when the agent processed the StartTransaction: a charger that charged offline delivers that
   * (queued) milliseconds before its StopTransaction, which would cap hours of charging at 0 Wh.
   */
  plausibility(s: Sale): Plausibility {
    const assumed = this.assumedPowerW(s);
    return { maxPowerW: this.realPowerW(s), elapsedMs: this.elapsedMs(s), ...(assumed !== undefined ? { assumedPowerW: assumed } : {}) };
  }

  /**
   * The session's time on the agent's clock, from the authorization. Across a restart (another
   * clock anchor, review 12n #3) never shorter than the charger's own span of the samples seen
   * (its StartTransaction's stamp to its latest sample's), bounded by the longest session.
   */
  private elapsedMs(s: Sale): number {
    const agent = this.host.scheduler.now() - s.authorizedAt;
    if (!this.crossedRestart(s) || s.meterStartAt === undefined || s.meterLastAt === undefined || !Number.isFinite(s.meterStartAt) || !Number.isFinite(s.meterLastAt)) return agent;
    return Math.max(agent, Math.min(s.meterLastAt - s.meterStartAt, this.longestSessionMs));
  }

  /**
   * What bounds a StopTransaction's meterStop (review 12l #2): the session's plausibility, with the
   * time a meterStop is judged by taken from the charger's own StartTransaction and StopTransaction
   * timestamps (`stopStampAt`), never from when the agent processed the stop — which a queued
   * StopTransaction would stretch by the charger's whole time offline. `odd`: the stamps could not
   * be used (the agent's time was taken).
   */
  stopPlausibility(s: Sale, stopStampAt: number): Plausibility & { odd?: string } {
    const p = this.plausibility(s);
    const crossed = this.crossedRestart(s);
    const t = stopElapsedMs(p.elapsedMs, s.meterStartAt, stopStampAt, crossed ? this.longestSessionMs : undefined);
    return { ...p, stopElapsedMs: t.ms, stopBasis: t.basis, ...(crossed ? { floorWh: settleableOf(s).milli } : {}), ...(t.odd ? { odd: t.odd } : {}) };
  }

  progressSettlement(s: Sale): { milli: number; amountMinor: number } {
    const milli = settleProgress(settleableOf(s), this.plausibility(s)).milli;
    return { milli, amountMinor: priceOf(milli, s.unitPriceMinor) };
  }
}
