// How the POS flow's end reads as a kiosk sale (pure): why an unpaid sale was cancelled, and what
// the engine's release effect answers once the controller reported.
import type { CancelReason, KioskSale } from "../../contracts/kiosk.ts";
import type { PosRow } from "./sale-record.ts";

/** The POS flow ended without payment: the host's own request wins, then the flow's reason. */
export function cancelReasonOf(sale: Pick<KioskSale, "cancelRequested">, pos: PosRow | undefined, outcome: string | undefined): CancelReason {
  if (sale.cancelRequested !== undefined) return sale.cancelRequested;
  if (pos?.cancelWanted === "unattended-timeout") return "timeout";
  if (pos?.cancelWanted === "technician") return "technician";
  return outcome === "canceled" && pos?.cancelWanted !== undefined ? "controller" : "glase";
}

/**
 * "delivered": the flow writes the receipt (a full or partial delivery, or an unknown one — the
 * money was taken and a technician is told); "not-delivered": nothing was handed out, the flow
 * ends without a receipt and the host refunds the whole amount; "wait": no result yet.
 */
export function releaseAnswer(sale: Pick<KioskSale, "release">): "delivered" | "not-delivered" | "wait" {
  const r = sale.release?.result;
  if (!r) return "wait";
  // A partial delivery keeps part of the payment: its receipt is written (the refund is its own document).
  return r.outcome === "failed" && (r.deliveredMinor ?? 0) === 0 ? "not-delivered" : "delivered";
}
