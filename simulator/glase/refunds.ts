// refundPayment (§3.10, §6.8, §9 A16/A17) and submitPaymentReceipt (§3.9, §6.9).
import type { RawInvoice, RequestContext } from "./soap-request.ts";
import type { SimCore } from "./state.ts";
import { authTerminal } from "./terminals.ts";
import { validateInvoice } from "./validation.ts";

export function refundPayment(core: SimCore, ctx: RequestContext, ersReference: string | undefined, raw: RawInvoice | undefined): { code: number; ersReference?: string } {
  const auth = authTerminal(core, ctx);
  if (!auth.ok) return { code: auth.code };
  const terminal = auth.value;
  const shop = core.state.shops.get(terminal.resellerId)!;
  if (!shop.allowRefunds) return { code: 97 };
  const payment = ersReference ? core.state.payments.get(ersReference.trim()) : undefined;
  // Unknown, another terminal's, or reversed (never completed from the POS's view, A10/A45) ⇒ 23.
  if (!payment || payment.terminalId !== terminal.terminalId || payment.reversed) return { code: 23 };
  const inv = core.state.invoices.get(payment.invoiceReference)!;
  // The payment is still inside its acknowledgement window: not settled yet (§9 A15: 48).
  if (inv.status === "PAID" && !inv.paidAcknowledged) return { code: 48 };
  const valid = validateInvoice(raw, payment.currency);
  if (!valid.ok) return { code: valid.code };
  if (!shop.receiverAllowsRefunds) return { code: 99 };
  if (payment.refundedMinor + valid.totalMinor > payment.amountMinor) return { code: 98 };
  payment.refundedMinor += valid.totalMinor;
  const refundReference = core.ids.transactionReference();
  core.state.refunds.set(refundReference, {
    ersReference: refundReference,
    paymentReference: payment.ersReference,
    terminalId: terminal.terminalId,
    resellerId: terminal.resellerId,
    amountMinor: valid.totalMinor,
    currency: valid.currency,
    cashierId: valid.invoice.cashierId,
    clientInvoiceId: valid.invoice.clientInvoiceId,
    at: core.clock.now(),
    receipts: [],
  });
  return { code: 0, ersReference: refundReference };
}

export interface ReceiptDocumentInput {
  mimeType?: string;
  receiptType?: string;
  /** base64 text as received. */
  receiptData?: string;
}

export function submitPaymentReceipt(core: SimCore, ctx: RequestContext, ersReference: string | undefined, doc: ReceiptDocumentInput | undefined): number {
  const auth = authTerminal(core, ctx);
  if (!auth.ok) return auth.code;
  const ref = ersReference?.trim() ?? "";
  const target = core.state.payments.get(ref) ?? core.state.refunds.get(ref);
  if (!target || target.terminalId !== auth.value.terminalId) return 23;
  // Certification accepts an empty call (§3.9): an absent document is recorded as such.
  const bytes = doc?.receiptData ? Buffer.from(doc.receiptData.replace(/\s+/g, ""), "base64").length : 0;
  target.receipts.push({ mimeType: doc?.mimeType, receiptType: doc?.receiptType, bytes, at: core.clock.now() });
  return 0;
}
