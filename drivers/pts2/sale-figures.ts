// The end figures a flow may settle (review of issue 14, finding 3). The controller's Volume and
// Amount are the truth of what was delivered — but only at the price, grade and nozzle we
// authorized. A pump that applied another price (PumpAuthorize.Price ignored, a price board
// changed mid-sale), another grade or another nozzle has sold something nobody chose: that is never
// charged silently. The rule: charge the smaller of the controller's Amount and the volume at the
// authorized price (units.ts, half up), so the customer never pays more than either the pump shows
// or the agent's price allows — unless the pump's own figures are not self-consistent (Price or
// Amount 0 with volume > 0, an Amount with no volume (review 14v W1), Amount ≠ Price × Volume): then volume × authorized price; keep what the controller said in `mismatch`; raise
// PTS_SALE_MISMATCH (the driver does, once, with the end). The operator then checks the pump.
import type { DeliveryEndReason, DispenserEvent } from "../../contracts/dispenser.ts";
import type { Figures } from "./decode-status.ts";
import type { EndedFigures, TxRecord } from "./transactions.ts";
import { type WireUnits, amountAt } from "./units.ts";

/** The controller does not say why a transaction ended; what the driver knows decides. */
export function endReason(record: TxRecord, f: Pick<Figures, "amountMinor">): DeliveryEndReason {
  if (record.stopRequestedAt !== undefined) return "stopped";
  if (f.amountMinor >= record.limitMinor) return "limit";
  return "nozzle-down";
}

/** Why figures differ from the authorization, or undefined when they agree. */
export function mismatchOf(r: TxRecord, f: Pick<Figures, "nozzle" | "fuelGradeId" | "priceMinor">): string | undefined {
  const why: string[] = [];
  if (f.priceMinor !== r.priceMinor) why.push(`price ${f.priceMinor} instead of the authorized ${r.priceMinor}`);
  // 0 = not reported (a nozzle without a configured grade on some firmwares): the price still decides.
  if (f.fuelGradeId !== 0 && f.fuelGradeId !== r.ptsFuelGradeId) why.push(`fuel grade ${f.fuelGradeId} instead of ${r.ptsFuelGradeId}`);
  if (f.nozzle !== 0 && f.nozzle !== r.nozzle) why.push(`nozzle ${f.nozzle} instead of ${r.nozzle}`);
  return why.length === 0 ? undefined : why.join(", ");
}

/** Whether the pump's own figures agree: Amount = Price × Volume (±1 minor unit of its rounding). */
function selfConsistent(f: Figures, units: WireUnits): boolean {
  return (f.milli === 0 && f.amountMinor === 0) || (f.milli > 0 && f.amountMinor > 0 && f.priceMinor > 0 && Math.abs(amountAt(f.milli, f.priceMinor, units) - f.amountMinor) <= 1);
}

export function endedFigures(r: TxRecord, f: Figures, now: number, units: WireUnits): EndedFigures {
  // At our price, nozzle and grade the pump's Amount is charged — only when it is its own Price ×
  // Volume: an Amount of 0 (or any other) for litres delivered is a mismatch too (review 3, R3-1/2).
  const why = mismatchOf(r, f) ?? (selfConsistent(f, units) ? undefined : `amount ${f.amountMinor} is not the pump's price × volume (${amountAt(f.milli, f.priceMinor, units)})`);
  const base = { nozzle: f.nozzle, ptsFuelGradeId: f.fuelGradeId, milli: f.milli, reason: endReason(r, f), at: now };
  if (why === undefined) return { ...base, amountMinor: f.amountMinor, priceMinor: f.priceMinor };
  const atAuthorized = Math.min(amountAt(f.milli, r.priceMinor, units), r.limitMinor);
  // The pump's Amount is only a ceiling when the pump itself is consistent: a Price or Amount of 0
  // with volume delivered (a configuration reset, a volume-only pump protocol), or an Amount that
  // is not its own Price × Volume, says nothing — the volume at our price is charged (review 2, N6).
  const pumpConsistent = selfConsistent(f, units);
  const pumpIsLower = pumpConsistent && f.amountMinor < atAuthorized;
  return {
    ...base,
    amountMinor: pumpIsLower ? f.amountMinor : atAuthorized,
    priceMinor: pumpIsLower ? f.priceMinor : r.priceMinor,
    mismatch: { nozzle: f.nozzle, ptsFuelGradeId: f.fuelGradeId, priceMinor: f.priceMinor, amountMinor: f.amountMinor, why },
  };
}

export function saleMismatchFault(r: TxRecord, e: EndedFigures): Extract<DispenserEvent, { type: "fault" }> {
  const m = e.mismatch!;
  return {
    type: "fault",
    point: r.point,
    code: "PTS_SALE_MISMATCH",
    transactionId: r.flowId,
    message: `pump ${r.pump} transaction ${r.transaction} ended with ${m.why}; the controller's amount ${m.amountMinor}, charged ${e.amountMinor} (${e.priceMinor === r.priceMinor ? "the volume at the authorized price" : "the controller's amount, lower than at the authorized price"})`,
  };
}
