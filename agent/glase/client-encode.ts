// Request bodies in wire order (contract Appendix A): the object literals below ARE the wire
// order, since client-xml.ts emits keys as inserted (soap's own serialiser, which re-sorts by the
// schema, yields the same bytes — test/glase/client-xml.test.ts). Money leaves the program here:
// integer minor units become `#.##` strings (formatMinor); other numbers their decimal string.
import { AgentError } from "../../base/errors.ts";
import { formatMinor, type Money } from "../../base/money.ts";
import type { WireContext } from "./client-context.ts";
import type { CustomerToken, Invoice, InvoiceRow, ReceiptDocument } from "../../contracts/glase/types.ts";

interface WireAmount {
  currency: string;
  value: string;
}

/** Undefined fields are left out of the XML entirely. */
type Wire = Record<string, unknown>;

function amount(m: Money | undefined): WireAmount | undefined {
  return m === undefined ? undefined : { currency: m.currency, value: formatMinor(m.minor) };
}

function integerText(value: number, what: string, min = 0): string {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new AgentError("INPUT_INVALID", `${what} must be an integer ≥ ${min}, got ${value}`, { [what]: value });
  }
  return String(value);
}

/** §4.4: alphabetical. */
function invoiceRow(row: InvoiceRow): Wire {
  return {
    itemDescription: row.itemDescription,
    itemDiscount: amount(row.itemDiscount),
    itemEAN: row.itemEAN,
    itemQuantity: row.itemQuantity,
    itemSKU: row.itemSKU,
    itemTaxRate: row.itemTaxRate,
    itemTotalAmount: amount(row.itemTotalAmount),
    itemUnit: row.itemUnit,
    itemUnitPrice: amount(row.itemUnitPrice),
  };
}

/**
 * §4.3: Java field order. paymentMode and acknowledgmentMode are always sent: an absent
 * acknowledgmentMode means REQUIRE_ACKNOWLEDGMENT on a JAXB server (§9 A8).
 */
export function encodeInvoice(invoice: Invoice): Wire {
  const rows = invoice.invoiceRows ?? [];
  return {
    paymentMode: invoice.paymentMode ?? "IMMEDIATE_DEBIT",
    acknowledgmentMode: invoice.acknowledgmentMode ?? "NO_ACKNOWLEDGMENT",
    issueDate: invoice.issueDate,
    title: invoice.title,
    clientInvoiceId: invoice.clientInvoiceId,
    invoiceRows: rows.length > 0 ? { invoiceRow: rows.map(invoiceRow) } : undefined,
    totalAmount: amount(invoice.totalAmount),
    cashierId: invoice.cashierId,
    footer: invoice.footer,
    backURL: invoice.backURL,
    notificationUrl: invoice.notificationUrl,
    commitReservationTimeout:
      invoice.commitReservationTimeout === undefined ? undefined : integerText(invoice.commitReservationTimeout, "commitReservationTimeout"),
  };
}

/** §4.6; `tokens` repeat directly under the operation wrapper (no container). */
function encodeTokens(tokens: readonly CustomerToken[] | undefined): Wire[] | undefined {
  if (!tokens || tokens.length === 0) return undefined;
  return tokens.map((t) => ({
    description: t.description,
    id: t.id,
    status: integerText(t.status, "token status"),
    value: t.value,
  }));
}

/** §4.9, the jar shape `parameters/parameter/entry/{key,value}`; no parameters ⇒ no element. */
function encodeParameters(parameters: Readonly<Record<string, string>> | undefined): Wire | undefined {
  const entries = Object.entries(parameters ?? {});
  if (entries.length === 0) return undefined;
  return { parameter: { entry: entries.map(([key, value]) => ({ key, value })) } };
}

// One builder per operation; each returns the children of the operation wrapper in wire order (§2).

export const encode = {
  registerTerminal: (context: WireContext, externalTerminalId: string, password: string, name: string): Wire => ({
    context,
    externalTerminalId,
    password,
    name,
  }),
  assignSeqrId: (context: WireContext, seqrId: string): Wire => ({ context, seqrId }),
  unregisterTerminal: (context: WireContext): Wire => ({ context }),
  sendInvoice: (context: WireContext, invoice: Invoice, tokens?: readonly CustomerToken[]): Wire => ({
    context,
    invoice: encodeInvoice(invoice),
    tokens: encodeTokens(tokens),
  }),
  getPaymentStatus: (context: WireContext, invoiceReference: string | undefined, invoiceVersion: number): Wire => ({
    context,
    invoiceReference,
    invoiceVersion: integerText(invoiceVersion, "invoiceVersion"),
  }),
  updateInvoice: (context: WireContext, invoiceReference: string, invoice: Invoice, tokens?: readonly CustomerToken[]): Wire => ({
    context,
    invoiceReference,
    invoice: encodeInvoice(invoice),
    tokens: encodeTokens(tokens),
  }),
  cancelInvoice: (context: WireContext, invoiceReference: string): Wire => ({ context, invoiceReference }),
  commitReservation: (context: WireContext, invoiceReference: string, finalAmount?: Money): Wire => ({
    context,
    amount: amount(finalAmount),
    invoiceReference,
  }),
  submitPaymentReceipt: (context: WireContext, ersReference: string, document: ReceiptDocument): Wire => ({
    context,
    ersReference,
    receiptDocument: {
      mimeType: document.mimeType,
      receiptData: Buffer.from(document.receiptData).toString("base64"),
      receiptType: document.receiptType,
    },
  }),
  refundPayment: (context: WireContext, ersReference: string, invoice: Invoice): Wire => ({
    context,
    ersReference,
    invoice: encodeInvoice(invoice),
  }),
  markTransactionPeriod: (context: WireContext, parameters?: Readonly<Record<string, string>>): Wire => ({
    context,
    parameters: encodeParameters(parameters),
  }),
  executeReport: (context: WireContext, reportId: string, language: string | undefined, parameters: Readonly<Record<string, string>>): Wire => ({
    context,
    reportId,
    language,
    parameters: encodeParameters(parameters),
  }),
  benchmarkingNop: (): Wire => ({}),
};
