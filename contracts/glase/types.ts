// Typed Glase wire model (contract §2–§5), in program units: money as integer minor units,
// quantities as plain decimals strings only where the wire allows weights. Field order in these
// interfaces follows the wire order of Appendix A; encoders must emit that order.
// Pure module: shared by the client (agent/glase), the flows (agent/core) and the simulator.
import type { Money } from "../../base/money.ts";

export const GLASE_NAMESPACE = "http://external.interfaces.ers.seamless.com/";
export const SOAP_ENVELOPE_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/";

/** The 13 merchant operations of §2, wire names exactly. */
export const MERCHANT_OPERATIONS = [
  "registerTerminal",
  "assignSeqrId",
  "unregisterTerminal",
  "sendInvoice",
  "getPaymentStatus",
  "updateInvoice",
  "cancelInvoice",
  "commitReservation",
  "submitPaymentReceipt",
  "refundPayment",
  "markTransactionPeriod",
  "executeReport",
  "benchmarkingNop",
] as const;
export type MerchantOperation = (typeof MERCHANT_OPERATIONS)[number];

/** Non-merchant ERS operations that must be published in the WSDL and answer 91 (§8.4, Appendix C). */
export const ERS_ONLY_OPERATIONS = [
  "requestTopup",
  "requestTransfer",
  "requestPrincipalInformation",
  "changePrincipalPassword",
  "requestPurchase",
  "confirmCustomerRegistration",
] as const;
export type ErsOnlyOperation = (typeof ERS_ONLY_OPERATIONS)[number];

export const INVOICE_STATUSES = ["ISSUED", "PAID", "PENDING_ISSUER_ACKNOWLEDGE", "CANCELED", "FAILED", "RESERVED", "EXPIRED"] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const PAYMENT_MODES = [
  "IMMEDIATE_DEBIT",
  "RESERVATION_DESIRED",
  "RESERVATION_REQUIRED",
  "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
] as const;
export type PaymentMode = (typeof PAYMENT_MODES)[number];

export const ACKNOWLEDGMENT_MODES = ["NO_ACKNOWLEDGMENT", "OPTIONAL_ACKNOWLEDGMENT", "REQUIRE_ACKNOWLEDGMENT"] as const;
export type AcknowledgmentMode = (typeof ACKNOWLEDGMENT_MODES)[number];

export const RECEIPT_TYPES = ["PAYMENT_RECEIPT", "WARRANTY", "VOUCHER", "OTHER"] as const;
export type ReceiptType = (typeof RECEIPT_TYPES)[number];

/** Credentials of one terminal (TERMINALID principal). */
export interface TerminalCredentials {
  readonly terminalId: string;
  readonly password: string;
}

/** Shop credentials (RESELLERUSER principal); userId is 9900 in every public example. */
export interface ResellerCredentials {
  readonly resellerId: string;
  readonly userId: string;
  readonly password: string;
}

export type Principal =
  | ({ readonly type: "TERMINALID" } & TerminalCredentials)
  | ({ readonly type: "RESELLERUSER" } & ResellerCredentials);

export interface InvoiceRow {
  readonly itemDescription?: string;
  readonly itemDiscount?: Money;
  readonly itemEAN?: string;
  /** Decimal string: counts, or weights/volumes such as "23.456". */
  readonly itemQuantity?: string;
  readonly itemSKU?: string;
  /** Decimal string, integer percentage when we send it ("25"). */
  readonly itemTaxRate?: string;
  readonly itemTotalAmount?: Money;
  readonly itemUnit?: string;
  readonly itemUnitPrice?: Money;
}

export interface Invoice {
  readonly paymentMode?: PaymentMode;
  readonly acknowledgmentMode?: AcknowledgmentMode;
  /** xs:dateTime, e.g. "2024-03-15T10:15:20" (date-only accepted by the simulator). */
  readonly issueDate?: string;
  readonly title?: string;
  readonly clientInvoiceId?: string;
  readonly invoiceRows?: readonly InvoiceRow[];
  readonly totalAmount?: Money;
  readonly cashierId?: string;
  readonly footer?: string;
  readonly backURL?: string;
  readonly notificationUrl?: string;
  /** Seconds during which commitReservation is allowed (required for the preliminary mode). */
  readonly commitReservationTimeout?: number;
}

export interface CustomerToken {
  readonly description?: string;
  readonly id?: string;
  readonly status: number; // 0 pending, 1 used, 90 blocked, 99 invalid
  readonly value?: string;
}

export interface Receipt {
  readonly terminalId?: string;
  readonly paymentDate?: string;
  readonly clientInvoiceId?: string;
  readonly invoiceReference?: string;
  readonly paymentReference?: string;
  readonly payerTerminalId?: string;
  readonly receiverName?: string;
  readonly invoice?: Invoice;
}

export interface ReceiptDocument {
  readonly mimeType: string;
  /** Raw bytes; base64 on the wire. */
  readonly receiptData: Uint8Array;
  readonly receiptType: ReceiptType;
}

export interface Report {
  readonly title?: string;
  readonly mimeType?: string;
  /** Decoded bytes of `content`. */
  readonly content?: Uint8Array;
  readonly contentString?: string;
}

/** Base of every `return` (§4.10). */
export interface GlaseResponse {
  readonly ersReference?: string;
  readonly resultCode: number;
  readonly resultDescription?: string;
}

export interface SendInvoiceResponse extends GlaseResponse {
  readonly invoiceQRCode?: string;
  readonly invoiceReference: string;
}

export interface PaymentStatusResponse extends GlaseResponse {
  /**
   * Unknown strings are passed through (typed as string) so callers can treat them as
   * "still open" (§6.15, §9 A4).
   */
  readonly status: InvoiceStatus | (string & {});
  readonly receipt?: Receipt;
  readonly customerTokens: readonly CustomerToken[];
  readonly version: number;
}

export interface RegisterTerminalResponse extends GlaseResponse {
  readonly terminalId: string;
}

export interface MarkTransactionPeriodResponse extends GlaseResponse {
  readonly transactionPeriodId: string;
}

export interface ExecuteReportResponse extends GlaseResponse {
  readonly report: Report;
}

/** Report ids of §5.7 (plus the synonym of §9 A21). */
export const REPORT_IDS = [
  "Reconciliation/Shop.xml",
  "Reconciliation/STD_RECON_001.xml",
  "Reconciliation/STD_RECON_002.xml",
  "Reconciliation/STD_RECON_003.xml",
  "Reconciliation/STD_RECON_004.xml",
  "Reconciliation/STD_RECON_006.xml",
  "Reconciliation/STD_RECON_007.xml",
] as const;
export type ReportId = (typeof REPORT_IDS)[number];

/** Options every client call takes. */
export interface CallOptions {
  /** Per-call timeout in ms (default from the client config). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * The context/clientReference to send (≤ 32 chars). The flows pass the one they journaled
   * before the call, so a journal entry names the exact request; otherwise the client makes one.
   */
  readonly clientReference?: string;
}

/** What the payment flows need from Glase; implemented by GlaseClient (agent/glase/client.ts). */
export interface GlaseApi {
  registerTerminal(
    shop: ResellerCredentials,
    externalTerminalId: string,
    password: string,
    name: string,
    opts?: CallOptions,
  ): Promise<RegisterTerminalResponse>;
  assignSeqrId(terminal: TerminalCredentials, seqrId: string, opts?: CallOptions): Promise<GlaseResponse>;
  unregisterTerminal(terminal: TerminalCredentials, opts?: CallOptions): Promise<GlaseResponse>;
  sendInvoice(terminal: TerminalCredentials, invoice: Invoice, tokens?: readonly CustomerToken[], opts?: CallOptions): Promise<SendInvoiceResponse>;
  /** invoiceReference undefined = the terminal's current invoice (§9 A12). */
  getPaymentStatus(
    terminal: TerminalCredentials,
    invoiceReference: string | undefined,
    invoiceVersion: number,
    opts?: CallOptions,
  ): Promise<PaymentStatusResponse>;
  updateInvoice(
    terminal: TerminalCredentials,
    invoiceReference: string,
    invoice: Invoice,
    tokens?: readonly CustomerToken[],
    opts?: CallOptions,
  ): Promise<GlaseResponse>;
  cancelInvoice(terminal: TerminalCredentials, invoiceReference: string, opts?: CallOptions): Promise<GlaseResponse>;
  /** amount undefined = commit the reserved amount. */
  commitReservation(terminal: TerminalCredentials, invoiceReference: string, amount?: Money, opts?: CallOptions): Promise<GlaseResponse>;
  submitPaymentReceipt(terminal: TerminalCredentials, ersReference: string, document: ReceiptDocument, opts?: CallOptions): Promise<GlaseResponse>;
  /** Returns the refund's own ersReference in `ersReference`. */
  refundPayment(terminal: TerminalCredentials, ersReference: string, invoice: Invoice, opts?: CallOptions): Promise<GlaseResponse>;
  markTransactionPeriod(principal: Principal, parameters?: Readonly<Record<string, string>>, opts?: CallOptions): Promise<MarkTransactionPeriodResponse>;
  executeReport(
    principal: Principal,
    reportId: string,
    language: string | undefined,
    parameters: Readonly<Record<string, string>>,
    opts?: CallOptions,
  ): Promise<ExecuteReportResponse>;
  benchmarkingNop(opts?: CallOptions): Promise<GlaseResponse>;
}
