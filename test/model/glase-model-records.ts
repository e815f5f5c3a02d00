// The records the reference model of Glase keeps (glase-model.ts): invoices, refunds, and the notes
// its invariants judge (invariants.ts); the shape of its answers and its options.
import type { PaymentMode } from "../../agent/glase/types.ts";

export type ModelStatus = "ISSUED" | "PAID" | "CANCELED" | "FAILED" | "RESERVED";
export type CancelCause = "merchant" | "superseded" | "customer" | "reversed" | "lapsed";

export interface ModelInvoice {
  readonly ref: string;
  readonly terminalId: string;
  readonly clientInvoiceId?: string;
  readonly mode: PaymentMode;
  readonly sentAt: number;
  readonly commitTimeoutS?: number;
  readonly cashierId?: string;
  totalMinor: number;
  status: ModelStatus;
  version: number;
  inProgress: boolean;
  reservedMinor?: number;
  reservedAt?: number;
  paidMinor?: number;
  paidAt?: number;
  paidBy?: "debit" | "commit";
  ersReference?: string;
  polledAfterPaid: boolean;
  /** Arrival times of status reads, send times of commit requests (to judge a re-commit). */
  readonly polls: number[];
  readonly commitSends: number[];
  paidCommitSentAt?: number;
  endedAt?: number;
  cause?: CancelCause;
  supersededBy?: string;
  lapseAt?: number;
}

export interface ModelRefund {
  readonly ersReference: string;
  readonly paymentErs: string;
  readonly terminalId: string;
  readonly amountMinor: number;
  readonly clientInvoiceId?: string;
  /** The refund invoice's cashierId, and the original payment's. */
  readonly cashierId?: string;
  readonly paymentCashierId?: string;
  readonly at: number;
}

/**
 * Which cashierId a refund's row in a details report carries. §5.7 says only "`CashierId` is NULL
 * when the invoice had none" — not whether a refund row names the refund's own description, the
 * original payment, or nothing — nor that a refund has a row at all (§6.11 builds rows from PAID
 * payments; §9 A17 only recommends refund rows): "unlisted" leaves refunds out of the reports.
 * Each run of the campaign reads it one of these ways.
 */
export type RefundRowCashier = "none" | "refund" | "payment" | "unlisted";

/** Something the model saw that an invariant judges (invariants.ts). */
export type ModelNote =
  | { readonly kind: "second-commit"; readonly invoice: string; readonly at: number }
  | { readonly kind: "refund-resent"; readonly clientInvoiceId: string; readonly at: number }
  | { readonly kind: "invalid-request"; readonly op: string; readonly code: number; readonly why: string; readonly at: number }
  | { readonly kind: "superseded"; readonly invoice: string; readonly was: ModelStatus; readonly victim?: string; readonly by?: string; readonly at: number }
  | { readonly kind: "reversed"; readonly invoice: string; readonly at: number }
  | { readonly kind: "lapsed"; readonly invoice: string; readonly at: number };

export type Answer<T = object> = { readonly code: number; readonly why?: string } & Partial<T>;

export interface ModelOptions {
  readonly terminals: readonly { readonly terminalId: string; readonly password: string; readonly currency: string }[];
  readonly reseller: { readonly resellerId: string; readonly userId: string; readonly password: string };
  readonly reversalMs: number;
  /** executeReport answers 2 until this long after the mark (and always on a period's first call). */
  readonly reportNotReadyMs: number;
  readonly refundRowCashier?: RefundRowCashier;
}
