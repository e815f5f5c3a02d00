// What the issuer prints: the invoice slip carrying the pay-by-invoice QR code, and the receipt
// after the invoice was paid and the service released. Both go through the ReceiptPrinter
// contract; the printer is optional (a kiosk may show the QR on a screen instead).
import type { ReceiptContent, ReceiptPrinter } from "../../contracts/printer.ts";
import type { Logger } from "../../base/log.ts";
import { INVOICE_SLIP_LABELS, type Locale } from "../../base/i18n/messages.ts";
import type { InvoiceRecord, PrintState } from "./store.ts";

export interface ReceiptHeader {
  readonly stationName: string;
  readonly terminalId: string;
  /** The slips' own lines in the station's language (station.locale); default en. */
  readonly locale?: Locale;
}

const labels = (h: ReceiptHeader) => INVOICE_SLIP_LABELS[h.locale ?? "en"];

export function invoiceSlip(invoice: InvoiceRecord, h: ReceiptHeader): ReceiptContent {
  const t = labels(h);
  return {
    stationName: h.stationName,
    terminalId: h.terminalId,
    amountMinor: invoice.amountMinor,
    currency: invoice.currency,
    ersReference: invoice.reference, // printed as "Ref": the issuer reference until Glase assigns one
    description: invoice.description,
    timestamp: new Date(invoice.issuedAt).toISOString(),
    qr: invoice.qr,
    extraLines: [t.invoice.replace("{ref}", invoice.reference), t.scanToPay],
  };
}

export function paidReceipt(invoice: InvoiceRecord, h: ReceiptHeader, at: number): ReceiptContent {
  const t = labels(h);
  return {
    stationName: h.stationName,
    terminalId: h.terminalId,
    amountMinor: invoice.amountMinor,
    currency: invoice.currency,
    ersReference: invoice.ersReference ?? "",
    description: invoice.description,
    timestamp: new Date(at).toISOString(),
    extraLines: [t.invoicePaid.replace("{ref}", invoice.reference), ...(invoice.purchaseTime ? [t.paidAt.replace("{time}", invoice.purchaseTime)] : [])],
  };
}

/** Prints and reports the outcome; a printer fault never fails the caller (the record stays). */
export async function printOutcome(printer: ReceiptPrinter | undefined, content: ReceiptContent, log: Logger): Promise<PrintState> {
  if (!printer) return "no-printer";
  try {
    await printer.print(content);
    return "printed";
  } catch (e) {
    log.warn("print_failed", { error: e });
    return "failed";
  }
}
