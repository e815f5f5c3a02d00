// Everything that can drive a flow: Glase outcomes, device events and command results, timers,
// recovery after a restart, and technician commands. All plain JSON so the journal can keep them.
import type { DeliveryEndReason } from "../../contracts/dispenser.ts";
import type { GlaseOp, TimerName } from "./effects.ts";
import type { LostSend } from "./send-watch.ts";

/** What a Glase call answered, in the terms the machines decide on (contract §6.15). */
export type GlaseOutcome =
  | {
      readonly kind: "ok";
      readonly invoiceReference?: string;
      readonly status?: string;
      readonly version?: number;
      readonly ersReference?: string;
      readonly paymentDate?: string;
      /** receipt.clientInvoiceId of a PAID status: tells whose invoice the terminal's current one is. */
      readonly clientInvoiceId?: string;
      /** receipt.invoice.totalAmount of a PAID status: what Glase says it took (minor units). */
      readonly paidMinor?: number;
      readonly transactionPeriodId?: string;
      readonly report?: string;
      readonly mimeType?: string;
    }
  /** The server answered with a non-zero resultCode: definite. */
  | { readonly kind: "result"; readonly code: number }
  /** No usable answer. indefinite = the request may have been processed. */
  | { readonly kind: "transport"; readonly indefinite: boolean };

export interface SaleInfo {
  readonly state: "authorized" | "delivering" | "finished";
  readonly gradeId?: string;
  readonly milli: number;
  readonly amountMinor: number;
  readonly unitPriceMinor?: number;
  readonly reason?: DeliveryEndReason;
}

export type FlowInput =
  | {
      readonly type: "glase";
      readonly op: GlaseOp;
      readonly ref: string;
      readonly outcome: GlaseOutcome;
      /** A sendInvoice that waited behind the terminal's yielding send (agent/engine/terminal-sends.ts): when it went out (absolute ms). */
      readonly outAt?: number;
    }
  | { readonly type: "authorized"; readonly ok: boolean }
  | { readonly type: "stopped"; readonly ok: boolean }
  /** Answer to a saleRecord query; failed = the controller could not be asked. */
  | { readonly type: "sale"; readonly record: SaleInfo | null; readonly failed?: boolean }
  | { readonly type: "nozzle"; readonly up: boolean }
  | { readonly type: "progress"; readonly milli: number; readonly amountMinor: number }
  | {
      readonly type: "end";
      readonly gradeId: string;
      readonly milli: number;
      readonly amountMinor: number;
      readonly unitPriceMinor: number;
      readonly reason: DeliveryEndReason;
    }
  | { readonly type: "fault"; readonly code: string }
  | { readonly type: "printed"; readonly ok: boolean }
  | { readonly type: "released"; readonly ok: boolean }
  /** The dispenser link went down or came back: a flow waiting on the board asks again at once. */
  | { readonly type: "link"; readonly up: boolean }
  | { readonly type: "timer"; readonly name: TimerName }
  /**
   * To a terminal's lost-send watch (send-watch.ts): whether a flow holds the terminal now, and a
   * lost send of a flow that just ended there, handed over, and that flow's own payment (its
   * ersReference: a PAID of it read later is not a late invoice) — or, after a restart, the own
   * payments of the terminal's recent sales, read from the journal (a list: the watch knows them now).
   */
  | { readonly type: "terminal"; readonly busy: boolean; readonly lostSends?: readonly LostSend[]; readonly claimed?: string | readonly string[]; readonly unproven?: readonly string[] }
  /** A yieldsToHolder Glase call (effects.ts) was not made: a flow held its terminal when it was to go out. */
  | { readonly type: "withheld"; readonly ref: string }
  /** Journaled as the input of a flow's first transition. */
  | { readonly type: "start" }
  /** The process restarted; the flow's last effects have unknown outcomes. */
  | { readonly type: "recover" }
  | { readonly type: "technician"; readonly action: "stop" | "mark-settled" | "retry" | "cancel" };

/**
 * An answer that does not tell whether the request was processed: a lost answer, 90 SYSTEM_ERROR
 * (§5.8 "unclassified"), or 93/94 — §5.8 says only "busy" / "backend unavailable", never "not
 * processed" (the strict simulator's busyApplied applies them before answering).
 */
export function isAmbiguous(outcome: GlaseOutcome): boolean {
  return (outcome.kind === "transport" && outcome.indefinite) || (outcome.kind === "result" && (outcome.code === 90 || outcome.code === 93 || outcome.code === 94));
}

/**
 * sendInvoice's own refusals (§3.4 lists 0, 11, 20, 21, 29, 33, 37, 49, 64, 90, 91, 93, 94; 90/93/94
 * are ambiguous above). Any other code is not one the contract gives sendInvoice, so nothing says the
 * invoice was not created (issue 9 #6: only a "not processed" proves nothing happened) — e.g. 1
 * PENDING_APPROVAL, "request accepted, awaiting approval" (review 9r R2).
 */
const SEND_REFUSALS: ReadonlySet<number> = new Set([11, 20, 21, 29, 33, 37, 49, 64, 91]);

/** Whether a sendInvoice answer leaves an invoice that may exist (read the terminal's current one, watch it). */
export function sendMayHaveOpened(outcome: GlaseOutcome): boolean {
  return isAmbiguous(outcome) || (outcome.kind === "result" && !SEND_REFUSALS.has(outcome.code));
}

/** Temporary failures worth retrying: 90/93/94 and transport errors that never reached the server. */
export function isTemporary(outcome: GlaseOutcome): boolean {
  return (
    (outcome.kind === "result" && (outcome.code === 90 || outcome.code === 93 || outcome.code === 94)) ||
    (outcome.kind === "transport" && !outcome.indefinite)
  );
}
