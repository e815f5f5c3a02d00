// What a charging session has metered, from the charger's energy register: pure arithmetic over
// integer Wh, no I/O. The register is read from MeterValues (progress) and from
// StopTransaction.meterStop (the metered end); this file decides what each reading means and what
// is settled.
//
// - The metered end is StopTransaction.meterStop (issue 12). When meterStop ≥ meterStart (and
//   within what the connector could deliver) the session settles exactly meterStop − meterStart —
//   never more, whatever the samples said:
//   samples are progress only, and a sample above meterStop (a bit flip, a kWh/Wh mix-up), a
//   glitch reading (a failed meter read reported as 0) or a register that went backwards never
//   adds energy. When the samples disagree with meterStop the session still settles
//   meterStop − meterStart and raises OCPP_METER_DISAGREES naming the figures.
// - Only when meterStop < meterStart (the register was reset during the session: a charger
//   reboot, a meter swap), when meterStop − meterStart is more than twice the rated power could
//   deliver in the session (plus a few Wh: the step rule's bound) — a zero-based meterStart with
//   an absolute meterStop, a corrupted one, below the reservation as above it:
//   OCPP_METER_DISAGREES —, or when no StopTransaction ever came, is the progress seen settled —
//   never above what the connector's rated power could deliver in the session's time
//   (plausibleWh), and always with an alarm (OCPP_METER_RESET / the caller's).
// - Progress: energy = carried + (register − base). base starts at meterStart, carried at 0.
//   A lower reading TIMESTAMPED after the last one is a provisional RESET: what was metered so
//   far is carried, and the reading becomes the new base. A later reading back at or above the
//   reading before that "reset" shows it was a glitch: the reset is undone (its segments are never
//   added up). A lower reading that is not later is stale (a queued value delivered after the
//   agent's TriggerMessage got a fresh one) and ignored. Timestamps are the charger's own clock
//   (which the agent's Heartbeat may correct): they only ever decide progress, never the
//   settlement when meterStop ≥ meterStart.
// - Plausibility of each step (when the caller gives the connector's rated power): a reading may
//   add no more than STEP_POWER_FACTOR × maxPowerW × the time since the last accepted reading,
//   measured on the AGENT's arrival clock (the charger's clock may be off or reset) — or, for
//   queued readings delivered in one burst after an offline period (they arrive together), the
//   gap between their own meter timestamps (offset-free: one clock minus itself). A step above
//   that (a bit flip, a kWh/Wh slip) is "implausible": ignored — not progress, and a reset after
//   it carries nothing of it. The session-wide cap (plausibleWh) still bounds the whole.

/** The metering fields of a sale. */
export interface MeterTrack {
  readonly meterStartWh: number;
  /** Register value at which the current segment (since start or the last reset) began. */
  readonly meterBaseWh?: number;
  /** Energy of the segments before the last reset (Wh). */
  readonly carriedWh?: number;
  /** Last register reading (a good sample), and its meter value timestamp (ms). */
  readonly meterLastWh?: number;
  readonly meterLastAt?: number;
  /** StartTransaction's timestamp (ms): what a first reading is compared with. */
  readonly meterStartAt?: number;
  /** Energy metered so far (Wh). */
  readonly milli: number;
  /** How many times the register went backwards during the session (glitches included: the operator hears of both). */
  readonly meterResets?: number;
  /** The last reset, provisional: the reading before it and the segment it replaced (to undo a glitch). */
  readonly meterPrevWh?: number;
  readonly meterPrevBaseWh?: number;
  readonly meterPrevCarriedWh?: number;
  /** When (agent clock) the last accepted reading arrived: what the next step's rate is measured from. */
  readonly meterLastArrivedAt?: number;
}

type Segment = Pick<MeterTrack, "meterLastArrivedAt" | "meterLastWh" | "meterLastAt" | "meterBaseWh" | "carriedWh" | "meterResets" | "meterPrevWh" | "meterPrevBaseWh" | "meterPrevCarriedWh">;

export type SampleOutcome =
  /** Nothing new (the same reading again). */
  | { readonly kind: "same" }
  /** Lower than the last reading but not later: a queued, older reading delivered late. */
  | { readonly kind: "stale" }
  /** More energy than the connector's rated power could have delivered since the last reading: ignored. */
  | { readonly kind: "implausible"; readonly stepWh: number; readonly allowedWh: number }
  | { readonly kind: "grew"; readonly milli: number; readonly meterLastWh: number; readonly meterLastAt: number; readonly meterLastArrivedAt?: number }
  /** Lower and later: a provisional reset (the segment fields replace the track's). */
  | ({ readonly kind: "reset"; readonly milli: number; readonly meterLastWh: number; readonly meterLastAt: number; readonly meterBaseWh: number; readonly carriedWh: number; readonly meterResets: number } & Segment)
  /** Back at or above the reading before the last reset: that reset was a glitch, undone. */
  | ({ readonly kind: "glitch"; readonly milli: number; readonly meterLastWh: number; readonly meterLastAt: number; readonly meterBaseWh: number; readonly carriedWh: number; readonly meterResets: number } & Segment);

const baseOf = (t: MeterTrack) => t.meterBaseWh ?? t.meterStartWh;
const lastOf = (t: MeterTrack) => t.meterLastWh ?? t.meterStartWh;
const laterOf = (at: number, t: MeterTrack) => (Number.isFinite(at) ? Math.max(at, t.meterLastAt ?? -Infinity) : (t.meterLastAt ?? NaN));

/** What bounds one reading's step: the connector's rated power (W, agent clock), and (agent clock, ms) when the reading arrived and the session was authorized (the first step's reference: no energy flows before it). */
export interface StepBound {
  readonly maxPowerW: number;
  readonly arrivedAt: number;
  readonly startedAt: number;
}

/**
 * A sanity bound, not a meter audit: twice the rated power (a rating set a little low, a car that
 * draws over it briefly) plus a few Wh for a register read in whole Wh. A bit flip or a kWh/Wh
 * slip is orders of magnitude above it.
 */
const STEP_POWER_FACTOR = 2;
const STEP_SLACK_WH = 10;

/** The most a reading arriving now may add since the last accepted one (Wh). */
function allowedStepWh(t: MeterTrack, at: number, b: StepBound): number {
  const arrivalGap = Math.max(0, b.arrivedAt - (t.meterLastArrivedAt ?? b.startedAt));
  const lastAt = t.meterLastAt ?? t.meterStartAt;
  const meterGap = Number.isFinite(at) && lastAt !== undefined && Number.isFinite(lastAt) ? Math.max(0, at - lastAt) : 0;
  const gap = Math.max(arrivalGap, meterGap);
  return Math.ceil((b.maxPowerW * STEP_POWER_FACTOR * gap) / 3_600_000) + STEP_SLACK_WH;
}

/**
 * A good register reading (Outlet, this session's connector) during the session; `at`: its
 * timestamp (ms, NaN if unreadable); `bound`: the step plausibility check (none without it).
 */
export function sampleOutcome(t: MeterTrack, wh: number, at: number, bound?: StepBound): SampleOutcome {
  const o = rawOutcome(t, wh, at);
  if (!bound || (o.kind !== "grew" && o.kind !== "glitch")) return bound && o.kind === "reset" ? { ...o, meterLastArrivedAt: bound.arrivedAt } : o;
  const stepWh = o.milli - t.milli;
  const allowedWh = allowedStepWh(t, at, bound);
  if (stepWh > allowedWh) return { kind: "implausible", stepWh, allowedWh };
  return { ...o, meterLastArrivedAt: bound.arrivedAt };
}

function rawOutcome(t: MeterTrack, wh: number, at: number): SampleOutcome {
  if (t.meterPrevWh !== undefined && wh >= t.meterPrevWh) {
    const meterBaseWh = t.meterPrevBaseWh ?? t.meterStartWh;
    const carriedWh = t.meterPrevCarriedWh ?? 0;
    const milli = Math.max(t.milli, carriedWh + wh - meterBaseWh);
    return { kind: "glitch", milli, meterLastWh: wh, meterLastAt: laterOf(at, t), meterBaseWh, carriedWh, meterResets: t.meterResets ?? 1, meterPrevWh: undefined, meterPrevBaseWh: undefined, meterPrevCarriedWh: undefined };
  }
  if (wh < lastOf(t)) {
    const lastAt = t.meterLastAt ?? t.meterStartAt;
    if (!Number.isFinite(at) || lastAt === undefined || !Number.isFinite(lastAt) || at <= lastAt) return { kind: "stale" };
    return {
      kind: "reset",
      milli: t.milli,
      meterLastWh: wh,
      meterLastAt: at,
      meterBaseWh: wh,
      carriedWh: t.milli,
      meterResets: (t.meterResets ?? 0) + 1,
      meterPrevWh: lastOf(t),
      meterPrevBaseWh: baseOf(t),
      meterPrevCarriedWh: t.carriedWh ?? 0,
    };
  }
  const milli = (t.carriedWh ?? 0) + wh - baseOf(t);
  return milli > t.milli ? { kind: "grew", milli, meterLastWh: wh, meterLastAt: laterOf(at, t) } : { kind: "same" };
}

/** The track after a reading's outcome (the one way sessions and tests apply it). */
export function applySample<T extends object>(t: T, o: SampleOutcome): T {
  if (o.kind === "same" || o.kind === "stale" || o.kind === "implausible") return t;
  const { kind: _kind, ...fields } = o;
  return { ...t, ...fields };
}

/**
 * What bounds the bills of a connector whose rating (maxPowerW) is not configured (review 12n #2):
 * a physical ceiling (megawatt charging), never a guess — a 22 kW guess would bill every DC
 * session 0 Wh. The stop margin assumes ASSUMED_POWER_W; a session above twice that is settled as
 * metered and the operator is told to set maxPowerW (OCPP_RATING_UNSET, sessions.ts).
 */
export const UNRATED_CEILING_W = 1_000_000;
/** The power a connector without a configured rating is assumed to have (W): its stop margin, and the overrun evidence's growth bound. */
export const ASSUMED_POWER_W = 22_000;

/** The most energy (Wh) `maxPowerW` can deliver in `elapsedMs` (rounded down). */
export function plausibleWh(maxPowerW: number, elapsedMs: number): number {
  return Math.max(0, Math.floor((maxPowerW * Math.max(0, elapsedMs)) / 3_600_000));
}

export interface Settlement {
  readonly milli: number;
  /** The connector's rating is not configured and meterStop − meterStart was above twice the assumed one (settled as metered): the bound it passed. */
  readonly aboveAssumed?: { readonly assumedW: number; readonly assumedWh: number };
  readonly alarm?: { readonly code: "OCPP_METER_RESET" | "OCPP_METER_DISAGREES" | "OCPP_RATING_UNSET"; readonly message: string };
}

/** The session's time and rated power: what bounds a settlement of progress alone. */
export interface Plausibility {
  /** The rated power (W, agent clock): the configured rating, or UNRATED_CEILING_W when none is. */
  readonly maxPowerW: number;
  /** No rating configured: the power assumed for it (W, agent clock), which a meterStop above is settled but reported. */
  readonly assumedPowerW?: number;
  readonly elapsedMs: number;
  /**
   * The session's time that bounds a meterStop (ms; default elapsedMs): the charger's own span
   * from StartTransaction to StopTransaction, never above elapsedMs (stopElapsedMs) — and why.
   */
  readonly stopElapsedMs?: number;
  readonly stopBasis?: string;
  /**
   * A meterStop − meterStart up to this is never "impossible" (review 12n #3): the plausible
   * progress already seen of a session that crossed an agent restart (its agent time is on another
   * clock anchor; each step of that progress passed the rated power's bound when it arrived).
   */
  readonly floorWh?: number;
}

/** The most a span of `elapsedMs` may meter by the step rule's sanity bound (twice the rated power, a few Wh). */
function sanityWh(maxPowerW: number, elapsedMs: number): number {
  return Math.ceil((maxPowerW * STEP_POWER_FACTOR * Math.max(0, elapsedMs)) / 3_600_000) + STEP_SLACK_WH;
}

/** How coarse a charger's timestamps may be (ms): OCPP dateTimes are often whole seconds. */
const STAMP_RESOLUTION_MS = 1000;

/**
 * The session's time a meterStop is bounded by (review 12l #2): the charger's own span from its
 * StartTransaction's timestamp to its StopTransaction's (one clock minus itself: its offset
 * cancels), plus one stamp's resolution, never above the agent's time from the authorization to
 * the stop's arrival (`agentElapsedMs`). So a StopTransaction queued offline and delivered late
 * gains nothing by its lateness: the same message settles the same whenever it comes. A stamp
 * unreadable, or a stop stamped before its start (a clock stepped back), gives the agent's time
 * — the charger's clock tells nothing then — and says so (`odd`).
 * `untrustedAgentCapMs` (review 12n #3): the session was authorized by an earlier process, whose
 * clock anchor this one does not share (base/clock.ts re-anchors at each start: a wall clock
 * corrected backwards meanwhile shortens the agent's time, to 0) — then an agent time shorter
 * than the charger's span is no bound: the charger's span is taken, never above this cap
 * (maxSessionS + stopTimeoutS: no session runs longer).
 */
export function stopElapsedMs(agentElapsedMs: number, startStampAt: number | undefined, stopStampAt: number, untrustedAgentCapMs?: number): { ms: number; basis: string; odd?: string } {
  const agent = Math.max(0, agentElapsedMs);
  const known = startStampAt !== undefined && Number.isFinite(startStampAt) && Number.isFinite(stopStampAt);
  const odd = !known ? "the charger's StartTransaction and StopTransaction timestamps are not both readable" : stopStampAt < startStampAt ? `the stop is stamped ${Math.round((startStampAt - stopStampAt) / 1000)} s before the start` : undefined;
  if (odd) return { ms: agent, basis: `the session's ${Math.round(agent / 1000)} s on the agent's clock (${odd})`, odd };
  const charger = stopStampAt - startStampAt! + STAMP_RESOLUTION_MS;
  if (untrustedAgentCapMs !== undefined && charger > agent) {
    const ms = Math.min(charger, Math.max(agent, untrustedAgentCapMs));
    return { ms, basis: `the charger's ${Math.round(ms / 1000)} s from its StartTransaction to its StopTransaction timestamp (the agent restarted during the session: its own ${Math.round(agent / 1000)} s is on another clock anchor)` };
  }
  const ms = Math.min(agent, charger);
  return { ms, basis: ms < agent ? `the charger's ${Math.round(charger / 1000)} s from its StartTransaction to its StopTransaction timestamp` : `the session's ${Math.round(agent / 1000)} s on the agent's clock` };
}

/**
 * Above this a meterStop − meterStart is no end reading (review 12l #1): more than the connector
 * could deliver in the session by the step rule's own margin — below the reservation as above it:
 * there the customer would pay for energy nothing metered. A charger truly faster than twice its
 * configured maxPowerW is a configuration error, and the alarm is how the operator hears of it.
 */
function impossibleAboveWh(bound: Plausibility): number {
  return Math.max(sanityWh(bound.maxPowerW, bound.stopElapsedMs ?? bound.elapsedMs), bound.floorWh ?? 0);
}

/** What a session settles when it ended without a usable meterStop: its progress, never above the plausible bound. */
export function settleProgress(t: Pick<MeterTrack, "milli">, bound?: Plausibility): { milli: number; capped: boolean } {
  const cap = bound ? plausibleWh(bound.maxPowerW, bound.elapsedMs) : Infinity;
  return { milli: Math.max(0, Math.min(t.milli, cap)), capped: t.milli > cap };
}

/**
 * What a session settles at its StopTransaction's meterStop. `settleable`: the progress a
 * settlement without a usable meterStop may use (the plausible track's; default the track's own).
 */
export function settleAtStop(t: MeterTrack, meterStop: number, what: string, bound?: Plausibility, settleable: Pick<MeterTrack, "milli"> & { readonly implausible?: number } = t): Settlement {
  const start = t.meterStartWh;
  const last = lastOf(t);
  const resets = t.meterResets ?? 0;
  if (meterStop >= start && bound && meterStop - start > impossibleAboveWh(bound)) {
    // More than the connector could deliver in the whole session, by the step rule's own margin
    // (review 12k #3, 12l #1: a zero-based meterStart with an absolute register in meterStop, a
    // corrupted meterStop): not the charger's end reading but a wrong one — the plausible progress
    // is settled.
    const p = settleProgress(settleable, bound);
    return {
      milli: p.milli,
      alarm: {
        code: "OCPP_METER_DISAGREES",
        message: `${what}: meterStop ${meterStop} − meterStart ${start} = ${meterStop - start} Wh is more than ${STEP_POWER_FACTOR} × ${bound.maxPowerW} W could deliver in ${bound.stopBasis ?? `the session's ${Math.round(bound.elapsedMs / 1000)} s`} (at most ${impossibleAboveWh(bound)} Wh); settled the progress seen, ${p.milli} Wh${p.capped ? ` (capped from ${settleable.milli} Wh at the rated power)` : ""} (the samples reached ${last} Wh)${settleable.implausible ? `, ${settleable.implausible} reading(s) above the rated power ignored` : ""}`,
      },
    };
  }
  if (meterStop >= start) {
    const milli = meterStop - start;
    const assumedWh = bound?.assumedPowerW !== undefined ? sanityWh(bound.assumedPowerW, bound.stopElapsedMs ?? bound.elapsedMs) : Infinity;
    const aboveAssumed = milli > assumedWh ? { aboveAssumed: { assumedW: bound!.assumedPowerW!, assumedWh } } : {};
    // Above twice the assumed rating of an unrated connector (review 13 #3): the agent cannot tell
    // a fast charger from a wrong meterStop (up to the 1 MW ceiling, so up to the reservation), so
    // the bill stands as metered but EVERY such session is told, naming it, for a refund if wrong.
    const unrated = milli > assumedWh ? `meterStop ${meterStop} − meterStart ${start} = ${milli} Wh is more than ${STEP_POWER_FACTOR} × the assumed ${ASSUMED_POWER_W} W could deliver in ${bound!.stopBasis ?? `the session's ${Math.round(bound!.elapsedMs / 1000)} s`} (${assumedWh} Wh), and the connector has no maxPowerW configured` : undefined;
    const above = Math.max(last, start + t.milli) > meterStop;
    if (resets === 0 && !above) {
      if (!unrated) return { milli };
      return {
        milli,
        ...aboveAssumed,
        alarm: {
          code: "OCPP_RATING_UNSET",
          message: `${what}: ${unrated}; settled as metered (the agent cannot tell a charger faster than 22 kW from a wrong meterStop) — compare with the charger's own transaction record and refund what it did not deliver (\`ctl refund\`); set the connector's maxPowerW to its real rating`,
        },
      };
    }
    const why = [
      ...(above ? [`a sample reached ${Math.max(last, start + t.milli)} Wh (progress ${t.milli} Wh), above meterStop`] : []),
      ...(resets ? [`the register went backwards ${resets}× (progress ${t.milli} Wh)`] : []),
    ].join("; ");
    return {
      milli,
      ...aboveAssumed,
      alarm: {
        code: "OCPP_METER_DISAGREES",
        message: `${what}: the samples disagree with meterStop (${why}); settled meterStop ${meterStop} − meterStart ${start} = ${milli} Wh, the charger's own end reading${unrated ? `; also ${unrated}` : ""}`,
      },
    };
  }
  const p = settleProgress(settleable, bound);
  return {
    milli: p.milli,
    alarm: {
      code: "OCPP_METER_RESET",
      message: `${what}: meterStop ${meterStop} Wh is below meterStart ${start} Wh (the register was reset during the session); settled the progress seen, ${p.milli} Wh${p.capped && bound ? ` (capped from ${settleable.milli} Wh at ${bound.maxPowerW} W for ${Math.round(bound.elapsedMs / 1000)} s)` : ""}${resets ? `, ${resets} register reset(s) seen` : ""}${settleable.implausible ? `, ${settleable.implausible} reading(s) above the rated power ignored` : ""}`,
    },
  };
}
