// The state of a preliminary payment flow (agent/core/preliminary.ts): its phases, what it
// remembers between steps, and what starts it.
import type { Grade, QuantityUnit } from "../../contracts/dispenser.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";
import type { FlowBase } from "./flow.ts";

export type PreliminaryPhase =
  | "sending-invoice"
  | "resolving-send"
  | "awaiting-reservation"
  | "canceling"
  | "authorizing"
  | "authorized"
  | "delivering"
  | "stopping"
  | "checking-sale"
  | "updating"
  | "committing"
  | "checking-commit"
  /** A technician marked a parked flow settled: its invoice's status is read first (a RESERVED one is cancelled). */
  | "closing"
  | "printing"
  /**
   * The money is settled (paid, cancelled, settled by hand) but the point may still hold this
   * flow's authorization: the flow keeps stopping it and holds the point until an END or a finished
   * sale record is seen — otherwise the next customer, or this one, fuels on unpaid.
   */
  | "securing"
  | "parked"
  | "finished";

export interface Delivered {
  readonly gradeId?: string;
  readonly milli: number;
  readonly amountMinor: number;
  readonly unitPriceMinor?: number;
}

/** What a customer call starts a flow with; the flow state carries all of it. */
export interface PreliminaryStart {
  readonly flowId: string;
  readonly point: number;
  readonly terminalId: string;
  readonly currency: string;
  readonly stationName: string;
  readonly unit: QuantityUnit;
  readonly grades: readonly Grade[];
  readonly gradeId?: string;
  /** Preliminary amount = the reservation = the dispenser limit. */
  readonly reserveMinor: number;
}

export interface PreliminaryState extends FlowBase, PreliminaryStart {
  readonly kind: "preliminary";
  readonly phase: PreliminaryPhase;
  readonly invoiceRef?: string;
  readonly version: number;
  readonly sends: number;
  /** The current sendInvoice is meant to supersede an open invoice of ours whose reference was lost. */
  readonly supersedes?: boolean;
  /** Told a technician that lost sendInvoice answers keep needing new invoices (once). */
  readonly sendAlarmed?: boolean;
  /**
   * When the current invoice's sendInvoice was decided (absolute ms, before it left): the
   * reservation cannot start counting earlier, so deadlines counted from here are conservative.
   */
  readonly sentAt?: number;
  /**
   * When it went out, if it waited first (flow.ts sentOut): "settled" and "surely lapsed" count
   * from then. The stop and commit deadlines never do: they count from sentAt, before which Glase
   * cannot have created the invoice, however long the send waited.
   */
  readonly sendOutAt?: number;
  /** issueDate and commitReservationTimeout as sent: updateInvoice repeats them (§3.6). */
  readonly issueDate?: string;
  readonly reservationTimeoutS?: number;
  /** Customer must confirm in the app before this (absolute ms). */
  readonly customerDeadline: number;
  /** The delivery is stopped by then, leaving time to settle: lapse − 2 × safety margin (absolute ms). */
  readonly stopAt?: number;
  /** Settlement must be done before this: lapse − safety margin (absolute ms). */
  readonly commitDeadline?: number;
  readonly cancelWanted?: string;
  /** Told a technician that cancels keep being answered 51/48 (once). */
  readonly cancelAlarmed?: boolean;
  readonly stopRequested?: boolean;
  /** A technician stopped the point during this flow: no sale record may hand it to a customer. */
  readonly technicianStop?: boolean;
  /** When the last stop was sent (absolute ms). */
  readonly stopSentAt?: number;
  /** Stops sent again because the board still showed the sale open after one (spaces the next). */
  readonly restops?: number;
  /**
   * The point may still hold this flow's authorization: set when the authorization is sent, cleared
   * by the sale's END or a sale record that is finished (or absent). While set outside the delivery
   * phases (parked, settling, securing) the flow keeps stopping the point (agent/core/preliminary-pump.ts).
   */
  readonly pumpOpen?: boolean;
  /** The "secure" timer runs: stops go on, spaced by secureAttempts (volatile: re-armed after a restart). */
  readonly secureArmed?: boolean;
  readonly secureAttempts?: number;
  readonly progress?: { readonly milli: number; readonly amountMinor: number };
  readonly delivered?: Delivered;
  readonly commitMinor?: number;
  /**
   * The sale's END, arrived while the updateInvoice of its running figure (settled at the commit
   * deadline) was out: the invoice is updated again to it before the commit, time permitting
   * (agent/core/preliminary-pump.ts onUpdateAnswer).
   */
  readonly endDelivered?: Delivered;
  /** The figure the invoice surely shows (its updateInvoice answered 0) while the update to the END's is out: committed if that one fails. */
  readonly updatedBefore?: { readonly delivered: Delivered; readonly commitMinor: number };
  /** When the last commitReservation was decided (absolute ms). */
  readonly commitSentAt?: number;
  /** The last commit's outcome is unknown (lost answer, 90): a RESERVED read right after it proves nothing. */
  readonly commitUnknown?: boolean;
  /** The retry timer in checking-commit sends the commit again (rather than a status read). */
  readonly recommit?: boolean;
  readonly commitAccepted?: boolean;
  /** After an accepted commit: PAID with an ersReference is expected by then, else an alarm. */
  readonly confirmDeadline?: number;
  readonly confirmAlarmed?: boolean;
  /** Told a technician that a status read after the commit was refused with a definite code (once). */
  readonly readRefusedAlarmed?: boolean;
  /** A sendInvoice of this flow had no definite answer: Glase may still process it at any time (§4.1). */
  readonly sendLost?: boolean;
  /**
   * When each sendInvoice whose answer never came was sent, oldest first; an invoice of one seen
   * (open on the terminal, or superseding the reservation) takes the oldest off. A flow that ends
   * with any hands them to its terminal's lost-send watch (agent/core/send-watch.ts).
   */
  readonly lostSends?: readonly number[];
  /** The reservation read while the pump runs, still out (preliminary-watch.ts); volatile. */
  readonly watchRef?: string;
  /** When the reservation was last read RESERVED (or the watch last started): how long the pump has run on it unconfirmed. */
  readonly watchSeenAt?: number;
  /**
   * The invoice the pump ran on was found CANCELED/EXPIRED under it (a late sendInvoice superseded
   * it, §6.4, or it lapsed): nothing can be committed; the terminal's current invoice is closed and
   * the flow parks with what was metered (preliminary-steps.ts closeLate).
   */
  readonly reservationLost?: boolean;
  /** The phase a parked flow was in: `retry` resumes it. */
  readonly parkedFrom?: PreliminaryPhase;
  readonly ersReference?: string;
  readonly paymentDate?: string;
  readonly receipt?: ReceiptContent;
}
