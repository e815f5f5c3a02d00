// What several flow kinds' descriptors share: a flow on a point starts with that point's terminal,
// currency and name; most flows' Glase calls use their terminal's credentials.
import type { PointConfig } from "../../engine-api.ts";
import type { GlaseCallTarget } from "../glase-executor.ts";
import type { StationCredentials } from "./descriptor.ts";

/** What every payment flow on a point starts with: its id and the point's terminal, currency and name. */
export function onPoint(config: PointConfig, flowId: string) {
  return { flowId, point: config.id, terminalId: config.terminal.terminalId, currency: config.currency, stationName: config.stationName };
}

/** The calls of a flow are made with its terminal's credentials (none configured: the executor says so). */
export function terminalTarget(s: { readonly terminalId?: string }, station: StationCredentials): GlaseCallTarget {
  const terminal = s.terminalId !== undefined ? station.terminal(s.terminalId) : undefined;
  return terminal ? { terminal } : {};
}
