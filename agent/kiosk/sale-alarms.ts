// The alarms of a kiosk sale that needs a technician (state `attention`), as one place says them:
// raised when the sale gets there, and raised AGAIN when a restarted host finds it there — the
// engine's alarms live in memory, so a sale left in attention by a crash would otherwise be silent.
import type { KioskSale } from "../../contracts/kiosk.ts";

export interface SaleAlarm {
  readonly code: string;
  readonly message: string;
  readonly point: number;
  readonly flowId: string;
}

/**
 * The alarms a technician's decision (`ctl kiosk-resolve`) settles: the sale's own attention
 * alarms, raised by the host and not kept by the journal — they clear with the decision, even
 * release-unknown, whose code is a kept one for a POS flow's own release (agent/flows/kept-alarms.ts;
 * a kiosk sale's POS flow releases through the host, so it never raises that one itself).
 */
export const DECIDED_ALARM_CODES: ReadonlySet<string> = new Set(["release-result-missing", "release-unknown"]);

export function releaseMissingAlarm(s: KioskSale, timeoutMs: number): SaleAlarm {
  const secs = Math.round(timeoutMs / 1000);
  return {
    code: "release-result-missing",
    message: `kiosk sale ${s.saleId} on point ${s.point}: no release result within ${secs} s of payment ${s.ersReference}; nothing is refunded automatically — check the machine, then \`glase-agent ctl kiosk-resolve ${s.saleId} delivered|failed\``,
    point: s.point,
    flowId: s.saleId,
  };
}

export function releaseUnknownAlarm(s: KioskSale, reason: string): SaleAlarm {
  return {
    code: "release-unknown",
    message: `kiosk sale ${s.saleId} on point ${s.point}: the controller cannot tell whether it released (${reason}); payment ${s.ersReference} — check the machine, then \`glase-agent ctl kiosk-resolve ${s.saleId} delivered|failed\``,
    point: s.point,
    flowId: s.saleId,
  };
}

export function refundFailedAlarm(s: KioskSale, amountMinor: number, why: string): SaleAlarm {
  return {
    code: "refund-failed",
    message: `kiosk sale ${s.saleId} on point ${s.point}: the refund of ${amountMinor} of payment ${s.ersReference} failed (${why}); return the money by hand`,
    point: s.point,
    flowId: s.saleId,
  };
}

export function receiptNotSubmittedAlarm(s: KioskSale, why: string): SaleAlarm {
  return {
    code: "receipt-not-submitted",
    message: `kiosk sale ${s.saleId} on point ${s.point}: the Glase receipt of payment ${s.ersReference} was not submitted (${why}); the customer was served and paid — nothing to refund`,
    point: s.point,
    flowId: s.saleId,
  };
}

/** The alarm a sale found in attention after a restart raises again (undefined: its refund flow's own alarm speaks). */
export function attentionAlarm(s: KioskSale, timeoutMs: number): SaleAlarm | undefined {
  if (s.state !== "attention") return undefined;
  switch (s.attention) {
    case "release-result-missing":
      return releaseMissingAlarm(s, timeoutMs);
    case "release-unknown":
      return releaseUnknownAlarm(s, s.release?.result.outcome === "unknown" ? s.release.result.reason : "restarted");
    case "refund-failed":
      return s.refund?.state === "failed" ? refundFailedAlarm(s, s.refund.amountMinor, "see the journal") : undefined;
    default:
      return undefined;
  }
}
