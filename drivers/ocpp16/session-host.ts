// What the charging sessions need from the rest of the OCPP driver (the connections, the connector
// states, the point map, the event stream): one interface, so the sessions can be driven by a test
// without a central system, and the session files share it without importing each other.
import type { Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import type { DispenserEvent, Grade, PointId } from "../../contracts/dispenser.ts";
import type { MeterClockBound } from "./charger-state.ts";
import type { ChargerLink } from "./charger-link.ts";
import type { ChargePointStatus } from "./messages.ts";

/** Where a payment point is on the chargers. */
export interface PointBinding {
  readonly point: PointId;
  readonly chargePointId: string;
  readonly connectorId: number;
  readonly grade: Grade;
  /** The power the stop margin is sized by (W): the configured rating, else the assumed one (ASSUMED_POWER_W). */
  readonly maxPowerW: number;
  /** The configured rating (W; undefined: none configured — bills are bounded only by the physical ceiling). */
  readonly ratedPowerW?: number;
}

/** What the sessions need from the rest of the driver. */
export interface SessionHost {
  readonly scheduler: Scheduler;
  readonly log: Logger;
  readonly currency: string;
  readonly meterSampleIntervalS: number;
  /** Charger seconds per real second (1 for real chargers; a sped-up virtual station's more): maxPowerW × this is power on the agent's clock. */
  readonly powerScale: number;
  readonly maxSessionMs: number;
  readonly stopTimeoutMs: number;
  readonly lateStopWaitMs: number;
  binding(point: PointId): PointBinding | undefined;
  /** The open connection to a charger, if any. */
  link(chargePointId: string): ChargerLink | undefined;
  /** Connected and its connector states reported since: what it says now can be believed. */
  known(chargePointId: string): boolean;
  /** When the charger's current connection opened (undefined: not connected). */
  connectedSince(chargePointId: string): number | undefined;
  connectorStatus(chargePointId: string, connectorId: number): ChargePointStatus | undefined;
  /** The connector's status if the charger reported it on its current connection (else undefined: not known now). */
  freshStatus(chargePointId: string, connectorId: number): ChargePointStatus | undefined;
  /** When (agent clock) the connector's current status was reported (undefined: never). */
  statusAt(chargePointId: string, connectorId: number): number | undefined;
  /** The least (arrival − stamp) over the charger's stamped MeterValues (ms; charger-state.ts): a sample stamped s was taken by s + leastMs; `since`: when this runtime got it (undefined: none seen). */
  meterClockBound(chargePointId: string): MeterClockBound | undefined;
  emit(event: DispenserEvent): void;
}
