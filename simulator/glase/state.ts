// The simulator's in-memory model: shops, terminals, invoices, payments, refunds, periods, and
// the settings that tune its behaviour. Records are plain JSON-able objects so `dump()` is a
// copy; timers live beside them (see timers in simulator.ts), never inside.
import type { SimClock } from "../clock.ts";
import type { CustomerToken, Invoice, InvoiceStatus, PaymentMode, AcknowledgmentMode } from "../../contracts/glase/types.ts";
import type { IdGenerator } from "./ids.ts";
import type { RawInvoice } from "./soap-request.ts";

export interface AutoCustomerSettings {
  enabled: boolean;
  /** Simulator-clock ms between sendInvoice and the customer's confirmation. */
  confirmAfterMs: number;
  /** Only invoices of these terminals; absent = all. */
  terminals?: string[];
}

export interface SimSettings {
  /** PAID not polled within this many seconds is reversed (§6.3); 0 disables reversal. */
  ackTimeoutSeconds: number;
  /** executeReport answers REPORT_NOT_READY for the first N calls per period and report (§6.11). */
  reportNotReadyCalls: number;
  /** "2.9" (default) or "2.10"/"2.11": EXPIRED is emitted only from 2.10 on (§5.1, §9 A5). */
  apiLevel: string;
  /** commitReservation above the preliminary total is accepted instead of 11 (§9 A6). */
  acceptHigherCommit: boolean;
  /** Reservation lapse for reservation invoices sent without commitReservationTimeout. */
  defaultReservationTimeoutSeconds: number;
  /** Host inside invoiceQRCode (`HTTP://<host>/R<ref>`, §6.12). */
  qrHost: string;
  /** How notificationUrl is called on PAID (§9 A35). */
  notificationMethod: "GET" | "POST";
  /** Request bodies above this size get a 413 fault. */
  maxBodyBytes: number;
  /** Undeclared request elements ⇒ soap:Client "unexpected element" (CXF default), §1.4. Off: ignored. */
  strictUnmarshalling: boolean;
  /**
   * "strict" reads the contract the hardest way for the client (docs/simulator.md, "Strict
   * profile"): ambiguous faults are applied before their answer is lost, a PAID reached by a commit
   * is reversed too when not read within ackTimeoutSeconds, updateInvoice must resend the invoice
   * as sent, reservations lapse exactly commitReservationTimeout after the invoice was created.
   */
  profile: "default" | "strict";
  /**
   * Strict profile only: 93/94 faults are applied before the code is answered too (§5.8 says only
   * "busy" / "backend unavailable", never "not processed"), so a client that re-sends after them can fail.
   */
  busyApplied: boolean;
  autoCustomer: AutoCustomerSettings;
}

export const DEFAULT_SETTINGS: SimSettings = {
  ackTimeoutSeconds: 20,
  reportNotReadyCalls: 1,
  apiLevel: "2.9",
  acceptHigherCommit: false,
  defaultReservationTimeoutSeconds: 3600,
  qrHost: "SEQR.SE",
  notificationMethod: "GET",
  maxBodyBytes: 1024 * 1024,
  strictUnmarshalling: false,
  profile: "default",
  busyApplied: false,
  autoCustomer: { enabled: false, confirmAfterMs: 2000 },
};

/** True when the configured API level is at least major.minor (compared numerically per part). */
export function apiLevelAtLeast(level: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = level.split(".").map((p) => Number.parseInt(p, 10));
  return a > major || (a === major && b >= minor);
}

export interface ShopRecord {
  resellerId: string;
  userId: string;
  password: string;
  currency: string;
  /** false ⇒ refundPayment answers 97. */
  allowRefunds: boolean;
  /** false ⇒ refundPayment answers 99 (the receiver's account provider refuses). */
  receiverAllowsRefunds: boolean;
  /** true ⇒ 33 for its principal. */
  blocked: boolean;
}

export interface TerminalRecord {
  terminalId: string;
  password: string;
  name: string;
  externalTerminalId?: string;
  resellerId: string;
  seqrId?: string;
  /** A cash register holds one open invoice (§6.4); webshop terminals hold many. */
  cashRegister: boolean;
  blocked: boolean;
  /** false after unregisterTerminal: the terminal no longer exists (29). */
  registered: boolean;
  createdAt: number;
  /** Every invoice of this terminal in creation order. */
  invoiceReferences: string[];
}

export type CancelReason = "merchant" | "superseded" | "customer" | "reversed" | "reservation-lapsed" | "unregistered";

export interface InvoiceRecord {
  invoiceReference: string;
  terminalId: string;
  resellerId: string;
  status: InvoiceStatus;
  version: number;
  paymentMode: PaymentMode;
  /** As sent (absent ⇒ REQUIRE on cashregister-2, §9 A8). */
  acknowledgmentMode: AcknowledgmentMode;
  /** Created through the legacy `/extclientproxy/service` path: REQUIRE behaves as OPTIONAL (§9 A8). */
  legacyPath: boolean;
  invoice: Invoice;
  /** The invoice as received (strings), echoed in the receipt "as received" (§9 A30). */
  wireInvoice: RawInvoice;
  currency: string;
  /** Current invoice total (preliminary maximum for reservations). */
  totalMinor: number;
  /** Amount reserved at customer approval (reservation modes). */
  reservedMinor?: number;
  /** Amount actually taken (PAID). */
  paidMinor?: number;
  ersReference?: string;
  reversed: boolean;
  cancelReason?: CancelReason;
  /** Customer identified (scanned); payerTerminalId is the phone. */
  customer?: { payerTerminalId: string; scannedAt: number };
  /** Customer confirmed, settlement held ("payment in progress": cancel ⇒ 51, update ⇒ 48). */
  paymentInProgress: boolean;
  /** Tokens the merchant sent (sendInvoice/updateInvoice, status 1 …). */
  merchantTokens: CustomerToken[];
  /** Tokens the server offers (status 0), shown in customerTokens. */
  offeredTokens: CustomerToken[];
  /** The owning terminal read the PAID status (stops the reversal timer). */
  paidAcknowledged: boolean;
  commitCalls: number;
  commitsAccepted: number;
  updateCalls: number;
  statusPolls: number;
  createdAt: number;
  paidAt?: number;
  /** First successful getPaymentStatus of the owning terminal that saw PAID (the 20-second rule, measured at Glase). */
  paidReadAt?: number;
  reservedAt?: number;
  finishedAt?: number;
  /** Auto customer waits for the merchant's acknowledgement before confirming. */
  autoConfirmPending: boolean;
}

export interface ReceiptDocumentRecord {
  mimeType?: string;
  receiptType?: string;
  /** Byte length of receiptData (the data itself is not kept in the dump). */
  bytes: number;
  at: number;
}

export interface PaymentRecord {
  ersReference: string;
  invoiceReference: string;
  terminalId: string;
  resellerId: string;
  amountMinor: number;
  currency: string;
  cashierId?: string;
  paidAt: number;
  reversed: boolean;
  refundedMinor: number;
  receipts: ReceiptDocumentRecord[];
}

export interface RefundRecord {
  ersReference: string;
  paymentReference: string;
  terminalId: string;
  resellerId: string;
  amountMinor: number;
  currency: string;
  cashierId?: string;
  clientInvoiceId?: string;
  at: number;
  receipts: ReceiptDocumentRecord[];
}

export interface PeriodRecord {
  transactionPeriodId: string;
  resellerId: string;
  /** Set when marked with TERMINALID: only the per-terminal reports (006/007) work. */
  terminalId?: string;
  from: number;
  to: number;
  /** executeReport calls per report id (drives REPORT_NOT_READY). */
  reportCalls: Record<string, number>;
}

export interface SimState {
  shops: Map<string, ShopRecord>;
  terminals: Map<string, TerminalRecord>;
  invoices: Map<string, InvoiceRecord>;
  payments: Map<string, PaymentRecord>;
  refunds: Map<string, RefundRecord>;
  periods: Map<string, PeriodRecord>;
  /** Time of the last mark per scope key ("shop:<id>" / "terminal:<id>"). */
  lastMark: Map<string, number>;
  notifications: { url: string; invoiceReference: string; at: number; outcome?: string }[];
}

/** What the per-area modules need from the simulator. */
export interface SimCore {
  readonly state: SimState;
  readonly settings: SimSettings;
  readonly clock: SimClock;
  readonly ids: IdGenerator;
  /** Known loyalty token ids (empty = any id accepted). */
  readonly tokenIds: ReadonlySet<string>;
  /** Bumps version (every transition, §6.2). */
  bump(inv: InvoiceRecord): void;
  /** Starts/cancels a named timer for an invoice (one per kind). */
  setInvoiceTimer(inv: InvoiceRecord, kind: "reversal" | "reservation" | "auto", ms: number, fn: () => void): void;
  clearInvoiceTimer(inv: InvoiceRecord, kind: "reversal" | "reservation" | "auto"): void;
  /** Called when an invoice becomes PAID (notifications). */
  onPaid(inv: InvoiceRecord): void;
  /** Called after sendInvoice created an invoice (auto customer). */
  onInvoiceCreated(inv: InvoiceRecord): void;
  /** Called when the merchant acknowledged PENDING_ISSUER_ACKNOWLEDGE (auto customer). */
  onAcknowledged(inv: InvoiceRecord): void;
}
