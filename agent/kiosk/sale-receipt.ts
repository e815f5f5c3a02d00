// The Glase receipt of a delivered kiosk sale (submitPaymentReceipt, §3.9/§6.9: "as soon as possible
// after PAID" — for a kiosk, once the product is out; a refunded sale gets none). Journaled in the
// sale's row BEFORE each send, its answer after it, so a restart:
//   - never loses it: `due` (journaled with the delivery) or `sending` is picked up and sent;
//   - never sends one that was answered again: `done`/`failed` are final.
// The one case that cannot be told apart — a crash after the send, before its answer was journaled
// — is re-sent under the SAME clientReference (a retry of that call, not a new one), which §3.9
// permits ("may be called several times for one payment"). A definite "not processed" answer
// (91/93/94, a transport failure before sending) is tried again under the next reference, spaced,
// up to MAX_ATTEMPTS; a definite refusal (23, credentials) ends it `failed` (logged).
import type { GlaseOutcome } from "../core/inputs.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";

export const MAX_RECEIPT_ATTEMPTS = 5;

export interface ReceiptSubmission {
  readonly state: "due" | "sending" | "done" | "failed";
  /** Numbers the clientReference; grows only after a definite "not processed". */
  readonly attempt: number;
  /** Sends of the current attempt (a re-send after an unknown outcome keeps its reference). */
  readonly sends: number;
  readonly content: ReceiptContent;
  readonly why?: string;
}

/** ≤ 32 characters (§6.15), distinct from the POS flow's own `<saleId>-<n>` references. */
export function receiptReference(saleId: string, attempt: number): string {
  return `${saleId}-P${attempt}`.slice(-32);
}

export const receiptPending = (r: ReceiptSubmission | undefined): boolean => r !== undefined && (r.state === "due" || r.state === "sending");

/** What the answer means for the submission: its next journaled form, and the delay before the next send (if any). */
export function afterAnswer(r: ReceiptSubmission, o: GlaseOutcome): { readonly next: ReceiptSubmission; readonly retryMs?: number } {
  if (o.kind === "ok") return { next: { ...r, state: "done" } };
  const notProcessed = (o.kind === "result" && (o.code === 91 || o.code === 93 || o.code === 94)) || (o.kind === "transport" && !o.indefinite);
  const unknown = (o.kind === "result" && o.code === 90) || (o.kind === "transport" && o.indefinite);
  const tries = r.attempt + r.sends - 1;
  if ((notProcessed || unknown) && tries < MAX_RECEIPT_ATTEMPTS) {
    const next: ReceiptSubmission = notProcessed ? { ...r, state: "due", attempt: r.attempt + 1, sends: 0 } : { ...r, state: "due" };
    return { next, retryMs: Math.min(60_000, 2000 * 2 ** (tries - 1)) };
  }
  const why = o.kind === "result" ? `Glase answered ${o.code}` : o.kind === "transport" ? "no answer" : "unexpected answer";
  return { next: { ...r, state: "failed", why } };
}
