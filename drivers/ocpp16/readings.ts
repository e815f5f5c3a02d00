// Pure readings of OCPP 1.6 data in the agent's terms: the energy register in integer Wh out of
// MeterValues, a connector status as a point state, a StopTransaction reason as a delivery end
// reason, and the idTag a payment flow is known by on the charger. No I/O, no time.
import { createHash } from "node:crypto";
import type { DeliveryEndReason, PointState } from "../../contracts/dispenser.ts";
import { ENERGY_REGISTER, type ChargePointStatus, type MeterValue, type StopReason } from "./messages.ts";

export interface RegisterReading {
  /** Energy.Active.Import.Register in whole watt-hours. */
  readonly wh: number;
  /** The meter value's timestamp (ms since the epoch), NaN if unreadable. */
  readonly at: number;
}

const DECIMAL = /^\s*\d+(\.\d+)?\s*$/;

/**
 * The import energy register of the newest meter value that carries one: the sampled value with
 * measurand Energy.Active.Import.Register (the default measurand), location Outlet (the default:
 * what the connector delivered) and no phase (the total), in plain (Raw) format, unit Wh (default)
 * or kWh. Anything else — per-phase values, signed data, other measurands, an Inlet/EV/Cable/Body
 * register (the grid side, the car's own meter) — is not the billing register and is skipped.
 * undefined: no register in the message.
 */
export function energyRegister(values: readonly MeterValue[]): RegisterReading | undefined {
  let best: RegisterReading | undefined;
  for (const mv of values) {
    for (const sv of mv.sampledValue) {
      if ((sv.measurand ?? ENERGY_REGISTER) !== ENERGY_REGISTER) continue;
      if (sv.phase !== undefined || (sv.format ?? "Raw") !== "Raw" || (sv.location ?? "Outlet") !== "Outlet") continue;
      const unit = sv.unit ?? "Wh";
      if ((unit !== "Wh" && unit !== "kWh") || !DECIMAL.test(sv.value)) continue;
      const wh = unit === "kWh" ? kwhToWh(sv.value) : Math.round(Number(sv.value));
      if (!Number.isSafeInteger(wh)) continue;
      const at = Date.parse(mv.timestamp);
      if (!best || !(at < best.at)) best = { wh, at };
    }
  }
  return best;
}

/**
 * What a meter value carries instead of a usable register, for the alarm that says so: each
 * distinct kind of sampled value once, e.g. ["Energy.Active.Import.Register at Inlet (Wh)",
 * "Power.Active.Import (W)"]; at most 8.
 */
export function describeSampledValues(values: readonly MeterValue[]): string[] {
  const kinds = new Set<string>();
  for (const mv of values) {
    for (const sv of mv.sampledValue) {
      const where = [sv.phase !== undefined ? `phase ${sv.phase}` : "", sv.location !== undefined && sv.location !== "Outlet" ? `at ${sv.location}` : "", (sv.format ?? "Raw") !== "Raw" ? sv.format! : ""].filter(Boolean).join(", ");
      kinds.add(`${sv.measurand ?? ENERGY_REGISTER}${where ? ` ${where}` : ""}${sv.unit !== undefined ? ` (${sv.unit})` : ""}`);
    }
  }
  return [...kinds].slice(0, 8);
}

/** "12.3456" kWh → 12346 Wh, exactly (no binary floating point on the digits that matter). */
function kwhToWh(text: string): number {
  const [whole = "0", frac = ""] = text.trim().split(".");
  const milli = Number(whole) * 1000 + Number(frac.slice(0, 3).padEnd(3, "0"));
  return frac.length > 3 && Number(frac[3]) >= 5 ? milli + 1 : milli;
}

/** A cable is in the socket (the fuel world's "nozzle up"). */
export function cablePlugged(status: ChargePointStatus | undefined): boolean {
  return status === "Preparing" || status === "Charging" || status === "SuspendedEV" || status === "SuspendedEVSE" || status === "Finishing";
}

/** The connector is in a transaction on the charger's side. */
export function inTransaction(status: ChargePointStatus | undefined): boolean {
  return status === "Charging" || status === "SuspendedEV" || status === "SuspendedEVSE";
}

/** What a payment point looks like for a connector status, without a session of ours. */
export function pointStateOf(status: ChargePointStatus | undefined): PointState {
  switch (status) {
    case undefined:
    case "Available":
      return "idle";
    case "Preparing":
      return "calling";
    case "Charging":
    case "SuspendedEV":
    case "SuspendedEVSE":
      return "delivering";
    case "Finishing":
      return "finished";
    case "Faulted":
      return "fault";
    case "Reserved":
    case "Unavailable":
      return "offline";
  }
}

/** Why the agent asked a charger to stop. */
export type StopCause = "limit" | "stopped" | "fault" | "session-time";

/** The delivery end reason of a StopTransaction: the agent's own cause first, else the charger's. */
export function endReasonOf(reason: StopReason | undefined, cause: StopCause | undefined): DeliveryEndReason {
  if (cause === "limit" || cause === "fault") return cause;
  if (cause !== undefined) return "stopped";
  switch (reason) {
    case "EVDisconnected":
      return "nozzle-down";
    case "EmergencyStop":
    case "HardReset":
    case "SoftReset":
    case "Reboot":
    case "PowerLoss":
      return "fault";
    default:
      // Local (the default when absent), Remote, DeAuthorized, UnlockCommand, Other.
      return "stopped";
  }
}

const ID_TOKEN = /^[\x21-\x7e]{1,20}$/;

/**
 * The idTag (CiString20) a flow is known by on the charger: the flow's transaction id itself when
 * it fits, so charger logs name the flow; otherwise a digest of it ("G" + 19 hex digits).
 */
export function idTagFor(transactionId: string): string {
  if (ID_TOKEN.test(transactionId)) return transactionId;
  return `G${createHash("sha256").update(transactionId).digest("hex").slice(0, 19)}`;
}
