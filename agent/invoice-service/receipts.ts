// What the issuer prints: the invoice slip carrying the pay-by-invoice QR code, and the receipt
// after the invoice was paid and the service released. Both go through the ReceiptPrinter
// contract; the printer is optional (a kiosk may show the QR on a screen instead).
import type { ReceiptContent, ReceiptPrinter } from "../../contracts/printer.ts";
import type { Logger } from "../../base/log.ts";
import type { InvoiceRecord, PrintState } from "./store.ts";

export interface ReceiptHeader {
  readonly stationName: string;
  readonly terminalId: string;
}

export function invoiceSlip(invoice: InvoiceRecord, header: ReceiptHeader): ReceiptContent {
  return {
    ...header,
    amountMinor: invoice.amountMinor,
    currency: invoice.currency,
    ersReference: invoice.reference, // printed as "Ref": the issuer reference until Glase assigns one
    description: invoice.description,
    timestamp: new Date(invoice.issuedAt).toISOString(),
    qr: invoice.qr,
    extraLines: [`Invoice ${invoice.reference}`, "Scan the code with the Glase app to pay"],
  };
}

export function paidReceipt(invoice: InvoiceRecord, header: ReceiptHeader, at: number): ReceiptContent {
  return {
    ...header,
    amountMinor: invoice.amountMinor,
    currency: invoice.currency,
    ersReference: invoice.ersReference ?? "",
    description: invoice.description,
    timestamp: new Date(at).toISOString(),
    extraLines: [`Invoice ${invoice.reference} paid`, ...(invoice.purchaseTime ? [`Paid ${invoice.purchaseTime}`] : [])],
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
