// The controller's configuration and records as the driver needs them: fuel grades with their
// prices (GetFuelGradesConfiguration), which grade each nozzle of each pump delivers
// (GetPumpNozzlesConfiguration), firmware (GetFirmwareInformation) and one pump transaction
// (PumpGetTransactionInformation).
import { AgentError } from "../../base/errors.ts";
import { intOf, milliOf, minorOf } from "./decimal.ts";
import { CENTS, type WireUnits } from "./units.ts";

export interface ControllerGrade {
  readonly id: number;
  readonly name: string;
  /** In price units (units.ts). */
  readonly priceMinor: number;
}

/**
 * The controller's fuel grades. Strict only for the grades the agent sells (`configured`
 * FuelGradeIds, when given): a grade the agent does not sell with a price it cannot read (AdBlue
 * at 8.995 on a 2-digit site) is left out, not a reason to stop every pump (review 2, N5).
 */
export function decodeFuelGrades(data: Readonly<Record<string, unknown>>, units: WireUnits = CENTS, configured?: ReadonlySet<number>): ControllerGrade[] {
  const list = data.FuelGrades;
  if (!Array.isArray(list)) throw new AgentError("DEVICE_PROTOCOL", "FuelGradesConfiguration has no FuelGrades array");
  const out: ControllerGrade[] = [];
  list.forEach((g: unknown, i) => {
    const r = (typeof g === "object" && g !== null ? g : {}) as Record<string, unknown>;
    const id = configured === undefined ? intOf(r.Id, `FuelGrades[${i}].Id`) : typeof r.Id === "number" && Number.isInteger(r.Id) ? r.Id : undefined;
    if (id === undefined) return; // no usable id: cannot be one of ours
    if (configured !== undefined && !configured.has(id)) {
      try {
        out.push({ id, name: typeof r.Name === "string" ? r.Name : "", priceMinor: minorOf(r.Price, `FuelGrades[${i}].Price`, units.priceDigits) });
      } catch {
        // not sold by the agent: its price does not matter here
      }
      return;
    }
    out.push({ id, name: typeof r.Name === "string" ? r.Name : "", priceMinor: minorOf(r.Price, `FuelGrades[${i}].Price (grade ${id})`, units.priceDigits) });
  });
  return out;
}

/** pump → fuel grade id of nozzle n at index n-1 (0 = nozzle not configured). */
export function decodePumpNozzles(data: Readonly<Record<string, unknown>>): Map<number, readonly number[]> {
  const list = data.PumpNozzles;
  if (!Array.isArray(list)) throw new AgentError("DEVICE_PROTOCOL", "PumpNozzlesConfiguration has no PumpNozzles array");
  const out = new Map<number, readonly number[]>();
  list.forEach((p: unknown, i) => {
    const r = (typeof p === "object" && p !== null ? p : {}) as Record<string, unknown>;
    const ids = Array.isArray(r.FuelGradeIds) ? r.FuelGradeIds : [];
    out.set(
      intOf(r.PumpId, `PumpNozzles[${i}].PumpId`),
      ids.map((id: unknown, j) => intOf(id, `PumpNozzles[${i}].FuelGradeIds[${j}]`)),
    );
  });
  return out;
}

export function decodeFirmware(data: Readonly<Record<string, unknown>>): string {
  const parts = [data.Version, data.DateTime].filter((v): v is string => typeof v === "string" && v !== "");
  return parts.length > 0 ? parts.join(" ") : "unknown";
}

/** States of PumpTransactionInformation.State. */
export type PtsTransactionState = "WaitingNozzleUpForAuthorization" | "Authorized" | "Filling" | "EndOfTransaction" | "Finished" | "NotFound";

export interface TransactionInfo {
  readonly pump: number;
  readonly transaction: number;
  readonly state: PtsTransactionState;
  readonly nozzle?: number;
  readonly fuelGradeId?: number;
  readonly milli: number;
  readonly amountMinor: number;
  /** In price units (units.ts). */
  readonly priceMinor?: number;
  /** DateTimeStart: the controller's local time the transaction started. */
  readonly startedAt?: string;
  /** UserId: the controller user who authorized the transaction (the SDK's PumpTransactionInformation field). */
  readonly userId?: number;
}

const STATES: Readonly<Record<string, PtsTransactionState>> = {
  WaitingNozzleUpForAuthorization: "WaitingNozzleUpForAuthorization",
  Authorized: "Authorized",
  Filling: "Filling",
  EndOfTransaction: "EndOfTransaction",
  Finished: "Finished",
  "Not found": "NotFound",
};

/** States whose figures are the sale's: never defaulted. */
const RAN: ReadonlySet<PtsTransactionState> = new Set(["Filling", "EndOfTransaction", "Finished"]);

export function decodeTransactionInformation(data: Readonly<Record<string, unknown>>, units: WireUnits = CENTS): TransactionInfo {
  const state = typeof data.State === "string" ? STATES[data.State] : undefined;
  if (state === undefined) throw new AgentError("DEVICE_PROTOCOL", `PumpTransactionInformation.State ${JSON.stringify(data.State)} is not a transaction state`, { state: data.State });
  const has = (k: string) => data[k] !== undefined && data[k] !== null;
  // A sale that has run (filling, ended) without its Volume or Amount is not a readable answer: read
  // as 0 it was billed 0 ml and its invoice cancelled as nothing delivered (review 14t, T2). An error
  // the caller asks again — the 0 tolerance is only for a sale that has not started.
  if (RAN.has(state)) {
    for (const k of ["Volume", "Amount"]) if (!has(k)) throw new AgentError("DEVICE_PROTOCOL", `PumpTransactionInformation in state ${state} has no ${k}`, { state, field: k, pump: data.Pump, transaction: data.Transaction });
  }
  return {
    pump: intOf(data.Pump, "PumpTransactionInformation.Pump"),
    transaction: intOf(data.Transaction, "PumpTransactionInformation.Transaction"),
    state,
    ...(has("Nozzle") ? { nozzle: intOf(data.Nozzle, "PumpTransactionInformation.Nozzle") } : {}),
    ...(has("FuelGradeId") ? { fuelGradeId: intOf(data.FuelGradeId, "PumpTransactionInformation.FuelGradeId") } : {}),
    milli: has("Volume") ? milliOf(data.Volume, "PumpTransactionInformation.Volume") : 0,
    amountMinor: has("Amount") ? minorOf(data.Amount, "PumpTransactionInformation.Amount", units.moneyDigits) : 0,
    ...(has("Price") ? { priceMinor: minorOf(data.Price, "PumpTransactionInformation.Price", units.priceDigits) } : {}),
    ...(typeof data.DateTimeStart === "string" && data.DateTimeStart !== "" ? { startedAt: data.DateTimeStart } : {}),
    ...(has("UserId") ? { userId: intOf(data.UserId, "PumpTransactionInformation.UserId") } : {}),
  };
}
