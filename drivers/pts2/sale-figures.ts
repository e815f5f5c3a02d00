// The end figures a flow may settle (review of issue 14, finding 3). The controller's Volume and
// Amount are the truth of what was delivered — but only at the price, grade and nozzle we
// authorized. A pump that applied another price (PumpAuthorize.Price ignored, a price board
// changed mid-sale), another grade or another nozzle has sold something nobody chose: that is never
// charged silently. The rule: charge the smaller of the controller's Amount and the volume at the
// authorized price (units.ts, half up), so the customer never pays more than either the pump shows
// or the agent's price allows; keep what the controller said in `mismatch`; raise
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

export function endedFigures(r: TxRecord, f: Figures, now: number, units: WireUnits): EndedFigures {
  const why = mismatchOf(r, f);
  const base = { nozzle: f.nozzle, ptsFuelGradeId: f.fuelGradeId, milli: f.milli, reason: endReason(r, f), at: now };
  if (why === undefined) return { ...base, amountMinor: f.amountMinor, priceMinor: f.priceMinor };
  const atAuthorized = amountAt(f.milli, r.priceMinor, units);
  const pumpIsLower = f.amountMinor < atAuthorized;
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
    message: `pump ${r.pump} transaction ${r.transaction} ended with ${m.why}; the controller's amount ${m.amountMinor}, charged ${e.amountMinor} (the lower of it and the authorized price)`,
  };
}
