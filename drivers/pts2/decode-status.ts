// What a pump answered to PumpGetStatus, in agent units. The answer's Type says the pump's state:
//   PumpIdleStatus              idle; NozzleUp/Nozzle = the nozzle in hand (0 none); Request names a
//                               pending request (an authorization waiting for the nozzle carries
//                               its Transaction); Last* describe the previous sale
//   PumpFillingStatus           delivering: Nozzle, FuelGradeId, Volume, Price, Amount, Transaction
//                               (FuelGradeId, like FuelGradeName and DateTimeStart, is optional in the
//                               vendor's SDK and absent on older firmwares: read as 0, "not reported")
//   PumpEndOfTransactionStatus  delivery over, transaction not closed yet: the final figures
//   PumpOfflineStatus           the controller has lost the pump
//   PumpTotals / PumpPrices / PumpTag / PumpDisplayData  answers to other requests we never send;
//                               they say nothing of the pump's state and are kept as "other"
import { intOf, milliOf, minorOf, optionalIntOf } from "./decimal.ts";
import { CENTS, type WireUnits } from "./units.ts";

export interface Figures {
  readonly transaction: number;
  readonly nozzle: number;
  readonly fuelGradeId: number;
  readonly milli: number;
  readonly amountMinor: number;
  /** In price units (units.ts). */
  readonly priceMinor: number;
}

export type PumpObservation =
  | {
      readonly kind: "idle";
      readonly pump: number;
      /** Nozzle in hand, 0 when all are hung up. */
      readonly nozzleUp: number;
      /** Transaction of an authorization waiting for the nozzle, if any. */
      readonly transaction?: number;
      readonly request: string;
      readonly lastTransaction?: number;
    }
  | ({ readonly kind: "filling"; readonly pump: number } & Figures)
  | ({ readonly kind: "end"; readonly pump: number } & Figures)
  | { readonly kind: "offline"; readonly pump: number }
  | { readonly kind: "other"; readonly pump: number; readonly type: string };

export function figuresOf(data: Readonly<Record<string, unknown>>, what: string, units: WireUnits): Figures {
  return {
    transaction: intOf(data.Transaction, `${what}.Transaction`),
    nozzle: intOf(data.Nozzle, `${what}.Nozzle`),
    // Optional (review 12): required, every fill status of an older firmware was unreadable — no
    // progress, no end by poll. 0 is the figures' "not reported": the nozzle and the price still
    // decide a mismatch (sale-figures.ts), and the sale keeps its authorized grade.
    fuelGradeId: optionalIntOf(data.FuelGradeId, `${what}.FuelGradeId`) ?? 0,
    milli: milliOf(data.Volume, `${what}.Volume`),
    amountMinor: minorOf(data.Amount, `${what}.Amount`, units.moneyDigits),
    priceMinor: minorOf(data.Price, `${what}.Price`, units.priceDigits),
  };
}

/** Throws DEVICE_PROTOCOL (naming the field) when the answer is not readable. */
export function decodePumpStatus(type: string, data: Readonly<Record<string, unknown>>, units: WireUnits = CENTS): PumpObservation {
  const pump = intOf(data.Pump, `${type}.Pump`);
  switch (type) {
    case "PumpIdleStatus": {
      // "Nozzle" was added for homogeneity; "NozzleUp" is kept by firmwares for compatibility.
      const nozzleUp = optionalIntOf(data.Nozzle, `${type}.Nozzle`) ?? optionalIntOf(data.NozzleUp, `${type}.NozzleUp`) ?? 0;
      const transaction = optionalIntOf(data.Transaction, `${type}.Transaction`);
      const lastTransaction = optionalIntOf(data.LastTransaction, `${type}.LastTransaction`);
      return {
        kind: "idle",
        pump,
        nozzleUp,
        request: typeof data.Request === "string" ? data.Request : "",
        ...(transaction !== undefined && transaction > 0 ? { transaction } : {}),
        ...(lastTransaction !== undefined && lastTransaction > 0 ? { lastTransaction } : {}),
      };
    }
    case "PumpFillingStatus":
      return { kind: "filling", pump, ...figuresOf(data, type, units) };
    case "PumpEndOfTransactionStatus":
      return { kind: "end", pump, ...figuresOf(data, type, units) };
    case "PumpOfflineStatus":
      return { kind: "offline", pump };
    default:
      return { kind: "other", pump, type };
  }
}
