// From the station config to what the payment engine takes: its timing settings and one
// PointConfig per registered point. A point without terminal credentials is not given to the
// engine (it cannot take payments); the station shows it as unregistered.
import type { Grade } from "../../contracts/dispenser.ts";
import type { EngineSettings, PointConfig } from "../engine-api.ts";
import type { TerminalCredentials } from "../../contracts/glase/types.ts";
import type { AgentConfig } from "../config/schema.ts";

export function engineSettings(config: AgentConfig): EngineSettings {
  const f = config.flows;
  const points = config.points;
  return {
    // One value for the whole engine: the longest any point asks for (EV charging takes hours),
    // so no reservation lapses before its delivery can end.
    commitReservationTimeoutS: Math.max(...points.map((p) => p.commitReservationTimeoutS)),
    commitSafetyMarginS: f.commitSafetyMarginS,
    pollIntervalMs: config.glase.timeouts.pollIntervalMs,
    reservationWaitMs: f.reservationWaitS * 1000,
    nozzleLiftTimeoutMs: Math.min(...points.map((p) => p.nozzleTimeoutS)) * 1000,
    deliveryStallMs: f.deliveryStallS * 1000,
    posWindowMs: f.posWindowS * 1000,
    posExtraWindows: f.posExtraWindows,
    lostSendWatchMs: f.lostSendWatchS * 1000,
    glaseCallTimeoutMs: config.glase.timeouts.requestMs,
    retryBaseMs: f.retryBaseMs,
    retryMaxMs: f.retryMaxMs,
    reportWaitMs: f.reportWaitS * 1000,
    reportRetryMs: f.reportRetryS * 1000,
    reportMaxRetries: f.reportMaxRetries,
    submitReceipts: f.submitReceipts,
    retentionMs: config.journal.retentionDays * 86_400_000,
    drainSecuringWaitMs: f.drainSecuringWaitS * 1000,
  };
}

export function enginePoints(
  config: AgentConfig,
  credentials: ReadonlyMap<number, TerminalCredentials>,
  grades: readonly Grade[],
): PointConfig[] {
  return config.points.flatMap((p) => {
    const terminal = credentials.get(p.id);
    if (!terminal) return [];
    return [
      {
        id: p.id,
        kind: p.kind,
        terminal,
        currency: config.station.currency,
        maxPreliminaryMinor: p.maxPreliminaryMinor,
        stationName: config.station.name,
        grades: grades.filter((g) => p.grades.includes(g.id)),
      },
    ];
  });
}
