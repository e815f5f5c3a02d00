// What a charging session has metered, from the charger's energy register: pure arithmetic over
// integer Wh, no I/O. The register is read from MeterValues (progress) and from
// StopTransaction.meterStop (the metered end); this file decides what each reading means and what
// is settled.
//
// - Progress: energy = carried + (register − base). base starts at meterStart, carried at 0.
// - A register that goes backwards (a charger that lost its session meter in a reboot, a meter
//   swap) is a RESET: what was metered so far is carried, and the reading becomes the new base.
//   Only a reading TIMESTAMPED after the last one is a reset: a charger back online delivers its
//   queued MeterValues after the agent's TriggerMessage got a fresh one, so an older, lower reading
//   is stale and ignored (so is a lower one whose time cannot be compared).
//   The energy between the reset and that first reading is not billed (we cannot know it): the
//   conservative side, the customer never pays for energy no reading shows.
// - The metered end is meterStop when it is ≥ the current base and ≥ the last register reading:
//   carried + (meterStop − base), i.e. meterStop − meterStart for a session without a reset. A
//   sample never raises it (samples are progress only).
// - A meterStop below the last reading (or below meterStart) contradicts the register it comes
//   from: settled is the last good reading's energy — the most the register itself showed, already
//   shown to the customer as progress — and the session raises OCPP_METER_DISAGREES.
// - A session with a reset raises OCPP_METER_RESET at its end, naming what was settled.

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
  /** How many times the register went backwards during the session. */
  readonly meterResets?: number;
}

export type SampleOutcome =
  /** Nothing new (the same reading again). */
  | { readonly kind: "same" }
  /** Lower than the last reading but not later: a queued, older reading delivered late. */
  | { readonly kind: "stale" }
  | { readonly kind: "grew"; readonly milli: number; readonly meterLastWh: number; readonly meterLastAt: number }
  | { readonly kind: "reset"; readonly milli: number; readonly meterLastWh: number; readonly meterLastAt: number; readonly meterBaseWh: number; readonly carriedWh: number; readonly meterResets: number };

const baseOf = (t: MeterTrack) => t.meterBaseWh ?? t.meterStartWh;
const lastOf = (t: MeterTrack) => t.meterLastWh ?? t.meterStartWh;

/** A good register reading (Outlet, this session's connector) during the session; `at`: its timestamp (ms, NaN if unreadable). */
export function sampleOutcome(t: MeterTrack, wh: number, at: number): SampleOutcome {
  if (wh < lastOf(t)) {
    const lastAt = t.meterLastAt ?? t.meterStartAt;
    if (!Number.isFinite(at) || lastAt === undefined || !Number.isFinite(lastAt) || at <= lastAt) return { kind: "stale" };
    return { kind: "reset", milli: t.milli, meterLastWh: wh, meterLastAt: at, meterBaseWh: wh, carriedWh: t.milli, meterResets: (t.meterResets ?? 0) + 1 };
  }
  const milli = (t.carriedWh ?? 0) + wh - baseOf(t);
  return milli > t.milli ? { kind: "grew", milli, meterLastWh: wh, meterLastAt: Number.isFinite(at) ? Math.max(at, t.meterLastAt ?? -Infinity) : (t.meterLastAt ?? NaN) } : { kind: "same" };
}

export interface Settlement {
  readonly milli: number;
  readonly alarm?: { readonly code: "OCPP_METER_RESET" | "OCPP_METER_DISAGREES"; readonly message: string };
}

/** What a session settles at its StopTransaction's meterStop. */
export function settleAtStop(t: MeterTrack, meterStop: number, what: string): Settlement {
  const base = baseOf(t);
  const last = lastOf(t);
  const resets = t.meterResets ?? 0;
  if (meterStop >= base && meterStop >= last) {
    const milli = (t.carriedWh ?? 0) + meterStop - base;
    if (resets === 0) return { milli };
    return {
      milli,
      alarm: {
        code: "OCPP_METER_RESET",
        message: `${what}: the energy register went backwards ${resets}× during the session (meterStart ${t.meterStartWh} Wh, meterStop ${meterStop} Wh); settled ${milli} Wh, the sum of the segments between resets (energy between a reset and the next reading is not billed)`,
      },
    };
  }
  return {
    milli: t.milli,
    alarm: {
      code: "OCPP_METER_DISAGREES",
      message: `${what}: meterStop ${meterStop} Wh is below ${meterStop < base ? `the register's start (${base} Wh)` : `the last reading (${last} Wh)`}; settled the last reading's ${t.milli} Wh (meterStart ${t.meterStartWh} Wh${resets ? `, ${resets} register reset(s)` : ""})`,
    },
  };
}
