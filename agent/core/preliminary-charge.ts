// A technician's charge of a parked fuel or charging sale at the figure read off the pump
// (`ctl resolve FLOW charge AMOUNT`). A flow parks from a delivery phase when the sale's own figures
// can no longer be read: the controller forgot the transaction (PTS_TRANSACTION_LOST), or the
// dispenser stayed unreachable until the commit deadline. mark-settled and cancel both release the
// reservation — on an unattended site the fuel is then given away, since there is no till to collect
// it at. The pump's own display (or the controller's journal) still shows what went out: the
// technician gives that amount, and the flow settles it as it would a sale record — updateInvoice
// with the final row, commitReservation of that amount — through the same steps, alarms and
// retries. Accepted only where no figure of the flow's own exists yet (nothing metered, nothing
// committed, the reservation still the flow's), and never above the reservation.
import { formatMinor } from "../../base/money.ts";
import { type FlowContext, cancelTimer } from "./effects.ts";
import { type Step, sentOut, withEffects } from "./flow.ts";
import { gradeOf } from "./preliminary-documents.ts";
import { DELIVERY_PHASES } from "./preliminary-pump.ts";
import type { Delivered, PreliminaryState as S } from "./preliminary-state.ts";
import { settle } from "./preliminary-steps.ts";

/** An amount a technician can charge at all, whatever the flow (the engine answers INPUT_INVALID otherwise). */
export function validChargeAmount(amountMinor: number): boolean {
  return Number.isSafeInteger(amountMinor) && amountMinor > 0;
}

/**
 * Why the flow cannot be charged `amountMinor` by a technician; undefined = it can. With `ctx`, a
 * reservation that has surely lapsed is refused too: the flow parks at the commit deadline, one
 * safety margin before the lapse, and a charge after it would be answered as taken and then park
 * again (reservation-lapsed) with nothing committed.
 */
export function chargeRefusal(s: { readonly kind: string; readonly phase: string }, amountMinor: number, ctx?: Pick<FlowContext, "now" | "settings">): string | undefined {
  if (s.kind !== "preliminary") return `it is a ${s.kind} flow: only a parked fuel or charging sale is charged this way`;
  const p = s as S;
  if (p.phase !== "parked") return `it is not parked (${p.phase})`;
  if (p.parkedFrom === undefined || !DELIVERY_PHASES.includes(p.parkedFrom)) return `it parked while ${p.parkedFrom ?? "settling"}, not while reading its sale: ${p.delivered ? "its figures are known" : "nothing was delivered on it"} — use retry`;
  if (p.delivered !== undefined || p.commitMinor !== undefined || p.commitSentAt !== undefined) return "its sale figures are known already: use retry";
  if (p.reservationLost) return "its reservation was cancelled under the pump: there is nothing to charge it from";
  if (p.invoiceRef === undefined) return "it has no reservation";
  if (!validChargeAmount(amountMinor)) return `the amount must be a positive number of minor units, got ${amountMinor}`;
  if (amountMinor > p.reserveMinor) return `${formatMinor(amountMinor)} ${p.currency} is above its reservation of ${formatMinor(p.reserveMinor)} ${p.currency}: charge at most the reservation and collect the rest another way`;
  const lapsed = ctx === undefined ? undefined : surelyLapsedAt(p, ctx);
  if (lapsed !== undefined && ctx!.now >= lapsed) return `its reservation lapsed (by ${new Date(lapsed).toISOString()}): nothing can be committed on it any more — collect the amount another way, then mark-settled`;
  if (gradeFor(p) === undefined) return `its grade is unknown (point ${p.point} sells ${p.grades.map((g) => g.id).join(", ")}), so the volume on the receipt cannot be worked out`;
  return undefined;
}

/** When the reservation has lapsed whenever Glase created the invoice (at most two call timeouts after it went out). */
function surelyLapsedAt(s: S, ctx: Pick<FlowContext, "now" | "settings">): number | undefined {
  const out = sentOut(s);
  if (out === undefined) return undefined;
  return out + (s.reservationTimeoutS ?? ctx.settings.commitReservationTimeoutS) * 1000 + 2 * ctx.settings.glaseCallTimeoutMs;
}

/** The grade the sale was of, with a price the volume can be worked out from. */
function gradeFor(s: S) {
  const grade = gradeOf(s, s.gradeId) ?? (s.grades.length === 1 ? s.grades[0] : undefined);
  return grade !== undefined && Number.isSafeInteger(grade.unitPriceMinor) && grade.unitPriceMinor > 0 ? grade : undefined;
}

/** Settles the parked flow at the technician's amount (chargeRefusal said yes). */
export function chargeByTechnician(s: S, amountMinor: number, ctx: FlowContext): Step<S> {
  const grade = gradeFor(s)!;
  // The volume as the pump worked it out from its price: what the receipt and the invoice row show.
  const milli = Math.max(1, Math.round((amountMinor * 1000) / grade.unitPriceMinor));
  const delivered: Delivered = { gradeId: grade.id, milli, amountMinor, unitPriceMinor: grade.unitPriceMinor };
  // A fresh window for the settlement's retries, as `retry` gives (the reads say if the reservation lapsed).
  const window = ctx.now + ctx.settings.retryMaxMs * 4;
  // The technician read the sale's final figure off the pump: it ended there, as an END says — the
  // point is no longer guarded (pumpOpen, preliminary-pump.ts), its stop timer goes with it.
  const resumed: S = {
    ...s,
    parkedReason: undefined,
    parkedMessage: undefined,
    parkedFrom: undefined,
    attempts: 0,
    pumpOpen: false,
    secureArmed: false,
    secureAttempts: undefined,
    chargedByTechnician: true,
    commitDeadline: Math.max(s.commitDeadline ?? window, window),
  };
  return withEffects(settle(resumed, delivered, ctx), cancelTimer("secure"));
}
