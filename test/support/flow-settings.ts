// Flow settings for tests and benchmarks of the pure flow machines: the contract's timings, no
// receipt submission, a fixed random draw — so steps are reproducible.
import type { FlowContext, FlowSettings } from "../../agent/core/effects.ts";

export const SETTINGS: FlowSettings = {
  commitReservationTimeoutS: 300,
  commitSafetyMarginS: 30,
  glaseCallTimeoutMs: 10_000,
  pollIntervalMs: 1000,
  reservationWaitMs: 60_000,
  nozzleLiftTimeoutMs: 120_000,
  deliveryStallMs: 30_000,
  posWindowMs: 30_000,
  posExtraWindows: 1,
  retryBaseMs: 500,
  retryMaxMs: 5000,
  reportWaitMs: 3000,
  reportRetryMs: 3000,
  reportMaxRetries: 10,
  submitReceipts: false,
};

export function ctxAt(now: number, settings: FlowSettings = SETTINGS): FlowContext {
  return { now, settings, random: 0.5 };
}
