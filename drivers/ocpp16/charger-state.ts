// The chargers as the OCPP driver knows them: each one's connection, boot, connector states (with
// when each was reported) and whether it is synced since it connected — and what follows from that
// alone: the technician's snapshot and the sessions' queries (can the charger be believed now, what
// did a connector report on this connection). Apart from the driver (driver.ts), which updates it
// from the charger's messages.
import type { PointId } from "../../contracts/dispenser.ts";
import type { ChargerLink } from "./charger-link.ts";
import type { ChargerConfig } from "./config.ts";
import type { BootNotificationReq, ChargePointStatus } from "./messages.ts";
import type { SessionHost } from "./session-host.ts";

export interface ConnectorState {
  readonly status: ChargePointStatus;
  readonly errorCode: string;
  readonly info?: string;
  /** When it arrived (agent clock). */
  readonly at: number;
}

export interface ChargerRuntime {
  readonly config: ChargerConfig;
  link?: ChargerLink;
  boot?: BootNotificationReq & { readonly at: number };
  readonly connectors: Map<number, ConnectorState>;
  /** Connectors that reported since the current connection opened. */
  readonly reported: Set<number>;
  synced: boolean;
  /** When the current connection opened. */
  connectedAt?: number;
  cancelSync?: () => void;
  lastSeen?: number;
  /** A status of a connector not in the config was logged (once per charger: the rest are answered, not kept). */
  unknownConnectorLogged?: boolean;
  /** The schema violations of this charger already logged (validation.ts: accepted, the bad part dropped), and whether they were alarmed. */
  readonly schemaProblems: Set<string>;
  /** The least (arrival − own timestamp) over the charger's stamped MeterValues (ms): observeMeterClock. */
  leastMeterDelayMs?: number;
  /** Since when (agent clock) this runtime has had that bound: loaded from the store at start, else its first MeterValues. */
  meterBoundSince?: number;
}

/** The meter clock's bound as the sessions use it: the least (arrival − stamp), and since when (agent clock) it is known. */
export interface MeterClockBound {
  readonly leastMs: number;
  readonly since: number;
}

/**
 * A MeterValues of the charger's stamped `stampedAt` (its meter's clock) arrived at `arrivedAt`
 * (the agent's). Whatever that clock's offset, every sample arrives after it is taken, so
 * arrival − stamp ≥ −offset for each: the least of them bounds the offset, and a sample stamped s
 * was taken at the latest at s + that least (agent clock; session-evidence.ts). Only the
 * MeterValues' own stamps (review 12l #4): a firmware whose status module stamps another clock
 * (local time marked Z) must not move the meter's bound. A sample stamped ahead of the others
 * lowers it: every sample then looks older than it is — never a queued one newer (no evidence:
 * the stop is sent again, and the progress settled at the last safe moment). Returns whether it
 * lowered the bound: the driver then persists it (review 12n #1) — a restarted agent whose first
 * MeterValues are the charger's queue drained would otherwise take that queue's wait for the link
 * delay, and every queued sample would look taken after a stop sent meanwhile.
 */
export function observeMeterClock(rt: ChargerRuntime, stampedAt: number, arrivedAt: number): boolean {
  if (!Number.isFinite(stampedAt)) return false;
  rt.meterBoundSince ??= arrivedAt;
  const least = arrivedAt - stampedAt;
  if (rt.leastMeterDelayMs !== undefined && rt.leastMeterDelayMs <= least) return false;
  rt.leastMeterDelayMs = least;
  return true;
}

/** The meter's own timestamps in a MeterValues the charger sent, ms; unreadable ones left out. */
export function meterStampsOf(params: unknown): number[] {
  const p = params as { meterValue?: unknown } | null;
  if (typeof p !== "object" || p === null || !Array.isArray(p.meterValue)) return [];
  return p.meterValue.map((v) => (v as { timestamp?: unknown } | null)?.timestamp).filter((t): t is string => typeof t === "string").map((t) => Date.parse(t)).filter((t) => Number.isFinite(t));
}

/** One charger as a technician sees it. */
export interface ChargerSnapshot {
  readonly chargePointId: string;
  readonly connected: boolean;
  readonly synced: boolean;
  readonly remoteAddress?: string;
  readonly vendor?: string;
  readonly model?: string;
  readonly firmware?: string;
  readonly lastSeen?: number;
  readonly connectors: ReadonlyArray<{ readonly connectorId: number; readonly point?: PointId; readonly status?: ChargePointStatus; readonly errorCode?: string; readonly info?: string }>;
}

/** One charger as a technician sees it (ctl, the Ocpp16Controller's chargers()). */
export function snapshotOf(rt: ChargerRuntime): ChargerSnapshot {
  return {
    chargePointId: rt.config.id,
    connected: rt.link?.open === true,
    synced: rt.synced,
    ...(rt.link?.remoteAddress ? { remoteAddress: rt.link.remoteAddress } : {}),
    ...(rt.boot ? { vendor: rt.boot.chargePointVendor, model: rt.boot.chargePointModel, ...(rt.boot.firmwareVersion ? { firmware: rt.boot.firmwareVersion } : {}) } : {}),
    ...(rt.lastSeen !== undefined ? { lastSeen: rt.lastSeen } : {}),
    connectors: [...new Set([...rt.config.connectors.map((k) => k.connectorId), ...rt.connectors.keys()])].sort((a, b) => a - b).map((connectorId) => {
      const st = rt.connectors.get(connectorId);
      const point = rt.config.connectors.find((k) => k.connectorId === connectorId)?.point;
      return { connectorId, ...(point !== undefined ? { point } : {}), ...(st ? { status: st.status, errorCode: st.errorCode, ...(st.info ? { info: st.info } : {}) } : {}) };
    }),
  };
}

/** What the sessions ask of the chargers (SessionHost): the open link, whether what it says can be believed, its connectors' states. */
export function chargerQueries(runtimes: ReadonlyMap<string, ChargerRuntime>): Pick<SessionHost, "link" | "known" | "connectedSince" | "connectorStatus" | "freshStatus" | "statusAt" | "meterClockBound"> {
  return {
    link: (id) => {
      const l = runtimes.get(id)?.link;
      return l?.open ? l : undefined;
    },
    known: (id) => {
      const rt = runtimes.get(id);
      return rt?.link?.open === true && rt.synced;
    },
    connectedSince: (id) => {
      const rt = runtimes.get(id);
      return rt?.link?.open === true ? rt.connectedAt : undefined;
    },
    connectorStatus: (id, connectorId) => runtimes.get(id)?.connectors.get(connectorId)?.status,
    freshStatus: (id, connectorId) => {
      const rt = runtimes.get(id);
      const st = rt?.connectors.get(connectorId);
      return rt?.link?.open === true && st !== undefined && rt.connectedAt !== undefined && st.at >= rt.connectedAt ? st.status : undefined;
    },
    statusAt: (id, connectorId) => runtimes.get(id)?.connectors.get(connectorId)?.at,
    meterClockBound: (id) => {
      const rt = runtimes.get(id);
      return rt?.leastMeterDelayMs !== undefined && rt.meterBoundSince !== undefined ? { leastMs: rt.leastMeterDelayMs, since: rt.meterBoundSince } : undefined;
    },
  };
}
